// Several PoE replicas over an in-memory network: normal case (threshold and MAC), batching
// limits, checkpoints and GC, retransmission, view change with rollback and preservation,
// and an equivocating primary.
#include <gtest/gtest.h>

#include "poe_harness.hpp"

using namespace rampart;
using namespace rampart::consensus;
using namespace rampart::consensus::poe;
using namespace rampart::consensus::test;

namespace {

Config cfg4(bool mac = false) {
  Config c;
  c.n = 4;
  c.f = 1;
  c.window = 16;
  c.checkpoint_interval = 4;
  c.max_inflight = 4;
  c.mac_variant = mac;
  return c;
}

std::vector<Hash32> digests(const std::vector<Bytes>& bs) {
  std::vector<Hash32> r;
  for (auto& b : bs) r.push_back(batch_digest(b));
  return r;
}

std::vector<Bytes> batches(size_t n, const std::string& tag = "b") {
  std::vector<Bytes> r;
  for (size_t i = 0; i < n; ++i) r.push_back(batch(tag + std::to_string(i)));
  return r;
}

void normal_case(bool mac) {
  Cluster c(cfg4(mac));
  auto bs = batches(10);
  for (size_t i = 0; i < bs.size(); ++i) c.submit(static_cast<NodeId>(i % 4), bs[i], 0);
  c.run();
  for (NodeId i = 0; i < 4; ++i) {
    EXPECT_EQ(c.env(i).chain, digests(bs)) << "replica " << i;
    EXPECT_EQ(c.node(i).stats().last_executed, 10u);
    EXPECT_EQ(c.node(i).stats().rejected_messages, 0u);
    EXPECT_FALSE(c.node(i).has_pending());
    EXPECT_TRUE(c.env(i).rollbacks.empty());
  }
  EXPECT_EQ(c.env(1).states, c.env(2).states);
  // Idle backups stop their progress timers.
  EXPECT_FALSE(c.env(1).timers.count(TimerKind::view_change));
}

bool is(const Cluster::Msg& m, MsgType t) { return peek_type(m.bytes) == t; }

}  // namespace

TEST(PoeCluster, NormalCaseThreshold) { normal_case(false); }
TEST(PoeCluster, NormalCaseMac) { normal_case(true); }

TEST(PoeCluster, SingleReplicaCommitsAlone) {
  Config c;
  c.n = 1;
  c.f = 0;
  Cluster cl(c);
  cl.node(0).submit(batch("x"));
  cl.node(0).submit(batch("y"));
  cl.run();
  EXPECT_EQ(cl.env(0).chain.size(), 2u);
}

TEST(PoeCluster, MaxInflightAndWindowBoundProposals) {
  Config c = cfg4();
  c.checkpoint_interval = 16;
  Cluster cl(c);
  // No checkpoint becomes stable, so the window (16) caps proposals.
  cl.drop = [](const Cluster::Msg& m) { return is(m, MsgType::checkpoint); };
  // Do not deliver anything yet: the primary may only open max_inflight (4) proposals.
  for (auto& b : batches(30)) cl.node(0).submit(b);
  size_t proposes = 0;
  for (auto& s : cl.env(0).out) proposes += peek_type(s.msg) == MsgType::propose;
  EXPECT_EQ(proposes, 4u);
  cl.run();
  EXPECT_EQ(cl.env(1).chain.size(), 16u);  // high watermark = 0 + window
  EXPECT_TRUE(cl.node(0).has_pending());
}

TEST(PoeCluster, CheckpointsMoveTheWindowAndGarbageCollect) {
  Config c = cfg4();
  c.window = 8;
  Cluster cl(c);
  auto bs = batches(30);
  for (auto& b : bs) cl.node(0).submit(b);
  cl.run();
  for (NodeId i = 0; i < 4; ++i) {
    EXPECT_EQ(cl.env(i).chain, digests(bs));
    EXPECT_EQ(cl.node(i).stats().stable_checkpoint, 28u);
    EXPECT_EQ(cl.env(i).finals, (std::vector<Seq>{4, 8, 12, 16, 20, 24, 28}));
    ASSERT_FALSE(cl.env(i).stable.empty());
    EXPECT_EQ(cl.env(i).stable.back().second, cl.env(i).states[27]);
  }
}

TEST(PoeCluster, RetransmissionRecoversLostMessages) {
  Cluster c(cfg4());
  int dropped = 0;
  c.drop = [&](const Cluster::Msg& m) {
    // Lose the first PROPOSE and CERTIFY to replica 3.
    if (m.to == 3 && (is(m, MsgType::propose) || is(m, MsgType::certify)) && dropped < 2) {
      ++dropped;
      return true;
    }
    return false;
  };
  c.node(0).submit(batch("A"));
  c.run();
  EXPECT_TRUE(c.env(3).chain.empty());
  c.fire_all(TimerKind::retransmit);  // first tick: only marks
  c.run();
  c.fire_all(TimerKind::retransmit);
  c.run();
  EXPECT_EQ(c.env(3).chain, digests({batch("A")}));
}

