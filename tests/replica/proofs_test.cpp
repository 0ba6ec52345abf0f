// CART proof collection with a fake host (no sockets, disk or clock): shares combine only per
// view and block, our share waits for its sync, proofs are written and synced before DURABLE,
// replies wait for nf DURABLE acknowledgements of that very proof (or of checked ones), a block
// is proven only once its background check passed, a combination that fails it is made again
// from checked shares, and what peers lie about changes nothing.
#include "replica/proofs.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "crypto/fake.hpp"
#include "metric_value.hpp"

namespace rampart::replica {
namespace {

struct Sent {
  std::optional<NodeId> to;  // nullopt: broadcast
  PeerTag tag;
  ShareMsg msg;       // share, proof
  DurableMsg durable; // durable
};

class FakeHost final : public ProofHost {
 public:
  void send_peer(NodeId to, Bytes wire) override { record(to, wire); }
  void broadcast_peer(Bytes wire) override { record(std::nullopt, wire); }
  uint64_t request_sync() override { return ++gen; }
  void defer(std::function<void()> f) override { deferred.push_back(std::move(f)); }
  // Background checks wait until the test runs them (run_checks), as a slow thread would.
  void background(std::function<bool()> work, std::function<void(bool)> done) override {
    checks.push_back([work = std::move(work), done = std::move(done)] { done(work()); });
  }
  uint64_t now_ms() override { return now; }
  void arm_check_timer(uint64_t after_ms) override { check_timer.push_back(after_ms); }
  std::optional<ledger::Block> stored_block(uint64_t k) override {
    auto it = blocks.find(k);
    return it == blocks.end() ? std::nullopt : std::optional<ledger::Block>(it->second);
  }
  uint64_t last_final() override { return final_k; }
  uint64_t last_executed() override { return executed_k; }
  bool store_proof(uint64_t k, View view, const Bytes& sig) override {
    auto it = blocks.find(k);
    if (it == blocks.end()) return false;
    it->second.view = view;
    it->second.proof = sig;
    return true;
  }
  void deliver_replies(uint64_t k, const BlockProof& b) override {
    delivered.push_back({k, b.replies.size()});
    replied_with.push_back(b.group_sig);
  }
  void proof_persisted(uint64_t k) override { persisted.push_back(k); }
  void finality_may_advance() override { ++advance_asked; }

  void run_deferred() {
    auto d = std::move(deferred);
    deferred.clear();
    for (auto& f : d) f();
  }
  void run_checks() {
    auto c = std::move(checks);
    checks.clear();
    for (auto& f : c) f();
  }
  std::vector<Sent> of(PeerTag t) const {
    std::vector<Sent> out;
    for (const auto& s : sent)
      if (s.tag == t) out.push_back(s);
    return out;
  }

  uint64_t gen = 0, now = 1000, final_k = 0, executed_k = 0;
  std::map<uint64_t, ledger::Block> blocks;
  std::vector<std::function<void()>> deferred, checks;
  std::vector<uint64_t> check_timer;  // arm_check_timer calls
  std::vector<Sent> sent;
  std::vector<std::pair<uint64_t, size_t>> delivered;
  std::vector<Bytes> replied_with;
  std::vector<uint64_t> persisted;
  size_t advance_asked = 0;  // finality_may_advance calls

 private:
  void record(std::optional<NodeId> to, const Bytes& wire) {
    ASSERT_FALSE(wire.empty());
    const auto tag = static_cast<PeerTag>(wire[0]);
    Sent s{to, tag, {}, {}};
    if (tag == PeerTag::durable) {
      auto m = decode_durable(ByteView(wire).subspan(1));
      ASSERT_TRUE(m.ok());
      s.durable = *m;
    } else {
      auto m = decode_share(ByteView(wire).subspan(1));
      ASSERT_TRUE(m.ok());
      s.msg = *m;
    }
    sent.push_back(s);
  }
};

class ProofsTest : public ::testing::Test {
 protected:
  ProofsTest() : keys(4, 3, 7) {
    for (NodeId i = 0; i < 4; ++i) signers.push_back(keys.threshold_signer(i));
    proofs = std::make_unique<Proofs>(Proofs::Params{0, 4, 3, 16}, *signers[0], keys.threshold_verifier(), host, reg);
  }

