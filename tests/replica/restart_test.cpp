// Unit tests of replica/restart (no processes): a checkpoint offered in state transfer is adopted
// only with a certificate the protocol verifies, and the restart handshake decides the height
// to resume from only when that is safe.
#include <gtest/gtest.h>

#include "consensus/pbft/messages.hpp"
#include "consensus/poe/messages.hpp"
#include "crypto/fake.hpp"
#include "ledger/fixture.hpp"
#include "replica/restart.hpp"

namespace rampart::replica {
namespace {

using consensus::NodeId;

struct NullEnv : consensus::Env {
  void send(NodeId, Bytes) override {}
  void broadcast(Bytes) override {}
  bool validate_batch(ByteView) override { return true; }
  consensus::ExecResult execute(consensus::Seq, consensus::View, ByteView) override { return {}; }
  void rollback(consensus::Seq) override {}
  void final(consensus::Seq) override {}
  void checkpoint_stable(consensus::Seq, const Hash32&) override {}
  void view_changed(consensus::View, NodeId) override {}
  void set_timer(consensus::TimerKind, uint64_t) override {}
  void cancel_timer(consensus::TimerKind) override {}
};

struct Harness {
  crypto::FakeKeyring keys{4, 3, 42};
  std::vector<std::unique_ptr<crypto::Signer>> signers;
  std::unique_ptr<crypto::ThresholdSigner> ts = keys.threshold_signer(0);
  NullEnv env;
  std::unique_ptr<consensus::Protocol> proto;
  bool poe;

  explicit Harness(bool is_poe) : poe(is_poe) {
    for (NodeId i = 0; i < 4; ++i) signers.push_back(keys.signer(i));
    consensus::Config c;
    c.n = 4;
    c.f = 1;
    c.checkpoint_interval = 16;
    c.window = 64;
    consensus::Crypto cc{signers[0].get(), &keys.verifier(), ts.get(), &keys.threshold_verifier()};
    proto = poe ? consensus::make_poe(c, cc, env) : consensus::make_pbft(c, cc, env);
  }
  Bytes statement(uint64_t k, const Hash32& d, NodeId who) const {
    return poe ? consensus::poe::checkpoint_statement(0, k, d) : consensus::pbft::checkpoint_body(k, d, who);
  }
  ledger::CheckpointRecord record(uint64_t k, const Hash32& d, std::vector<NodeId> who) const {
    ledger::CheckpointRecord r{k, 0, d, d, {}};
    for (NodeId i : who) r.signatures.push_back({i, signers[i]->sign(statement(k, d, i))});
    return r;
  }
};

Hash32 digest(uint8_t b) {
  Hash32 h{};
  h.fill(b);
  return h;
}

class OfferedCheckpoint : public ::testing::TestWithParam<bool> {};

TEST_P(OfferedCheckpoint, AdoptedOnlyWithAValidCertificate) {
  Harness h(GetParam());
  const Hash32 d = digest(7);
  // nf = 3 valid signatures on exactly the checkpoint we asked for: accepted.
  EXPECT_TRUE(check_offered_checkpoint(*h.proto, h.record(32, d, {0, 1, 2}), 32, d));
  EXPECT_TRUE(check_offered_checkpoint(*h.proto, h.record(32, d, {1, 2, 3}), 32, d));

  // No certificate (what format-1 checkpoint records held), or fewer than nf signatures.
  auto none = h.record(32, d, {});
  auto st = check_offered_checkpoint(*h.proto, none, 32, d);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("certificate does not verify"), std::string::npos);
  EXPECT_FALSE(check_offered_checkpoint(*h.proto, h.record(32, d, {0, 1}), 32, d));

  // One forged signature among three.
  auto forged = h.record(32, d, {0, 1, 2});
  forged.signatures[2].sig[0] ^= 1;
  EXPECT_FALSE(check_offered_checkpoint(*h.proto, forged, 32, d));

  // The same replica three times.
  auto dup = h.record(32, d, {1, 1, 1});
  EXPECT_FALSE(check_offered_checkpoint(*h.proto, dup, 32, d));

  // Signatures over another digest, relabelled with ours.
  auto other = h.record(32, digest(8), {0, 1, 2});
  other.state_digest = d;
  EXPECT_FALSE(check_offered_checkpoint(*h.proto, other, 32, d));

  // A valid certificate, but not the checkpoint the protocol asked for.
  EXPECT_FALSE(check_offered_checkpoint(*h.proto, h.record(48, d, {0, 1, 2}), 32, d));
  EXPECT_FALSE(check_offered_checkpoint(*h.proto, h.record(32, d, {0, 1, 2}), 32, digest(9)));