TEST(PoeCluster, ViewChangeAfterSilentPrimary) {
  Cluster c(cfg4());
  c.down_.insert(0);
  Bytes a = batch("A");
  for (NodeId i = 1; i < 4; ++i) c.submit(i, a, 0);  // the primary never gets it
  c.run();
  for (NodeId i = 1; i < 4; ++i) ASSERT_TRUE(c.env(i).timers.count(TimerKind::view_change));
  c.fire_all(TimerKind::view_change);
  c.run();
  for (NodeId i = 1; i < 4; ++i) {
    EXPECT_EQ(c.node(i).stats().view, 1u) << i;
    EXPECT_EQ(c.env(i).chain, digests({a})) << i;
    EXPECT_EQ(c.node(i).stats().view_changes, 1u);
    EXPECT_FALSE(c.node(i).has_pending());
  }
  EXPECT_TRUE(c.node(1).is_primary());
}

// View-change messages name batches by digest, so their size does not grow with the batches
// (a request used to carry every certified batch above the checkpoint, the NV-PROPOSE nf such
// requests: tens of megabytes at full load, over the frame limit). The new primary here never
// received the batches of view 0 (its PROPOSEs were lost), so it asks for them (Want) and
// re-proposes them; every live replica ends with the same chain.
TEST(PoeCluster, ViewChangeNamesBatchesByDigestAndTheNewPrimaryFetchesThem) {
  Config cfg = cfg4();
  cfg.checkpoint_interval = 16;  // no checkpoint: replica 1 learns the batches only from the view change
  Cluster c(cfg);
  std::vector<Bytes> bs;
  for (int i = 0; i < 6; ++i) bs.push_back(batch("big" + std::to_string(i) + std::string(64 << 10, 'x')));
  size_t largest_vc = 0, wants = 0;
  c.drop = [&](const Cluster::Msg& m) {
    if (is(m, MsgType::vc_request) || is(m, MsgType::nv_propose)) largest_vc = std::max(largest_vc, m.bytes.size());
    wants += is(m, MsgType::want);
    return m.from == 0 && m.to == 1 && is(m, MsgType::propose);
  };
  for (const auto& b : bs) c.submit(2, b, 0);
  c.run();
  for (NodeId i : {0u, 2u, 3u}) ASSERT_EQ(c.env(i).chain, digests(bs)) << i;
  ASSERT_TRUE(c.env(1).chain.empty());  // certified, but it never had the bytes
  c.down_.insert(0);
  const Bytes a = batch("A");  // work the silent primary never proposes: the backups time out
  for (NodeId i = 1; i < 4; ++i) c.node(i).submit(a);
  c.fire_all(TimerKind::view_change);
  c.run();
  auto expect = bs;
  expect.push_back(a);
  for (NodeId i = 1; i < 4; ++i) {
    EXPECT_EQ(c.node(i).stats().view, 1u) << i;
    EXPECT_TRUE(c.env(i).chain == digests(expect)) << i << ": " << c.env(i).chain.size() << " executed";
    EXPECT_TRUE(c.env(i).rollbacks.empty()) << i;
  }
  EXPECT_GT(wants, 0u);
  EXPECT_GT(largest_vc, 0u);
  EXPECT_LT(largest_vc, 4096u);  // 6 batches of 64 KiB above the checkpoint: digests only
}

TEST(PoeCluster, SilentNextPrimaryIsSkippedWithBackoff) {
  Cluster c(cfg4());
  c.down_.insert(0);
  // Replica 1, primary of view 1, never sends its NV-PROPOSE.
  c.drop = [](const Cluster::Msg& m) { return m.from == 1 && is(m, MsgType::nv_propose); };
  Bytes a = batch("A");
  for (NodeId i = 1; i < 4; ++i) c.node(i).submit(a);
  c.fire_all(TimerKind::view_change);
  c.run();
  EXPECT_EQ(c.env(2).timers[TimerKind::new_view], 2 * cfg4().view_timeout_ms);
  c.fire(2, TimerKind::new_view);
  c.fire(3, TimerKind::new_view);
  c.run();
  for (NodeId i = 2; i < 4; ++i) {
    EXPECT_EQ(c.node(i).stats().view, 2u) << i;
    EXPECT_EQ(c.env(i).chain, digests({a})) << i;
  }
  // Replica 1 had entered view 1 on its own NV-PROPOSE; it follows into view 2 via the
  // NV-PROPOSE of 2 once it asks (its retransmitted VC-REQUEST after its own timer).
  EXPECT_EQ(c.node(2).stats().view_changes, 1u);
}

