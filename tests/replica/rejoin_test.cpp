// The restart handshake's driver with a fake host and a ledger in memory (no sockets, disk or
// clock): HELLO goes out only on the tick, the replica resumes once the height to resume from is
// fixed and reached, blocks that fail the checks are refused and change nothing, and our blocks
// from a fork on are dropped only on f + 1 peers' evidence.
#include "replica/rejoin.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "replica/history.hpp"
#include "replica/mem_store.hpp"
#include "replica/metric_value.hpp"
#include "replica/peer_msg.hpp"

namespace rampart::replica {
namespace {

using consensus::NodeId;
using testing::History;
using testing::Seen;
using testing::hold_first;
using testing::MemStore;
using testing::metric_value;

struct Sent {
  std::optional<NodeId> to;  // nullopt: broadcast
  Bytes wire;
  PeerTag tag() const { return static_cast<PeerTag>(wire.at(0)); }
  ByteView body() const { return ByteView(wire).subspan(1); }
};

class FakeHost final : public RejoinHost {
 public:
  void send_peer(NodeId to, Bytes wire) override { sent.push_back({to, std::move(wire)}); }
  void broadcast_peer(Bytes wire) override { sent.push_back({std::nullopt, std::move(wire)}); }
  uint64_t now_ms() override { return now; }
  void arm_sync_timer(uint64_t after_ms) override { timer = after_ms; }
  void cancel_sync_timer() override { timer.reset(); }
  void resume(uint64_t target) override { resumed.push_back(target); }
  void heights_changed() override { ++heights; }
  void abandoning(uint64_t d) override { abandoned_from.push_back(d); }
  void old_chain_dropped() override { ++dropped; }
  void fail_stop() override { stopped = true; }

  size_t count(PeerTag t) const {
    size_t n = 0;
    for (const auto& s : sent) n += s.tag() == t;
    return n;
  }
  const Sent& last(PeerTag t) const {
    for (auto it = sent.rbegin(); it != sent.rend(); ++it)
      if (it->tag() == t) return *it;
    throw std::runtime_error("nothing sent with that tag");
  }
  // The height the last BLOCKS_REQ asked from, and whom.
  std::pair<NodeId, uint64_t> last_blocks_req() const {
    const auto& s = last(PeerTag::blocks_req);
    return {*s.to, *decode_blocks_req(s.body())};
  }

  uint64_t now = 10'000;
  std::vector<Sent> sent;
  std::optional<uint64_t> timer;
  std::vector<uint64_t> resumed, abandoned_from;
  int heights = 0, dropped = 0;
  bool stopped = false;
};

BlocksResp blocks_of(const History& h, uint64_t from, uint64_t to) {
  BlocksResp r;
  for (uint64_t k = from; k <= to; ++k) {
    r.blocks.push_back(h.blocks[k]);
    r.batches.push_back(h.batches[k]);
  }
  return r;
}

// Replica 0 of 4 (f = 1), restarted holding the history's first `have` blocks, final.
struct Restarted {
  MemStore store;
  app::kv::KvStore kv_app;
  Executor exec{kv_app};
  CheckpointKeep keep;
  FakeHost host;
  metrics::Registry reg;
  Rejoin rj;

