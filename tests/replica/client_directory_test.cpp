// Sign-up execution (replica/client_directory.hpp through the executor): dense ids in order, a
// known Ed25519 key gets its id back, a bad proof of possession or a malformed sign-up is refused
// with its reason, a rolled-back speculative sign-up is gone (and its id goes to the next key),
// finality decides what final_view() shows, and snapshots carry the directory.
#include <gtest/gtest.h>

#include "app/kv/kv_store.hpp"
#include "broker/signup.hpp"
#include "crypto/bls.hpp"
#include "crypto/ed25519.hpp"
#include "replica/client_wire.hpp"
#include "replica/distilled.hpp"
#include "replica/executor.hpp"

namespace rampart::replica {
namespace {
namespace kv = app::kv;

struct Signer {
  crypto::ed25519::KeyPair ed;
  crypto::bls::SecretKey bls;
  explicit Signer(uint8_t i)
      : ed(*crypto::ed25519::KeyPair::from_seed(Bytes(32, i))), bls(*crypto::bls::SecretKey::from_seed(Bytes(32, uint8_t(i + 100)))) {}
  ClientId client() const { return client::client_id_of(ed.public_key()); }
  Request signup(uint64_t seq, bool good_pop = true) const {
    const auto pk = crypto::bls::public_key(bls);
    const auto pop = good_pop ? crypto::bls::prove_possession(bls) : crypto::bls::sign(bls, as_bytes("not a proof"));
    return with_op(seq, broker::encode_signup_op(pk, pop));
  }
  Request with_op(uint64_t seq, ByteView op) const {
    Request r;
    r.client = client();
    r.seq = seq;
    r.payload.assign(ed.public_key().begin(), ed.public_key().end());
    r.payload.insert(r.payload.end(), op.begin(), op.end());
    return r;  // the executor does not check signatures (the replica did before ordering)
  }
};

Bytes batch(std::vector<Request> rs) { return encode_batch(Batch{std::move(rs)}); }
broker::SignupResult result(const ReplyEntry& e) {
  auto r = broker::decode_signup_result(e.result);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : broker::SignupResult{};
}

TEST(SignUp, DenseIdsInOrderAfterTheGenesisDirectory) {
  broker::MemoryDirectory genesis;
  const Signer g(1);
  genesis.add_trusted(0, {g.ed.public_key(), crypto::bls::public_key(g.bls)});
  genesis.add_trusted(1, {Signer(2).ed.public_key(), crypto::bls::public_key(Signer(2).bls)});
  kv::KvStore s;
  Executor ex(s);
  ex.set_directory(&genesis);
  const Signer a(10), b(11), c(12);
  const Hash32 before = ex.reply_cache_digest();
  auto o = ex.execute(1, batch({a.signup(1), b.signup(1)}));
  auto o2 = ex.execute(2, batch({c.signup(1)}));
  EXPECT_EQ(result(o.replies[0]).id, 2u);
  EXPECT_EQ(result(o.replies[1]).id, 3u);
  EXPECT_EQ(result(o2.replies[0]).id, 4u);
  EXPECT_TRUE(result(o.replies[0]).ok);
  EXPECT_EQ(result(o.replies[0]).ed25519, a.ed.public_key());
  EXPECT_EQ(result(o.replies[0]).bls, crypto::bls::public_key(a.bls));
  const auto& dir = ex.directory();
  EXPECT_EQ(dir.end(), 5u);
  ASSERT_TRUE(dir.find(3));
  EXPECT_EQ(dir.find(3)->ed25519, b.ed.public_key());
  EXPECT_EQ(dir.find(0)->ed25519, g.ed.public_key());  // genesis entries stay where they were
  EXPECT_NE(ex.reply_cache_digest(), before);          // the sign-ups are in the state digest
  EXPECT_TRUE(s.digest() == kv::KvStore().digest());   // and never reached the application
}

TEST(SignUp, AKnownKeyGetsItsIdBackAndARetryExecutesToTheSameAnswerOutsideTheReplyCache) {
  kv::KvStore s;
  Executor ex(s);
  const Signer a(1), b(2);
  auto o1 = ex.execute(1, batch({a.signup(1), b.signup(1)}));
  // The same key again with another seq (and another BLS key): its first id and BLS key stay.
  Signer a2 = a;
  a2.bls = *crypto::bls::SecretKey::from_seed(Bytes(32, 77));
  auto o2 = ex.execute(2, batch({a2.signup(2), a.signup(2)}));
  EXPECT_EQ(result(o1.replies[0]).id, 0u);
  EXPECT_EQ(result(o2.replies[0]).id, 0u);
  EXPECT_EQ(result(o2.replies[0]).bls, crypto::bls::public_key(a.bls));
  EXPECT_EQ(o2.replies[1].kind, ReplyKind::executed);  // the same seq (a retry): the same answer
  EXPECT_EQ(o2.replies[1].result, o1.replies[0].result);
  EXPECT_EQ(ex.directory().signups(), 2u);
  EXPECT_FALSE(ex.cached(a.client())) << "sign-ups leave the client's seqs to its operations";
}

TEST(SignUp, ABadProofOfPossessionOrAMalformedSignUpIsRefusedWithItsReason) {
  kv::KvStore s;
  Executor ex(s);
  const Signer a(1), b(2), c(3);
  Bytes cut = broker::encode_signup_op(crypto::bls::public_key(c.bls), crypto::bls::prove_possession(c.bls));
  cut.pop_back();
  auto o = ex.execute(1, batch({a.signup(1, false), b.with_op(1, cut)}));
  auto bad = result(o.replies[0]);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.reason.find("proof of possession"), std::string::npos) << bad.reason;
  auto malformed = result(o.replies[1]);
  EXPECT_FALSE(malformed.ok);
  EXPECT_NE(malformed.reason.find("bytes"), std::string::npos) << malformed.reason;
  EXPECT_EQ(ex.directory().signups(), 0u);
  auto o2 = ex.execute(2, batch({a.signup(2)}));  // a good one afterwards gets the first id
  EXPECT_EQ(result(o2.replies[0]).id, 0u);
}

TEST(SignUp, ARolledBackSpeculativeSignUpIsGoneAndFinalityDecidesTheFinalView) {
  kv::KvStore s;
  Executor ex(s);
  const Signer a(1), b(2), c(3);
  ex.execute(1, batch({a.signup(1)}));
  ex.make_final(1);
  const Hash32 d1 = ex.state_digest();
  const Bytes snap1 = ex.snapshot();
  ex.execute(2, batch({b.signup(1)}));
  EXPECT_EQ(ex.directory().find(1)->ed25519, b.ed.public_key());
  EXPECT_EQ(ex.directory().final_view().find(1), nullptr) << "speculative: never in the final view";
  EXPECT_EQ(ex.directory().final_view().end(), 1u);
  ASSERT_TRUE(ex.directory().final_view().find(0));
  ex.rollback(1);
  EXPECT_EQ(ex.directory().find(1), nullptr);
  EXPECT_FALSE(ex.directory().id_of(b.ed.public_key()));
  EXPECT_EQ(ex.state_digest(), d1);
  EXPECT_EQ(ex.snapshot(), snap1);
  // Another history hands id 1 to another key: which is why checks use only final sign-ups.
  auto o = ex.execute(2, batch({c.signup(1)}));
  EXPECT_EQ(result(o.replies[0]).id, 1u);
  EXPECT_EQ(ex.directory().find(1)->ed25519, c.ed.public_key());
  ex.make_final(2);
  ASSERT_TRUE(ex.directory().final_view().find(1));
  EXPECT_EQ(ex.directory().final_view().find(1)->ed25519, c.ed.public_key());
}

TEST(SignUp, SnapshotAndRestoreCarryTheDirectory) {
  kv::KvStore s;
  Executor ex(s);
  const Signer a(1), b(2);
  ex.execute(1, batch({a.signup(1), b.signup(1)}));
  ex.make_final(1);
  const Bytes snap = ex.snapshot();
  kv::KvStore s2;
  Executor other(s2);
  ASSERT_TRUE(other.restore(snap));
  EXPECT_EQ(other.state_digest(), ex.state_digest());
  EXPECT_EQ(other.directory().signups(), 2u);
  ASSERT_TRUE(other.directory().final_view().find(1));
  EXPECT_EQ(other.directory().final_view().find(1)->ed25519, b.ed.public_key());
  // A known key after the restore still gets its id back; a new one the next id.
  auto o = other.execute(2, batch({a.signup(2), Signer(3).signup(1)}));
  EXPECT_EQ(result(o.replies[0]).id, 0u);
  EXPECT_EQ(result(o.replies[1]).id, 2u);
  // Damaged: a truncated sign-up section, or an Ed25519 key twice, restores nothing.
  kv::KvStore s3;
  Executor third(s3);
  EXPECT_FALSE(third.restore(ByteView(snap).first(snap.size() - 1)));
  Bytes twice = snap;
  const size_t entry = 32 + 48 + 8;
  std::copy(snap.end() - 2 * entry, snap.end() - 2 * entry + 32, twice.end() - entry);
  EXPECT_FALSE(third.restore(twice));
  EXPECT_EQ(third.directory().signups(), 0u);
  EXPECT_EQ(third.last_executed(), 0u);
}

// A sign-up beside a new client's first request (the reply cache grows in that batch): the
// sign-up has no cache entry and leaves the signer's older one as it was (found by the simulator).
TEST(SignUp, ASignUpBesideANewClientLeavesTheReplyCacheRight) {
  kv::KvStore s;
  Executor ex(s);
  const Signer a(1);
  Request put = a.with_op(1, kv::encode_op(kv::put("x", "1")));
  auto o1 = ex.execute(1, batch({put}));
  Request other;
  other.client = 99;
  other.seq = 1;
  other.payload = Bytes(32, 7);
  const Bytes op = kv::encode_op(kv::put("y", "2"));
  other.payload.insert(other.payload.end(), op.begin(), op.end());
  auto o2 = ex.execute(2, batch({a.signup(5), other}));
  EXPECT_TRUE(result(o2.replies[0]).ok);
  ASSERT_TRUE(ex.cached(a.client()));
  EXPECT_EQ(ex.cached(a.client())->k, 1u);
  EXPECT_EQ(ex.cached(a.client())->root, o1.results_root) << "the signer's older entry is untouched";
  ASSERT_TRUE(ex.cached(99));
  EXPECT_EQ(ex.cached(99)->root, o2.results_root);
}

// Execution expands a distilled batch against the directory as executed before the block: an id
// not in it (final at the batch's checkers, signed up at or above this height) is skipped at
// every replica alike and counted; the other entries keep their seqs (a straggler its own).
TEST(SignUp, AnEntryWhoseIdIsNotInTheExecutedDirectoryIsSkippedAndCounted) {
  broker::MemoryDirectory dir;
  const Signer a(1), c(3);
  dir.add_trusted(0, {a.ed.public_key(), crypto::bls::public_key(a.bls)});
  dir.add_trusted(2, {c.ed.public_key(), crypto::bls::public_key(c.bls)});
  broker::DistilledBatch b;
  b.number = 1;
  b.raise = 9;
  for (uint32_t id : {0u, 1u, 2u}) b.entries.push(id, to_bytes("op" + std::to_string(id)));
  b.stragglers.push_back(broker::Straggler{1, 4, {}});  // the skipped one is a straggler
  b.stragglers.push_back(broker::Straggler{2, 5, {}});
  b.has_aggregate = true;
  const Bytes slot = distilled_part(broker::encode(b));
  size_t skipped = 0;
  std::vector<DistilledRef> refs;
  auto d = decode_slot(slot, &dir, &refs, &skipped);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(skipped, 1u);
  ASSERT_EQ(d->requests.size(), 2u);
  EXPECT_EQ(d->requests[0].client, a.client());
  EXPECT_EQ(d->requests[0].seq, 9u);
  EXPECT_EQ(d->requests[1].client, c.client());
  EXPECT_EQ(d->requests[1].seq, 5u) << "the straggler after the skipped one keeps its own seq";
  EXPECT_EQ(d->brokered, (std::vector<uint8_t>{1, 1}));
  EXPECT_EQ(refs.size(), 1u) << "the batch is still delivered: it was ordered";
  // A replica that got the block from a peer reads the same refs off its bytes, no directory
  // needed, alone or bundled beside a plain batch.
  auto alone = distilled_refs(slot);
  ASSERT_TRUE(alone) << alone.error().message;
  EXPECT_EQ(*alone, refs);
  auto bundled = distilled_refs(encode_bundle({encode_batch(Batch{}), slot}));
  ASSERT_TRUE(bundled) << bundled.error().message;
  EXPECT_EQ(*bundled, refs);
  EXPECT_TRUE(distilled_refs(encode_batch(Batch{}))->empty());
  const Bytes cut(slot.begin(), slot.end() - 1);
  EXPECT_FALSE(distilled_refs(cut)) << "a distilled part that does not decode is an error, not no batch";
}

// An application that answers every operation with its own bytes (as a KV get answers with a
// stored value): it must not be able to make a proven result that reads as a sign-up's.
struct Echo final : app::StateMachine {
  Bytes apply(const app::Invocation& in) override { return Bytes(in.op.begin(), in.op.end()); }
  void undo_to(uint64_t) override {}
  void make_final(uint64_t) override {}
  Hash32 digest() const override { return {}; }
  Bytes snapshot() const override { return {}; }
  Status restore(ByteView) override { return {}; }
};

TEST(SignUp, NoApplicationResultCanPassForASignUpResult) {
  Echo app;
  Executor ex(app);
  broker::SignupResult fake;
  fake.ok = true;
  fake.bls = crypto::bls::public_key(Signer(9).bls);
  const Bytes forged = broker::encode_signup_result(fake);
  Request r;
  r.client = 5;
  r.seq = 1;
  r.payload = forged;
  auto o = ex.execute(1, batch({r}));
  EXPECT_TRUE(o.replies[0].result.empty()) << "blanked: it began with the sign-up result tag";
  r.seq = 2;
  r.payload = to_bytes("an ordinary result");
  auto o2 = ex.execute(2, batch({r}));
  EXPECT_EQ(o2.replies[0].result, to_bytes("an ordinary result"));
}

}  // namespace
}  // namespace rampart::replica