  // Not a checkpoint sequence number at all.
  EXPECT_FALSE(check_offered_checkpoint(*h.proto, h.record(33, d, {0, 1, 2}), 33, d));
}

INSTANTIATE_TEST_SUITE_P(Protocols, OfferedCheckpoint, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? std::string("Poe") : std::string("Pbft"); });

TEST(OfferedCheckpoint, PoeSignaturesDoNotPassForPbftAndBack) {
  Harness poe(true), pbft(false);
  const Hash32 d = digest(3);
  EXPECT_FALSE(check_offered_checkpoint(*pbft.proto, poe.record(16, d, {0, 1, 2}), 16, d));
  EXPECT_FALSE(check_offered_checkpoint(*poe.proto, pbft.record(16, d, {0, 1, 2}), 16, d));
}

TEST(RestartSync, WaitsForEveryPeerOrAGracePeriodAfterNf) {
  using C = RestartSync::Clock;
  auto t0 = C::now();
  RestartSync s(4, 1, 0, 10, std::chrono::milliseconds(2000));
  EXPECT_FALSE(s.decided(t0));
  s.on_status(1, {12, false}, t0);
  s.on_status(2, {9, false}, t0);
  EXPECT_FALSE(s.decided(t0 + std::chrono::milliseconds(1999)));  // nf, but the 4th may hold more
  EXPECT_TRUE(s.decided(t0 + std::chrono::milliseconds(2000)));
  EXPECT_EQ(s.target(), 12u);
  s.on_status(3, {50, false}, t0);  // after the decision: ignored, target fixed
  EXPECT_EQ(s.target(), 12u);
  EXPECT_EQ(s.source_for(12), std::optional<NodeId>(1));
  EXPECT_EQ(s.source_for(13), std::nullopt);
}

TEST(RestartSync, AllPeersOrFPlusOneServingPeersDecideAtOnce) {
  auto t0 = RestartSync::Clock::now();
  RestartSync all(4, 1, 2, 5, std::chrono::milliseconds(2000));
  all.on_status(0, {5, false}, t0);
  all.on_status(1, {3, false}, t0);
  all.on_status(3, {8, false}, t0);
  all.on_status(2, {99, false}, t0);  // ourselves: ignored
  EXPECT_TRUE(all.decided(t0));
  EXPECT_EQ(all.target(), 8u);

  // One serving status could be a faulty peer's: f + 1 of them decide at once.
  RestartSync live(4, 1, 3, 100, std::chrono::milliseconds(2000));
  live.on_status(0, {400, true}, t0);
  EXPECT_FALSE(live.decided(t0));
  live.on_status(1, {390, true}, t0);
  EXPECT_TRUE(live.decided(t0));
  EXPECT_EQ(live.target(), 400u);
  // A claim nobody serves is dropped: the target falls to the highest one left.
  live.unreachable(0);
  EXPECT_EQ(live.target(), 390u);
  live.unreachable(1);
  EXPECT_EQ(live.target(), 100u);  // our own

  RestartSync alone(1, 0, 0, 7, std::chrono::milliseconds(2000));  // f = 0: nobody to ask
  EXPECT_TRUE(alone.decided(t0));
  EXPECT_EQ(alone.target(), 7u);
}

