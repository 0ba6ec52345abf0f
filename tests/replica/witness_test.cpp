// Witness certificates on the direct path (replica/witness.hpp) with fake replica keys: the
// codec, what counts towards a certificate (distinct designated witnesses, valid signatures, the
// same origin), what never does (forged signatures, non-witnesses, duplicates, f votes), the
// bound on the book, BatchAuth accepting a certified part without a check and checking the rest,
// and the primary's batcher preferring certified parts without waiting for witnesses forever.
#include "replica/witness.hpp"

#include <gtest/gtest.h>

#include "metric_value.hpp"
#include "replica/batch.hpp"
#include "replica/batch_auth.hpp"
#include "replica/batcher.hpp"

namespace rampart::replica {
namespace {

using testing::metric_value;

// A signature is the signer's id then the message: unforgeable in these tests, where every
// forgery is written out on purpose.
class FakeSigner final : public crypto::Signer {
 public:
  explicit FakeSigner(uint32_t id) : id_(id) {}
  Bytes sign(ByteView msg) const override {
    Bytes s{static_cast<uint8_t>(id_)};
    s.insert(s.end(), msg.begin(), msg.end());
    return s;
  }

 private:
  uint32_t id_;
};

class FakeVerifier final : public crypto::Verifier {
 public:
  bool verify(crypto::NodeId signer, ByteView msg, ByteView sig) const override {
    Bytes want = FakeSigner(signer).sign(msg);
    return sig.size() == want.size() && std::equal(sig.begin(), sig.end(), want.begin());
  }
};

Request req(ClientId c, uint64_t seq = 1) { return {c, seq, to_bytes("op"), to_bytes("sig")}; }
Hash32 digest_of(uint8_t x) {
  Hash32 h{};
  h[0] = x;
  return h;
}
WitnessMsg signed_by(uint32_t signer, uint32_t origin, const Hash32& d) {
  return {origin, d, FakeSigner(signer).sign(witness_statement(origin, d))};
}

TEST(WitnessMsgTest, RoundTripsAndRefusesMalformedBodies) {
  const WitnessMsg m = signed_by(2, 1, digest_of(7));
  const Bytes w = encode_witness(m);
  ASSERT_EQ(w[0], static_cast<uint8_t>(PeerTag::witness));
  auto d = decode_witness(ByteView(w).subspan(1));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, m);
  for (size_t cut = 1; cut < w.size(); ++cut) EXPECT_FALSE(decode_witness(ByteView(w).subspan(1, cut - 1))) << cut;
  Bytes longer = w;
  longer.push_back(0);
  EXPECT_FALSE(decode_witness(ByteView(longer).subspan(1))) << "trailing bytes";
  WitnessMsg big = m;
  big.sig.assign(kMaxWitnessSig + 1, 1);
  const Bytes wb = encode_witness(big);
  EXPECT_FALSE(decode_witness(ByteView(wb).subspan(1))) << "a signature above the bound";
}

TEST(WitnessSetTest, TheOriginAndTheNextFIdsModN) {
  EXPECT_TRUE(WitnessBook::is_witness(1, 1, 4, 1));
  EXPECT_TRUE(WitnessBook::is_witness(2, 1, 4, 1));
  EXPECT_FALSE(WitnessBook::is_witness(3, 1, 4, 1));
  EXPECT_FALSE(WitnessBook::is_witness(0, 1, 4, 1));
  EXPECT_TRUE(WitnessBook::is_witness(0, 3, 4, 1)) << "wraps around";
  EXPECT_TRUE(WitnessBook::is_witness(1, 6, 7, 2));
  EXPECT_FALSE(WitnessBook::is_witness(2, 6, 7, 2));
  EXPECT_FALSE(WitnessBook::is_witness(4, 1, 4, 1)) << "no such replica";
  EXPECT_FALSE(WitnessBook::is_witness(1, 4, 4, 1)) << "no such origin";
}

class WitnessBookTest : public ::testing::Test {
 protected:
  explicit WitnessBookTest(uint32_t self = 0, size_t n = 4, size_t f = 1)
      : signer(self), book({self, n, f}, signer, verifier, reg) {}
  metrics::Registry reg;
  FakeSigner signer;
  FakeVerifier verifier;
  WitnessBook book;
  const Hash32 d = digest_of(9);
};

TEST_F(WitnessBookTest, FPlusOneDistinctWitnessesCertify) {
  EXPECT_EQ(book.add(1, signed_by(1, 1, d)), WitnessBook::Added::counted);
  EXPECT_FALSE(book.certified(d)) << "f witnesses only";
  EXPECT_EQ(book.add(2, signed_by(2, 1, d)), WitnessBook::Added::certified);
  EXPECT_TRUE(book.certified(d));
  EXPECT_EQ(book.add(2, signed_by(2, 1, d)), WitnessBook::Added::ignored);
  EXPECT_EQ(metric_value(reg, "rampart_witnesses_refused_total"), 0u);
}

TEST_F(WitnessBookTest, AForgedSignatureNeverCounts) {
  WitnessMsg forged = signed_by(3, 1, d);  // signed with 3's key, claims to be 2's
  EXPECT_EQ(book.add(2, forged), WitnessBook::Added::refused);
  WitnessMsg other = signed_by(2, 1, digest_of(10));  // 2's signature over another digest
  other.digest = d;
  EXPECT_EQ(book.add(2, other), WitnessBook::Added::refused);
  EXPECT_EQ(book.add(1, signed_by(1, 1, d)), WitnessBook::Added::counted);
  EXPECT_FALSE(book.certified(d));
  EXPECT_EQ(book.add(2, signed_by(2, 1, d)), WitnessBook::Added::certified) << "the real one still counts";
  EXPECT_EQ(metric_value(reg, "rampart_witnesses_refused_total"), 2u);
}

TEST_F(WitnessBookTest, AReplicaOutsideTheOriginsWitnessesIsRefused) {
  EXPECT_EQ(book.add(1, signed_by(1, 1, d)), WitnessBook::Added::counted);
  EXPECT_EQ(book.add(3, signed_by(3, 1, d)), WitnessBook::Added::refused) << "W(1) = {1, 2}";
  EXPECT_FALSE(book.certified(d));
  EXPECT_EQ(book.add(5, signed_by(5, 1, d)), WitnessBook::Added::refused) << "no such replica";
  EXPECT_EQ(book.add(2, signed_by(2, 9, d)), WitnessBook::Added::refused) << "no such origin";
}

TEST_F(WitnessBookTest, VotesNamingDifferentOriginsDoNotAddUp) {
  // A Byzantine 2 names origin 2 (whose witnesses are {2, 3}); 1 names origin 1.
  EXPECT_EQ(book.add(2, signed_by(2, 2, d)), WitnessBook::Added::counted);
  EXPECT_EQ(book.add(1, signed_by(1, 1, d)), WitnessBook::Added::counted);
  EXPECT_FALSE(book.certified(d));
  EXPECT_EQ(book.add(2, signed_by(2, 1, d)), WitnessBook::Added::ignored) << "one vote per signer and digest";
  EXPECT_EQ(book.add(3, signed_by(3, 2, d)), WitnessBook::Added::certified) << "two of W(2) agree";
}

TEST_F(WitnessBookTest, OurOwnVoteCountsAndIsSentOnce) {
  EXPECT_FALSE(book.vouch(1, d).has_value()) << "W(1) = {1, 2}: not ours to sign";
  auto w = book.vouch(3, d);  // W(3) = {3, 0}
  ASSERT_TRUE(w.has_value());
  EXPECT_FALSE(book.vouch(3, d).has_value()) << "signed once";
  auto m = decode_witness(ByteView(*w).subspan(1));
  ASSERT_TRUE(m.ok());
  metrics::Registry reg2;
  FakeSigner s1(1);
  WitnessBook other({1, 4, 1}, s1, verifier, reg2);
  EXPECT_EQ(other.add(0, *m), WitnessBook::Added::counted) << "a peer accepts our signature";
  EXPECT_EQ(book.add(3, signed_by(3, 3, d)), WitnessBook::Added::certified);
  EXPECT_EQ(metric_value(reg, "rampart_witnesses_sent_total"), 1u);
}

TEST_F(WitnessBookTest, ASignerCannotGrowTheBookWithoutLimit) {
  for (uint32_t i = 0; i < WitnessBook::kMaxPerSigner + 100; ++i) {
    Hash32 x{};
    x[0] = 1;
    x[1] = static_cast<uint8_t>(i);
    x[2] = static_cast<uint8_t>(i >> 8);
    x[3] = static_cast<uint8_t>(i >> 16);
    book.add(1, signed_by(1, 1, x));
  }
  EXPECT_EQ(book.size(), WitnessBook::kMaxPerSigner);
  // The oldest went first: a certificate resting on an evicted vote lapses (the batch is checked
  // instead); the newest still counts.
  Hash32 first{};
  first[0] = 1;
  EXPECT_EQ(book.add(2, signed_by(2, 1, first)), WitnessBook::Added::counted);
  EXPECT_FALSE(book.certified(first));
  Hash32 last{};
  last[0] = 1;
  const uint32_t i = WitnessBook::kMaxPerSigner + 99;
  last[1] = static_cast<uint8_t>(i);
  last[2] = static_cast<uint8_t>(i >> 8);
  EXPECT_EQ(book.add(2, signed_by(2, 1, last)), WitnessBook::Added::certified);
}

class WitnessAuthTest : public WitnessBookTest {
 protected:
  WitnessAuthTest() : auth([this](ByteView b) { ++checks; return !bad.count(batch_digest(b)); }, true, reg) {
    auth.set_witnesses(&book);
  }
  size_t checks = 0;
  std::set<Hash32> bad;  // batches with a forged client signature
  BatchAuth auth;
};

TEST_F(WitnessAuthTest, ACertifiedPartIsAcceptedWithoutACheckTheRestAreChecked) {
  const Bytes p1 = encode_batch(Batch{{req(1)}}), p2 = encode_batch(Batch{{req(2), req(3)}});
  book.add(1, signed_by(1, 1, batch_digest(p1)));
  book.add(2, signed_by(2, 1, batch_digest(p1)));
  const Bytes bundle = encode_bundle({p1, p2});
  EXPECT_TRUE(auth.authentic(bundle, batch_digest(bundle)));
  EXPECT_EQ(checks, 1u) << "p2 only";
  EXPECT_EQ(metric_value(reg, "rampart_batch_parts_on_witnesses_total"), 1u);
  EXPECT_EQ(metric_value(reg, "rampart_batch_parts_checked_total"), 1u);
  EXPECT_EQ(metric_value(reg, "rampart_client_signatures_checked_total"), 2u);
}

TEST_F(WitnessAuthTest, FWitnessesOnlyMeanTheReplicaChecksItself) {
  const Bytes p = encode_batch(Batch{{req(1)}});
  book.add(1, signed_by(1, 1, batch_digest(p)));
  EXPECT_TRUE(auth.authentic(p, batch_digest(p)));
  EXPECT_EQ(checks, 1u);
}

TEST_F(WitnessAuthTest, AByzantineWitnessCannotGetAForgedClientSignatureAccepted) {
  // Byzantine replica 1 built a batch with a forged client signature and vouches for it; so does
  // a Byzantine non-witness, and one forges 2's vote. Correct 2 checked it and did not sign.
  const Bytes p = encode_batch(Batch{{req(66)}});
  const Hash32 pd = batch_digest(p);
  bad.insert(pd);
  EXPECT_EQ(book.add(1, signed_by(1, 1, pd)), WitnessBook::Added::counted);
  EXPECT_EQ(book.add(3, signed_by(3, 1, pd)), WitnessBook::Added::refused);
  WitnessMsg forged = signed_by(1, 1, pd);
  EXPECT_EQ(book.add(2, forged), WitnessBook::Added::refused);
  EXPECT_FALSE(auth.authentic(p, pd));
  EXPECT_EQ(checks, 1u) << "it was checked, and refused";
  const Bytes ok = encode_batch(Batch{{req(1)}});
  const Bytes bundle = encode_bundle({ok, p});
  EXPECT_FALSE(auth.authentic(bundle, batch_digest(bundle))) << "nor inside a bundle";
  EXPECT_FALSE(auth.known(pd));
}

// The primary's batcher with witnesses (self 0, n = 4, f = 1).
class FakeBatcherHost final : public BatcherHost {
 public:
  void send_peer(consensus::NodeId, Bytes wire) override { sent.push_back(std::move(wire)); }
  void broadcast_peer(Bytes wire) override { sent.push_back(std::move(wire)); }
  void submit(Bytes slot) override { submitted.push_back(std::move(slot)); }
  uint64_t now_ms() override { return now; }
  void defer(std::function<void()> f) override { f(); }
  void arm_batch_timer(uint64_t after_ms) override { timer = after_ms; }
  void cancel_batch_timer() override { timer.reset(); }
  void vouch(const Hash32& d) override { vouched.push_back(d); }
  uint64_t now = 10'000;
  std::vector<Bytes> sent, submitted;
  std::vector<Hash32> vouched;
  std::optional<uint64_t> timer;
};

class WitnessBatcherTest : public WitnessAuthTest {
 protected:
  WitnessBatcherTest() {
    Batcher::Params p;
    p.self = 0;
    p.batch_size = 3;
    p.witnesses = true;
    b = std::make_unique<Batcher>(p, auth, host, reg);
    b->view_changed(0);
    b->open();
  }
  void fire() {
    ASSERT_TRUE(host.timer.has_value());
    host.now += *host.timer;
    host.timer.reset();
    b->on_timer();
  }
  void certify(uint32_t origin, const Bytes& part) {
    const Hash32 pd = batch_digest(part);
    for (uint32_t w = origin; w <= origin + 1; ++w)
      if (w % 4 != 0 && book.add(w % 4, signed_by(w % 4, origin, pd)) == WitnessBook::Added::certified)
        b->on_certified(pd);
  }
  FakeBatcherHost host;
  std::unique_ptr<Batcher> b;
};

TEST_F(WitnessBatcherTest, ThePrimarysOwnBatchIsBroadcastVouchedAndWaitsForItsWitness) {
  for (ClientId c = 1; c <= 3; ++c) b->add(req(c));
  ASSERT_EQ(host.vouched.size(), 1u);
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(host.sent[0][0], static_cast<uint8_t>(PeerTag::forward));
  EXPECT_TRUE(host.submitted.empty()) << "backups would have to check it";
  const Bytes own(host.sent[0].begin() + 1, host.sent[0].end());
  ASSERT_TRUE(book.vouch(0, batch_digest(own)).has_value());  // what Replica::vouch does
  certify(0, own);                                            // 1 vouches
  ASSERT_EQ(host.submitted.size(), 1u);
  EXPECT_EQ(batch_digest(host.submitted[0]), batch_digest(own));
  EXPECT_EQ(checks, 0u);
}

TEST_F(WitnessBatcherTest, CertifiedPartsGoFirstAndALatePartWaitsOnlyTheBound) {
  const Bytes slow = encode_batch(Batch{{req(7)}}), fast = encode_batch(Batch{{req(8)}});
  b->on_forwarded(slow, batch_digest(slow), 1);  // from 1: witnesses 1 and 2, one of them silent
  b->on_forwarded(fast, batch_digest(fast), 2);  // from 2
  EXPECT_TRUE(host.submitted.empty());
  certify(2, fast);
  ASSERT_EQ(host.submitted.size(), 1u);
  EXPECT_EQ(batch_digest(host.submitted[0]), batch_digest(fast));
  EXPECT_EQ(checks, 0u);
  b->executed(host.submitted[0], batch_digest(host.submitted[0]));
  while (host.submitted.size() == 1 && host.now < 10'000 + Batcher::kWitnessWaitMs + 10) fire();
  ASSERT_EQ(host.submitted.size(), 2u) << "bundled without witnesses after the bound";
  EXPECT_GE(host.now - 10'000, Batcher::kWitnessWaitMs);
  EXPECT_LE(host.now - 10'000, Batcher::kWitnessWaitMs + 2);
  EXPECT_EQ(checks, 1u) << "the primary checked it first";
}

TEST_F(WitnessBatcherTest, SlowCertificatesLengthenTheWaitUpToAQuarterOfTheViewTimeout) {
  for (ClientId c = 100; c < 130; ++c) {  // under load a certificate takes 200 ms
    const Bytes p = encode_batch(Batch{{req(c)}});
    b->on_forwarded(p, batch_digest(p), 1);
    host.now += 200;
    certify(1, p);
    ASSERT_FALSE(host.submitted.empty());
    b->executed(host.submitted.back(), batch_digest(host.submitted.back()));
  }
  const size_t before = host.submitted.size();
  const Bytes late = encode_batch(Batch{{req(7)}});
  b->on_forwarded(late, batch_digest(late), 1);
  const uint64_t t0 = host.now;
  for (int i = 0; i < 1000 && host.submitted.size() == before; ++i) fire();
  ASSERT_EQ(host.submitted.size(), before + 1);
  EXPECT_GT(host.now - t0, Batcher::kWitnessWaitMs) << "waits longer than the floor when certificates are slow";
  EXPECT_LE(host.now - t0, 1000u / 4 + 2) << "never longer than view_timeout_ms / 4";
}

TEST_F(WitnessBatcherTest, ALatePartWithABadSignatureNeverReachesAProposal) {
  const Bytes forged = encode_batch(Batch{{req(66)}});
  bad.insert(batch_digest(forged));
  b->on_forwarded(forged, batch_digest(forged), 1);
  book.add(1, signed_by(1, 1, batch_digest(forged)));  // its Byzantine origin vouches alone
  for (int i = 0; i < 100 && host.timer; ++i) fire();
  EXPECT_FALSE(host.timer.has_value()) << "nothing left to wait for";
  EXPECT_TRUE(host.submitted.empty());
  EXPECT_EQ(checks, 1u);
  EXPECT_EQ(b->forwarded_pending(), 0u) << "dropped";
  EXPECT_EQ(metric_value(reg, "rampart_bad_forwarded_parts_total"), 1u);
}

// Light load (docs/decisions/007-returning-requests.md): a round's parts become ready one by
// one as their witnesses come. The primary's next light slot waits until as many requests are
// ready as the last one carried, so the first part certified does not leave alone; the timer
// bounds the wait.
class WitnessGatherTest : public WitnessBatcherTest {
 protected:
  WitnessGatherTest() {
    Batcher::Params p;
    p.self = 0;
    p.batch_size = 100;  // slots of a few requests are light
    p.witnesses = true;
    b = std::make_unique<Batcher>(p, auth, host, reg);
    b->view_changed(0);
    b->open();
    // A first light slot of two requests: our own batch, certified.
    b->add(req(1));
    b->add(req(2));
    fire();
    EXPECT_TRUE(host.submitted.empty()) << "waits for its witness";
    const Bytes own(host.sent.back().begin() + 1, host.sent.back().end());
    EXPECT_TRUE(book.vouch(0, batch_digest(own)).has_value());
    certify(0, own);
    EXPECT_EQ(host.submitted.size(), 1u);
    b->executed(host.submitted[0], batch_digest(host.submitted[0]), 1);
    b->answered(1);
  }
  const Bytes a = encode_batch(Batch{{req(1, 2)}}), c = encode_batch(Batch{{req(2, 2)}});
};

TEST_F(WitnessGatherTest, TheNextLightSlotWaitsUntilAsManyRequestsAreReadyAsTheLastCarried) {
  b->on_forwarded(a, batch_digest(a), 1);
  b->on_forwarded(c, batch_digest(c), 2);
  certify(1, a);
  EXPECT_EQ(host.submitted.size(), 1u)
      << "one of two ready: the first certified waits for the other";
  certify(2, c);
  ASSERT_EQ(host.submitted.size(), 2u);
  EXPECT_TRUE(is_bundle(host.submitted[1]));
  EXPECT_EQ(checks, 0u);
}

TEST_F(WitnessGatherTest, TheTimerEndsTheGatheringWithWhatIsReady) {
  b->on_forwarded(a, batch_digest(a), 1);
  b->on_forwarded(c, batch_digest(c), 2);
  certify(1, a);
  EXPECT_EQ(host.submitted.size(), 1u);
  fire();
  ASSERT_EQ(host.submitted.size(), 2u);
  EXPECT_EQ(batch_digest(host.submitted[1]), batch_digest(a))
      << "the ready part leaves; the other waits for its witnesses";
}

}  // namespace
}  // namespace rampart::replica