  // Replica 0 executed block k (one reply) in view v; the block is in its ledger.
  Hash32 execute(uint64_t k, View v = 0, uint8_t variant = 0) {
    ledger::Block b;
    b.k = k;
    b.view = v;
    b.results_root[0] = variant;
    b.state_digest[0] = static_cast<uint8_t>(k);
    host.blocks[k] = b;
    host.executed_k = std::max(host.executed_k, k);
    auto tree = std::make_shared<const crypto::merkle::Tree>(std::vector<Hash32>{Hash32{}});
    proofs->executed(k, v, b, ledger::block_hash(b), {ReplyEntry{7, 1, ReplyKind::executed, to_bytes("ok")}}, tree);
    return ledger::block_hash(b);
  }
  ShareMsg share(NodeId who, uint64_t k, View v, const Hash32& head) {
    return {k, v, head, signers[who]->sign_share(ledger::proof_message(v, k, head))};
  }
  // Our share out (attested, then its sync), and two peers' shares of view v: a proof.
  void prove(uint64_t k, const Hash32& head, View v = 0) {
    proofs->attested(v, k);
    proofs->synced(host.gen);
    proofs->on_share(1, share(1, k, v, head));
    proofs->on_share(2, share(2, k, v, head));
  }
  // Block k executed, proven, its proof written, synced and checked here.
  Hash32 proven_block(uint64_t k) {
    const Hash32 head = execute(k);
    prove(k, head);
    host.run_deferred();
    proofs->synced(host.gen);
    host.run_checks();
    return head;
  }
  // A peer's acknowledgement of a proof it checked (it counts whatever bytes it holds).
  DurableMsg durable(uint64_t k, const Hash32& head, bool asks = false) { return {k, head, {}, true, asks}; }
  // A peer's acknowledgement of exactly the proof stored here for k, not checked by it.
  DurableMsg same_proof(uint64_t k, const Hash32& head) {
    const auto& b = host.blocks.at(k);
    return {k, head, proof_id(k, b.view, head, b.proof), false, false};
  }
  uint64_t bad_shares() const {
    std::ostringstream o;
    reg.render(o);
    std::istringstream in(o.str());
    for (std::string line; std::getline(in, line);)
      if (line.rfind("rampart_bad_reply_shares_total ", 0) == 0) return std::stoull(line.substr(line.find(' ') + 1));
    return ~uint64_t{0};
  }

  crypto::FakeKeyring keys;
  std::vector<std::unique_ptr<crypto::ThresholdSigner>> signers;
  FakeHost host;
  metrics::Registry reg;
  std::unique_ptr<Proofs> proofs;
};

TEST_F(ProofsTest, FromSharesToRepliesThroughOneSyncAndNfDurableBeforeTheBackgroundCheck) {
  const Hash32 head = execute(1);
  proofs->attested(0, 1);
  EXPECT_TRUE(host.of(PeerTag::share).empty()) << "our share waits for the sync that covers what it rests on";
  ASSERT_EQ(host.gen, 1u);
  proofs->synced(1);
  auto ours = host.of(PeerTag::share);
  ASSERT_EQ(ours.size(), 1u);
  EXPECT_FALSE(ours[0].to.has_value());
  EXPECT_EQ(ours[0].msg.hash, head);

  proofs->on_share(1, share(1, 1, 0, head));
  EXPECT_TRUE(host.deferred.empty()) << "two shares of three";
  proofs->on_share(2, share(2, 1, 0, head));
  ASSERT_EQ(host.deferred.size(), 1u);
  ASSERT_EQ(host.checks.size(), 1u) << "the combination is checked in the background";
  EXPECT_FALSE(proofs->proven(1));
  host.run_deferred();  // group commit: the proof is written, then one sync
  ASSERT_FALSE(host.blocks[1].proof.empty());
  EXPECT_TRUE(keys.threshold_verifier().verify_group(ledger::proof_message(0, 1, head), host.blocks[1].proof));
  ASSERT_EQ(host.gen, 2u);
  EXPECT_FALSE(proofs->proven(1)) << "written, not yet synced";

  EXPECT_FALSE(proofs->synced(2)) << "synced, not yet checked: nothing becomes final";
  EXPECT_FALSE(proofs->proven(1));
  EXPECT_TRUE(host.persisted.empty());
  auto d = host.of(PeerTag::durable);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].durable.proof, proof_id(1, 0, head, host.blocks[1].proof)) << "DURABLE names the proof's bytes";
  EXPECT_FALSE(d[0].durable.checked);
  EXPECT_FALSE(d[0].durable.ask);
  EXPECT_TRUE(host.delivered.empty()) << "synced here only";
  proofs->on_durable(1, same_proof(1, head));
  EXPECT_TRUE(host.delivered.empty());
  proofs->on_durable(2, same_proof(1, head));
  ASSERT_EQ(host.delivered.size(), 1u) << "nf replicas hold these very bytes: the replies leave before the check";
  EXPECT_EQ(host.delivered[0], (std::pair<uint64_t, size_t>{1, 1}));
  proofs->on_durable(3, same_proof(1, head));
  EXPECT_EQ(host.delivered.size(), 1u) << "replies go out once";