// k=1 is executed by every replica (a client may have accepted it: nf replies); k=2 only by
// replica 3 (the CERTIFY to 1 and 2 is lost). The old primary 0 is Byzantine and sends a
// VC-REQUEST that hides its certificate for k=2, and replica 3's request reaches the new
// primary too late. The new view must keep k=1 (no rollback anywhere) and drop k=2, so
// replica 3 rolls back exactly k=2, then re-executes the batch when it is re-proposed.
TEST(PoeCluster, ViewChangeRollsBackUnkeptSpeculationAndPreservesAccepted) {
  Cluster c(cfg4());
  Bytes b1 = batch("B1"), b2 = batch("B2");
  for (NodeId i = 0; i < 4; ++i) c.submit(i, b1, 0);
  c.run();
  for (NodeId i = 0; i < 4; ++i) ASSERT_EQ(c.env(i).chain, digests({b1}));

  c.drop = [](const Cluster::Msg& m) {
    return m.from == 0 && (m.to == 1 || m.to == 2) && is(m, MsgType::certify);
  };
  for (NodeId i = 0; i < 4; ++i) c.submit(i, b2, 0);
  c.run();
  ASSERT_EQ(c.env(3).chain, digests({b1, b2}));
  ASSERT_EQ(c.env(1).chain, digests({b1}));

  // Replica 0 turns silent except for a crafted VC-REQUEST without its k=2 certificate.
  c.down_.insert(0);
  c.drop = [](const Cluster::Msg& m) {
    return m.from == 3 && m.to == 1 && is(m, MsgType::vc_request);
  };
  auto signer0 = c.keys().signer(0);
  VcRequest r;
  r.new_view = 1;
  r.sender = 0;
  r.body = vc_body(r);
  r.sig = signer0->sign(vc_statement(r.body));
  c.fire_all(TimerKind::view_change);
  c.node(1).on_message(0, encode(r));
  c.run();

  for (NodeId i = 1; i < 4; ++i) {
    EXPECT_EQ(c.node(i).stats().view, 1u) << i;
    EXPECT_EQ(c.env(i).chain, digests({b1, b2})) << i;
    EXPECT_EQ(c.env(i).states, c.env(1).states) << i;
  }
  EXPECT_EQ(c.env(3).rollbacks, (std::vector<Seq>{1}));
  EXPECT_EQ(c.node(3).stats().rollbacks, 1u);
  EXPECT_TRUE(c.env(1).rollbacks.empty());
  EXPECT_TRUE(c.env(2).rollbacks.empty());
  // B1 was executed once everywhere (kept, not re-executed); B2 twice at replica 3.
  size_t b1_execs = 0, b2_execs = 0;
  for (auto& e : c.env(3).execs) {
    b1_execs += e.digest == batch_digest(b1);
    b2_execs += e.digest == batch_digest(b2);
  }
  EXPECT_EQ(b1_execs, 1u);
  EXPECT_EQ(b2_execs, 2u);
  EXPECT_EQ(c.env(3).execs.back().v, 1u);
}

// A Byzantine primary proposes A to replicas 1 and 2 and B to replica 3 for the same k. Only
// A can gather nf shares; replica 3 never supports A, but executes A once it sees A's
// certificate and batch. No correct replica executes B.
TEST(PoeCluster, EquivocatingPrimaryCannotCertifyBoth) {
  Cluster c(cfg4());
  c.down_.insert(0);  // 0 is driven by hand below
  Bytes a = batch("A"), b = batch("B");
  Hash32 da = batch_digest(a), db = batch_digest(b);
  c.node(1).on_message(0, encode(Propose{0, 1, da, a}));
  c.node(2).on_message(0, encode(Propose{0, 1, da, a}));
  c.node(3).on_message(0, encode(Propose{0, 1, db, b}));
  // Replica 3 refuses a conflicting proposal for the same (v, k).
  uint64_t before = c.node(3).stats().rejected_messages;
  c.node(3).on_message(0, encode(Propose{0, 1, da, a}));
  EXPECT_EQ(c.node(3).stats().rejected_messages, before + 1);

  auto ts0 = c.keys().threshold_signer(0);
  std::vector<crypto::Share> for_a{{0, ts0->sign_share(support_statement(0, 1, da))}};
  std::vector<crypto::Share> for_b{{0, ts0->sign_share(support_statement(0, 1, db))}};
  for (NodeId i = 1; i < 4; ++i) {
    for (auto& s : c.env(i).take()) {
      auto m = decode_support(s.msg, Limits{});
      if (!m) continue;
      ASSERT_EQ(s.to, 0u);
      (m->digest == da ? for_a : for_b).push_back({i, m->sig});
    }
  }
  const auto& tv = c.keys().threshold_verifier();
  EXPECT_FALSE(tv.combine(support_statement(0, 1, db), for_b).has_value());  // 2 < nf
  auto sig = tv.combine(support_statement(0, 1, da), for_a);
  ASSERT_TRUE(sig.has_value());
  for (NodeId i = 1; i < 4; ++i) c.node(i).on_message(0, encode(Certify{0, 1, da, *sig}));
  EXPECT_TRUE(c.env(3).chain.empty());  // certificate for A, but 3 only holds B's bytes
  c.node(3).on_message(0, encode(Propose{0, 1, da, a}));  // the primary re-sends A
  for (NodeId i = 1; i < 4; ++i) EXPECT_EQ(c.env(i).chain, digests({a})) << i;
}