TEST(RecoveryWire, RoundTripsAndRejectsMalformed) {
  auto s = decode_status(encode_status({77, true}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->last_final, 77u);
  EXPECT_TRUE(s->serving);
  Bytes bad = encode_status({1, false});
  bad.back() = 2;
  EXPECT_FALSE(decode_status(bad));
  bad.push_back(0);
  EXPECT_FALSE(decode_status(bad));
  EXPECT_FALSE(decode_hello(Bytes{1, 2, 3}));

  BlocksResp r;
  ledger::Block b;
  b.k = 5;
  b.view = 3;
  b.proof = {1, 2};
  r.blocks.push_back(b);
  r.batches.push_back({9, 9, 9});
  auto d = decode_blocks_resp(encode_blocks_resp(r));
  ASSERT_TRUE(d);
  ASSERT_EQ(d->blocks.size(), 1u);
  EXPECT_EQ(d->blocks[0], b);
  EXPECT_EQ(d->batches[0], r.batches[0]);
  Bytes trunc = encode_blocks_resp(r);
  trunc.pop_back();
  EXPECT_FALSE(decode_blocks_resp(trunc));
}

// ---- ForkResolver: ours is blocks 1..10; the cluster's chain forks at `at` and runs to 14.
struct Blocks {  // a copyable chain (ledger::testing::Chain holds keys)
  std::vector<ledger::Block> blocks;
  std::vector<Bytes> batches;
};

struct Fork {
  ledger::testing::Chain ours, theirs_chain, longer_chain;
  Blocks theirs, longer;  // longer: ours continued to 14
  explicit Fork(uint64_t at) {
    for (uint64_t k = 1; k <= 14; ++k) {
      if (k <= 10) ours.next();
      theirs_chain.next(true, k >= at ? "-theirs" : "");
      longer_chain.next();
    }
    theirs = {theirs_chain.blocks, theirs_chain.batches};
    longer = {longer_chain.blocks, longer_chain.batches};
  }
  ForkResolver::OwnBlock own() const {
    return [this](uint64_t k) -> Result<ledger::Block> {
      if (k >= ours.blocks.size()) return err("no block " + std::to_string(k));
      return ours.blocks[k];
    };
  }
  static Blocks range(const Blocks& c, uint64_t from, uint64_t to) {
    Blocks r;
    for (uint64_t k = from; k <= to && k < c.blocks.size(); ++k) {
      r.blocks.push_back(c.blocks[k]);
      r.batches.push_back(c.batches[k]);
    }
    return r;
  }
  ForkResolver::Verdict offer(ForkResolver& fr, NodeId peer, const Blocks& c, uint64_t to = 14) const {
    Blocks r = range(c, fr.from(), to);
    return fr.on_blocks(peer, r.blocks, r.batches, own(), ours.tv());
  }
};

using V = ForkResolver::Verdict;

TEST(ForkResolver, DropsOurBlocksOnlyWhenFPlusOnePeersShowTheSameProvenFork) {
  Fork x(8);
  ForkResolver fr(1, 10, 4);
  EXPECT_EQ(fr.from(), 7u);  // step back from our last block
  EXPECT_EQ(x.offer(fr, 1, x.theirs), V::more);
  EXPECT_EQ(fr.height(), 8u);  // 7 matched, 8 differs
  EXPECT_EQ(fr.from(), 8u);
  EXPECT_EQ(x.offer(fr, 1, x.theirs), V::more) << "one peer, however often, is not evidence";
  EXPECT_EQ(x.offer(fr, 2, x.theirs), V::abandon);
  EXPECT_EQ(fr.height(), 8u);
}

TEST(ForkResolver, StepsBackUntilAPeersBlockMatchesOurs) {
  Fork x(3);
  ForkResolver fr(1, 10, 4);
  EXPECT_EQ(x.offer(fr, 1, x.theirs, 9), V::more);  // 7 differs: lower
  EXPECT_EQ(fr.from(), 3u);
  EXPECT_EQ(x.offer(fr, 2, x.theirs, 9), V::more);  // 3 differs too
  EXPECT_EQ(fr.from(), 1u);
  EXPECT_EQ(x.offer(fr, 3, x.theirs, 9), V::more);  // 1, 2 match, 3 differs
  EXPECT_EQ(fr.height(), 3u);
  EXPECT_EQ(x.offer(fr, 1, x.theirs, 9), V::abandon);
  EXPECT_EQ(fr.height(), 3u);
}

TEST(ForkResolver, ByzantineEvidenceIsRefused) {
  Fork x(8);
  // A forged proof on the forking block, and a fork whose blocks do not link.
  Blocks forged = x.theirs;
  forged.blocks[9].proof = forged.blocks[8].proof;
  ForkResolver fr(1, 10, 4);
  EXPECT_EQ(x.offer(fr, 1, forged), V::bad_peer);
  EXPECT_EQ(fr.height(), 0u);
  Blocks unlinked = x.theirs;
  unlinked.blocks[10].prev_hash[0] ^= 1;
  EXPECT_EQ(x.offer(fr, 1, unlinked), V::bad_peer);
  // A response for another height than asked changes nothing.
  Blocks early = Fork::range(x.theirs, 2, 14);
  EXPECT_EQ(fr.on_blocks(1, early.blocks, early.batches, x.own(), x.ours.tv()), V::more);
  EXPECT_EQ(fr.from(), 7u);
  // Blocks and batches that do not pair up.
  Blocks unpaired = Fork::range(x.theirs, 7, 14);
  unpaired.batches.pop_back();
  EXPECT_EQ(fr.on_blocks(1, unpaired.blocks, unpaired.batches, x.own(), x.ours.tv()), V::more);
  EXPECT_EQ(fr.height(), 0u);
}

TEST(ForkResolver, PeersHoldingOurChainRefuteTheFork) {
  Fork x(8);
  // A peer whose chain continues ours: no fork (the broken link came from someone else).
  ForkResolver a(1, 10, 4);
  EXPECT_EQ(x.offer(a, 2, x.longer), V::not_a_fork);
  // One (Byzantine) peer shows a fork; f + 1 others hold our block at its height.
  ForkResolver b(1, 10, 4);
  EXPECT_EQ(x.offer(b, 1, x.theirs), V::more);
  EXPECT_EQ(b.height(), 8u);
  EXPECT_EQ(x.offer(b, 2, x.longer), V::more);
  EXPECT_EQ(x.offer(b, 3, x.longer), V::not_a_fork);
}

}  // namespace
}  // namespace rampart::replica