  EXPECT_EQ(host.advance_asked, 0u);
  host.run_checks();
  EXPECT_TRUE(proofs->proven(1));
  EXPECT_EQ(host.persisted, (std::vector<uint64_t>{1}));
  EXPECT_EQ(host.advance_asked, 1u) << "checked after its sync: finality is told apart from synced()";

  // Final: the replies stay for retries.
  host.final_k = 1;
  proofs->finalized(1);
  EXPECT_EQ(proofs->pending(), 0u);
  auto a = proofs->answered(1);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->replies.size(), 1u);
  EXPECT_EQ(a->view, 0u);
}

// A DURABLE that names other bytes than our proof says nothing about ours (an invalid
// combination's bytes could be anyone's) unless its sender checked what it holds.
TEST_F(ProofsTest, AnAcknowledgementOfOtherBytesCountsOnlyWhenItsSenderCheckedThem) {
  const Hash32 head = execute(1);
  prove(1, head);
  host.run_deferred();
  proofs->synced(host.gen);
  DurableMsg other{1, head, {}, false, false};
  other.proof[0] = 0x77;
  proofs->on_durable(1, other);
  proofs->on_durable(2, other);
  proofs->on_durable(3, other);
  EXPECT_TRUE(host.delivered.empty());
  other.checked = true;
  proofs->on_durable(2, other);
  EXPECT_TRUE(host.delivered.empty()) << "ours and one checked: two of three";
  proofs->on_durable(3, other);
  EXPECT_EQ(host.delivered.size(), 1u);
}

TEST_F(ProofsTest, SharesOfDifferentViewsDoNotCombine) {
  const Hash32 head = execute(1);
  proofs->attested(0, 1);
  proofs->synced(host.gen);
  proofs->on_share(1, share(1, 1, 0, head));
  proofs->on_share(2, share(2, 1, 1, head));  // nf shares for k, but of two views (I2)
  EXPECT_TRUE(host.deferred.empty());
  proofs->on_share(3, share(3, 1, 0, head));
  ASSERT_EQ(host.deferred.size(), 1u);
  host.run_deferred();
  EXPECT_EQ(host.blocks[1].view, 0u);
}