  Restarted(const History& h, uint64_t have)
      : store(h.blocks[0], h.batches[0]), rj(init(h, have), store, exec, keep, h.keys.threshold_verifier(), h.snaps[0], host, reg) {}
  Rejoin::Params init(const History& h, uint64_t have) {
    hold_first(h, have, store, exec);
    return {0, 4, 1};
  }
  Seen seen() const { return testing::seen(store, exec); }
};

TEST(Rejoin, SaysHelloOnlyOnTheTick) {
  History h(6);
  Restarted r(h, 6);
  r.rj.start();
  ASSERT_EQ(r.host.count(PeerTag::hello), 1u);
  const auto& hello = r.host.last(PeerTag::hello);
  EXPECT_FALSE(hello.to);  // to every peer
  EXPECT_EQ(*decode_hello(hello.body()), 6u);
  EXPECT_EQ(r.host.timer, Rejoin::kHelloMs);
  // A STATUS that does not settle the height, and a peer's HELLO: answered, but no HELLO of ours,
  // or two restarting replicas would keep each other talking.
  r.rj.on_status(1, {6, false});
  r.rj.on_hello(2);
  EXPECT_EQ(r.host.count(PeerTag::hello), 1u);
  const auto& status = r.host.last(PeerTag::status);
  EXPECT_EQ(status.to, NodeId{2});
  auto s = decode_status(status.body());
  EXPECT_EQ(s->last_final, 6u);
  EXPECT_FALSE(s->serving);
  r.host.now += Rejoin::kHelloMs;
  r.rj.on_timer();
  EXPECT_EQ(r.host.count(PeerTag::hello), 2u);
  EXPECT_TRUE(r.host.resumed.empty());
  EXPECT_TRUE(r.rj.syncing());
}

TEST(Rejoin, ResumesOnceFPlusOneServingPeersAnswer) {
  History h(6);
  Restarted r(h, 6);
  r.rj.start();
  r.rj.on_status(3, {5, true});  // one serving peer could be a faulty one
  EXPECT_TRUE(r.host.resumed.empty());
  EXPECT_TRUE(r.rj.syncing());
  r.rj.on_status(2, {6, true});  // f + 1: the cluster runs; the height is the highest heard
  EXPECT_EQ(r.host.resumed, std::vector<uint64_t>{6});
  EXPECT_FALSE(r.rj.syncing());
  EXPECT_FALSE(r.host.timer);
  EXPECT_EQ(r.host.count(PeerTag::blocks_req), 0u);
  // After resuming: ticks and statuses do nothing; HELLOs are answered as serving.
  r.rj.on_timer();
  r.rj.on_status(1, {9, true});
  EXPECT_EQ(r.host.count(PeerTag::hello), 1u);
  EXPECT_EQ(r.host.resumed.size(), 1u);
  r.rj.on_hello(1);
  EXPECT_TRUE(decode_status(r.host.last(PeerTag::status).body())->serving);
}

TEST(Rejoin, WithoutAServingPeerWaitsForNfAndTheGracePeriod) {
  History h(6);
  Restarted r(h, 6);
  r.rj.start();
  r.rj.on_status(1, {6, false});
  r.rj.on_status(2, {4, false});  // nf = 3 with ours, but the fourth may hold more
  EXPECT_TRUE(r.host.resumed.empty());
  r.host.now += Rejoin::kGraceMs - 1;
  r.rj.on_timer();
  EXPECT_TRUE(r.host.resumed.empty());
  r.host.now += 1;
  r.rj.on_timer();
  EXPECT_EQ(r.host.resumed, std::vector<uint64_t>{6});
}

TEST(Rejoin, CatchesUpFromThePeerThatClaimedMoreThenResumes) {
  History h(10);
  Restarted r(h, 4);
  r.rj.start();
  r.rj.on_status(1, {10, true});
  EXPECT_EQ(r.host.count(PeerTag::blocks_req), 0u);
  r.rj.on_status(2, {4, true});
  EXPECT_TRUE(r.host.resumed.empty());
  EXPECT_EQ(r.host.last_blocks_req(), std::make_pair(NodeId{1}, uint64_t{5}));
  r.rj.on_blocks_resp(1, blocks_of(h, 5, 10));
  EXPECT_EQ(r.store.last_final(), 10u);
  EXPECT_EQ(r.exec.last_executed(), 10u);
  EXPECT_EQ(r.exec.state_digest(), h.blocks[10].state_digest);
  EXPECT_GE(r.host.heights, 1);
  EXPECT_EQ(r.host.resumed, std::vector<uint64_t>{10});
}

TEST(Rejoin, ServesItsFinalBlocks) {
  History h(10);
  Restarted r(h, 10);
  r.rj.on_blocks_req(2, 0);
  const auto& s = r.host.last(PeerTag::blocks_resp);
  EXPECT_EQ(s.to, NodeId{2});
  auto b = decode_blocks_resp(s.body());
  ASSERT_TRUE(b);
  ASSERT_EQ(b->blocks.size(), 10u);
  EXPECT_EQ(b->blocks.front().k, 1u);
  EXPECT_EQ(ledger::block_hash(b->blocks.back()), h.head(10));
  EXPECT_EQ(b->batches.back(), h.batches[10]);
}

// Each of these offers is refused: nothing appended, nothing executed, still waiting.
TEST(Rejoin, RefusesBlocksThatFailTheChecks) {
  History h(10);
  std::vector<std::pair<std::string, BlocksResp>> bad;
  {
    auto r = blocks_of(h, 5, 10);
    r.blocks[2].proof[5] ^= 1;
    bad.push_back({"forged proof", r});
  }
  {
    auto r = blocks_of(h, 5, 10);
    r.batches[1] = h.batches[2];
    bad.push_back({"batch swapped", r});
  }
  {
    // Proven, linked, its batch: but replaying it does not give the state it claims.
    auto r = blocks_of(h, 5, 5);
    r.blocks[0].state_digest[0] ^= 1;
    r.blocks[0].proof = h.prove(r.blocks[0]);
    bad.push_back({"state digest", r});
  }
  for (auto& [what, offer] : bad) {
    SCOPED_TRACE(what);
    Restarted r(h, 4);
    r.rj.start();
    r.rj.on_status(1, {10, true});
    r.rj.on_status(2, {4, true});
    const auto before = r.seen();
    r.rj.on_blocks_resp(1, offer);
    EXPECT_EQ(r.seen(), before);
    EXPECT_EQ(r.store.writes, 0);
    EXPECT_EQ(metric_value(r.reg, "rampart_bad_peer_messages_total"), 1u);
    EXPECT_TRUE(r.host.resumed.empty());
    EXPECT_TRUE(r.rj.syncing());
    EXPECT_FALSE(r.rj.resolving_fork());
  }
}

// Ours: 1..12, final. The cluster's: the same up to 8, then other blocks up to 14.
TEST(Rejoin, AForkIsAbandonedOnFPlusOnePeersEvidence) {
  History ours(12), theirs(14, 9);
  ASSERT_EQ(ours.head(8), theirs.head(8));
  ASSERT_NE(ours.head(9), theirs.head(9));
  Restarted r(ours, 12);
  r.keep.snapshots[4] = {ours.blocks[4].state_digest, ours.head(4), ours.snaps[4]};
  r.keep.snapshots[12] = {ours.blocks[12].state_digest, ours.head(12), ours.snaps[12]};
  r.rj.start();
  r.rj.on_status(1, {14, true});
  r.rj.on_status(2, {12, true});
  EXPECT_EQ(r.host.last_blocks_req(), std::make_pair(NodeId{1}, uint64_t{13}));
  r.rj.on_blocks_resp(1, blocks_of(theirs, 13, 14));  // does not follow our block 12
  ASSERT_TRUE(r.rj.resolving_fork());
  EXPECT_EQ(r.host.last_blocks_req(), std::make_pair(NodeId{1}, uint64_t{1}));
  r.rj.on_blocks_resp(1, blocks_of(theirs, 1, 14));
  EXPECT_TRUE(r.host.abandoned_from.empty());  // one peer's word is not enough
  EXPECT_EQ(r.store.last_final(), 12u);
  EXPECT_EQ(r.host.last_blocks_req(), std::make_pair(NodeId{2}, uint64_t{9}));
  r.rj.on_blocks_resp(2, blocks_of(theirs, 9, 14));
  // f + 1 = 2 peers: our 9..12 go, the state is rebuilt from the ledger below.
  EXPECT_EQ(r.host.abandoned_from, std::vector<uint64_t>{9});
  EXPECT_EQ(r.host.dropped, 1);
  EXPECT_FALSE(r.host.stopped);
  EXPECT_EQ(metric_value(r.reg, "rampart_blocks_abandoned_total"), 4u);
  EXPECT_EQ(r.store.last_final(), 8u);
  EXPECT_EQ(r.exec.last_executed(), 8u);
  EXPECT_EQ(r.exec.state_digest(), theirs.blocks[8].state_digest);
  EXPECT_EQ(r.keep.snapshots.count(12), 0u);
  EXPECT_EQ(r.keep.snapshots.count(4), 1u);
  // Then the ordinary catch-up, from the fork on.
  EXPECT_EQ(r.host.last_blocks_req().second, 9u);
  r.rj.on_blocks_resp(1, blocks_of(theirs, 9, 14));
  EXPECT_EQ(r.store.last_final(), 14u);
  EXPECT_EQ(r.exec.state_digest(), theirs.blocks[14].state_digest);
  EXPECT_EQ(r.host.resumed, std::vector<uint64_t>{14});
}

TEST(Rejoin, OnePeersOtherChainIsRefutedByFPlusOneHoldingOurs) {
  History ours(12), theirs(14, 9);
  Restarted r(ours, 12);
  r.rj.start();
  r.rj.on_status(1, {14, true});
  r.rj.on_status(2, {12, true});
  r.rj.on_blocks_resp(1, blocks_of(theirs, 13, 14));
  r.rj.on_blocks_resp(1, blocks_of(theirs, 1, 14));
  ASSERT_EQ(r.host.last_blocks_req(), std::make_pair(NodeId{2}, uint64_t{9}));
  r.rj.on_blocks_resp(2, blocks_of(ours, 9, 12));  // holds our block 9: one more is asked
  ASSERT_EQ(r.host.last_blocks_req(), std::make_pair(NodeId{3}, uint64_t{9}));
  r.rj.on_blocks_resp(3, blocks_of(ours, 9, 12));
  EXPECT_FALSE(r.rj.resolving_fork());
  EXPECT_TRUE(r.host.abandoned_from.empty());
  EXPECT_EQ(metric_value(r.reg, "rampart_blocks_abandoned_total"), 0u);
  EXPECT_EQ(r.store.last_final(), 12u);
  EXPECT_EQ(r.exec.state_digest(), ours.blocks[12].state_digest);
}

}  // namespace
}  // namespace rampart::replica