// A combination with a bad share among its nf is garbage that only its check finds. Its replies
// may have left (a client drops them: it checks every proof); the check fails, the shares are
// checked one by one, the liar is caught, and once a good nth share comes the valid proof is
// written, acknowledged and answered again. Nothing is proven on the bad one.
TEST_F(ProofsTest, ACombinationThatFailsItsCheckIsMadeAgainFromCheckedSharesAndAnsweredAgain) {
  const Hash32 head = execute(1);
  proofs->attested(0, 1);
  proofs->synced(host.gen);
  ShareMsg wrong = share(1, 1, 0, head);
  wrong.share = signers[1]->sign_share(to_bytes("something else"));  // well-formed, over another message
  proofs->on_share(1, wrong);
  proofs->on_share(2, share(2, 1, 0, head));
  host.run_deferred();
  const Bytes garbage = host.blocks[1].proof;
  ASSERT_FALSE(garbage.empty());
  EXPECT_FALSE(keys.threshold_verifier().verify_group(ledger::proof_message(0, 1, head), garbage));
  EXPECT_FALSE(proofs->synced(host.gen));
  proofs->on_durable(1, same_proof(1, head));
  proofs->on_durable(2, same_proof(1, head));
  ASSERT_EQ(host.delivered.size(), 1u) << "sent, and refused by the clients";
  EXPECT_EQ(bad_shares(), 0u) << "not known yet";

  host.run_checks();
  EXPECT_EQ(bad_shares(), 1u) << "the check failed: each share checked, the liar's found";
  EXPECT_FALSE(proofs->proven(1));
  EXPECT_TRUE(host.persisted.empty());
  EXPECT_TRUE(host.deferred.empty()) << "two good shares of three: nothing to write yet";

  proofs->on_share(3, share(3, 1, 0, head));
  ASSERT_EQ(host.deferred.size(), 1u);
  host.run_deferred();
  EXPECT_TRUE(keys.threshold_verifier().verify_group(ledger::proof_message(0, 1, head), host.blocks[1].proof));
  EXPECT_FALSE(proofs->synced(host.gen));
  proofs->on_durable(2, same_proof(1, head));
  proofs->on_durable(3, same_proof(1, head));
  ASSERT_EQ(host.delivered.size(), 2u) << "answered again, with the valid proof";
  EXPECT_TRUE(keys.threshold_verifier().verify_group(ledger::proof_message(0, 1, head), host.replied_with[1]));
  host.run_checks();
  EXPECT_TRUE(proofs->proven(1));
  EXPECT_EQ(host.persisted, (std::vector<uint64_t>{1}));
  EXPECT_EQ(testing::metric_value(reg, "rampart_bad_proofs_combined_total"), 1u);
}

// A replica caught with a bad share once is not trusted to complete the next nf: the proof
// waits for the share still missing (one pairing) instead of combining with its share first
// (n + 1 pairings when it lies again); if that share never comes, tick() combines with what
// there is, so a liar that turned honest cannot stall a block whose nth sender is down.
TEST_F(ProofsTest, ACaughtLiarsSharesWaitForTheMissingOneAndTickCombinesWithoutIt) {
  auto bad_share = [&](uint64_t k, const Hash32& head) {
    ShareMsg m = share(1, k, 0, head);
    m.share = signers[1]->sign_share(to_bytes("another block"));
    return m;
  };
  const Hash32 h1 = execute(1);
  proofs->attested(0, 1);
  proofs->synced(host.gen);
  proofs->on_share(1, bad_share(1, h1));
  proofs->on_share(2, share(2, 1, 0, h1));
  host.run_deferred();
  host.run_checks();
  ASSERT_EQ(bad_shares(), 1u);  // caught by the failed check
  proofs->on_share(3, share(3, 1, 0, h1));
  ASSERT_EQ(host.deferred.size(), 1u);
  host.run_deferred();

  // Block 2: the liar's share comes second; nothing is combined until a trusted third arrives,
  // and then its share is not even looked at.
  const Hash32 h2 = execute(2);
  proofs->attested(0, 2);
  proofs->synced(host.gen);
  proofs->on_share(1, bad_share(2, h2));
  proofs->on_share(2, share(2, 2, 0, h2));
  EXPECT_TRUE(host.deferred.empty());
  EXPECT_EQ(bad_shares(), 1u);
  proofs->on_share(3, share(3, 2, 0, h2));
  ASSERT_EQ(host.deferred.size(), 1u);
  EXPECT_EQ(bad_shares(), 1u);
  host.run_deferred();

  // Block 3: replica 3 is down and the former liar sends a good share: tick() combines it.
  const Hash32 h3 = execute(3);
  proofs->attested(0, 3);
  proofs->synced(host.gen);
  proofs->on_share(1, share(1, 3, 0, h3));
  proofs->on_share(2, share(2, 3, 0, h3));
  EXPECT_TRUE(host.deferred.empty());
  proofs->tick();
  EXPECT_EQ(host.deferred.size(), 1u);
  EXPECT_EQ(bad_shares(), 1u);
}

TEST_F(ProofsTest, OtherBlocksAndFarSeqsAreNotCollected) {
  const Hash32 head = execute(1);
  const Hash32 other = execute(2, 0, 9);
  proofs->attested(0, 1);
  proofs->synced(host.gen);
  proofs->on_share(1, share(1, 1, 0, other));  // shares for a block we did not execute at 1
  proofs->on_share(2, share(2, 1, 0, other));
  proofs->on_share(3, share(3, 1, 0, other));
  EXPECT_TRUE(host.deferred.empty());
  proofs->on_share(1, share(1, 100, 0, head));  // beyond 4 windows of what we executed
  EXPECT_EQ(proofs->pending(), 2u);
}

TEST_F(ProofsTest, AProofThatCameEarlyIsAdoptedAtExecution) {
  ledger::Block b;
  b.k = 1;
  b.state_digest[0] = 1;
  const Hash32 head = ledger::block_hash(b);
  auto sig = keys.threshold_verifier().combine(ledger::proof_message(0, 1, head),
                                               {{1, share(1, 1, 0, head).share}, {2, share(2, 1, 0, head).share},
                                                {3, share(3, 1, 0, head).share}});
  ASSERT_TRUE(sig.has_value());
  proofs->on_proof(1, {1, 0, head, Bytes{0xff}});  // not a proof: refused and counted
  EXPECT_EQ(bad_shares(), 1u);
  proofs->on_proof(1, {1, 0, head, *sig});
  EXPECT_TRUE(host.deferred.empty()) << "nothing executed yet";
  EXPECT_EQ(execute(1), head);
  ASSERT_EQ(host.deferred.size(), 1u);
  host.run_deferred();
  EXPECT_EQ(host.blocks[1].proof, *sig);
}

TEST_F(ProofsTest, DurableForAnotherBlockDoesNotCount) {
  const Hash32 head = proven_block(1);
  Hash32 lie = head;
  lie[0] ^= 1;
  proofs->on_durable(1, durable(1, lie));
  proofs->on_durable(2, durable(1, lie));
  proofs->on_durable(3, durable(1, lie));
  EXPECT_TRUE(host.delivered.empty());
  proofs->on_durable(1, durable(1, head));
  proofs->on_durable(1, durable(1, head));  // the same replica twice counts once
  EXPECT_TRUE(host.delivered.empty());
  proofs->on_durable(3, durable(1, head));
  EXPECT_EQ(host.delivered.size(), 1u);
}

TEST_F(ProofsTest, ARollbackBeforeTheSyncKeepsTheProofFromCounting) {
  const Hash32 head = execute(1);
  prove(1, head);
  host.run_deferred();
  host.blocks.erase(1);  // the replica undid block 1 (its ledger truncated above 0)
  host.executed_k = 0;
  proofs->rolled_back(0);
  proofs->synced(host.gen);
  EXPECT_TRUE(host.persisted.empty()) << "the proof was for what was undone";
  EXPECT_FALSE(proofs->proven(1));
  EXPECT_TRUE(host.of(PeerTag::durable).empty());
}

TEST_F(ProofsTest, PeersLaggingOnAProvenBlockGetTheProofAndOurDurable) {
  const Hash32 head = proven_block(1);
  host.sent.clear();
  proofs->on_share(3, share(3, 1, 0, head));  // a peer still collecting shares
  auto p = host.of(PeerTag::proof);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].to, std::optional<NodeId>(3));
  EXPECT_TRUE(keys.threshold_verifier().verify_group(ledger::proof_message(p[0].msg.view, 1, head), p[0].msg.share));
  proofs->on_durable(3, durable(1, head, /*asks=*/true));
  auto d = host.of(PeerTag::durable);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].to, std::optional<NodeId>(3));
  EXPECT_TRUE(d[0].durable.checked);
  EXPECT_FALSE(d[0].durable.ask);
}

// Block 2's checkers are replicas 1 and 2, not us: our combination is not checked here; f + 1
// checkers saying they checked these very bytes make it checked (one of them is correct), and
// one checker alone, or a checker of other bytes, does not.
TEST_F(ProofsTest, ANonCheckerTakesItsProofAsCheckedOnceFPlusOneCheckersVouchForItsBytes) {
  const Hash32 head = execute(2);
  prove(2, head);
  host.run_deferred();
  EXPECT_TRUE(host.checks.empty()) << "not one of block 2's checkers";
  EXPECT_FALSE(proofs->synced(host.gen));
  DurableMsg checker = same_proof(2, head);
  checker.checked = true;
  proofs->on_durable(1, checker);
  DurableMsg other = checker;
  other.proof[0] ^= 1;
  proofs->on_durable(3, other);
  EXPECT_FALSE(proofs->proven(2)) << "one checker of these bytes, one of other bytes";
  proofs->on_durable(2, checker);
  EXPECT_TRUE(proofs->proven(2));
  EXPECT_EQ(host.persisted, (std::vector<uint64_t>{2}));
  EXPECT_EQ(host.advance_asked, 1u);
  EXPECT_TRUE(host.checks.empty()) << "no pairing of our own";
}

// If the checkers do not vouch in time (down, or they hold other bytes), a non-checker checks
// its proof itself when its check timer fires (or at a tick, if that comes first).
TEST_F(ProofsTest, ANonCheckerNotVouchedForInTimeChecksItsProofItself) {
  const Hash32 head = execute(2);
  prove(2, head);
  EXPECT_EQ(host.check_timer, (std::vector<uint64_t>{Proofs::kCheckAfterMs}));
  host.run_deferred();
  proofs->synced(host.gen);
  host.now += Proofs::kCheckAfterMs - 5;
  proofs->check_overdue();  // the timer, early (a tick)
  EXPECT_TRUE(host.checks.empty()) << "still within kCheckAfterMs";
  EXPECT_EQ(host.check_timer.back(), 5u) << "armed again for what is left";
  host.now += 5;
  proofs->check_overdue();
  ASSERT_EQ(host.checks.size(), 1u);
  proofs->tick();
  EXPECT_EQ(host.checks.size(), 1u) << "once";
  host.run_checks();
  EXPECT_TRUE(proofs->proven(2));
  auto d = host.of(PeerTag::durable);
  ASSERT_FALSE(d.empty());
  EXPECT_TRUE(d.back().durable.checked) << "and says so, as a checker does";
}

// An acknowledgement's checked flag belongs to the bytes it named: a peer that checked one proof
// and then names other bytes (a re-execution after a view change) does not vouch for those.
TEST_F(ProofsTest, ACheckedFlagDoesNotCarryOverToOtherBytes) {
  const Hash32 head = execute(2);
  prove(2, head);
  host.run_deferred();
  DurableMsg ours = same_proof(2, head);
  DurableMsg before = ours;
  before.proof[0] ^= 1;
  before.checked = true;
  proofs->on_durable(1, before);
  proofs->on_durable(1, ours);  // not checked
  ours.checked = true;
  proofs->on_durable(2, ours);
  EXPECT_FALSE(proofs->synced(host.gen));
  EXPECT_FALSE(proofs->proven(2)) << "only replica 2 vouched for these bytes";
}

TEST_F(ProofsTest, AProofNotCheckedYetIsNotHandedToPeers) {
  const Hash32 head = execute(1);
  prove(1, head);
  host.run_deferred();
  proofs->synced(host.gen);
  host.sent.clear();
  proofs->on_share(3, share(3, 1, 0, head));
  EXPECT_TRUE(host.of(PeerTag::proof).empty()) << "a lagging peer would only have to check it itself";
  host.run_checks();
  proofs->on_share(3, share(3, 1, 0, head));
  EXPECT_EQ(host.of(PeerTag::proof).size(), 1u);
}

TEST_F(ProofsTest, LostAcknowledgementsAndSharesAreAskedForAgainNoFasterThanTheResendPeriod) {
  const Hash32 head = proven_block(1);
  host.sent.clear();
  proofs->tick();
  EXPECT_TRUE(host.of(PeerTag::durable).empty()) << "asked just now";
  host.now += Proofs::kResendMs;
  proofs->tick();
  auto d = host.of(PeerTag::durable);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].durable.ask) << "asks for the peers' acknowledgements";
  EXPECT_EQ(d[0].durable.head, head) << "for block 1 as executed";
  EXPECT_TRUE(d[0].durable.checked) << "of a proof checked here";
  EXPECT_EQ(d[0].durable.proof, proof_id(1, 0, head, host.blocks[1].proof));

  const Hash32 h2 = execute(2);
  proofs->attested(0, 2);
  proofs->synced(host.gen);
  host.sent.clear();
  proofs->blocked_at(2);
  EXPECT_EQ(host.of(PeerTag::share).size(), 1u);
  proofs->blocked_at(2);
  EXPECT_EQ(host.of(PeerTag::share).size(), 1u) << "at most every kResendMs";
  (void)h2;
}

}  // namespace
}  // namespace rampart::replica
