// PBFT clusters in memory: n replicas, a deterministic queue, timers fired by the test.
#include <gtest/gtest.h>

#include "pbft_harness.hpp"

namespace rampart::consensus::pbft::testing {
namespace {

Config small_config() {
  Config c;
  c.window = 16;
  c.checkpoint_interval = 4;
  c.max_inflight = 4;
  c.view_timeout_ms = 100;
  return c;
}

// Every replica executed exactly batches 1..count (non-null ones in `want` order), densely.
void expect_executed(const Cluster& c, const std::vector<Bytes>& want) {
  for (NodeId i = 0; i < c.cfg.n; ++i) {
    if (c.crashed.count(i)) continue;
    std::vector<Bytes> got;
    const auto& ex = c.envs[i]->executed;
    for (size_t k = 0; k < ex.size(); ++k) {
      EXPECT_EQ(std::get<0>(ex[k]), k + 1) << "replica " << i << " skipped a sequence number";
      if (!std::get<2>(ex[k]).empty()) got.push_back(std::get<2>(ex[k]));
    }
    EXPECT_EQ(got, want) << "replica " << i;
  }
  c.expect_consistent();
}

TEST(PbftCluster, FourReplicasCommitInOrder) {
  Cluster c(1, small_config());
  std::vector<Bytes> want;
  for (int i = 0; i < 10; ++i) {
    want.push_back(batch_of(i));
    c.reps[0]->submit(batch_of(i));
  }
  c.run();
  expect_executed(c, want);
  for (NodeId i = 0; i < 4; ++i) {
    // Only late CHECKPOINTs (for a checkpoint already stable) are refused, as stale.
    for (Reject r : {Reject::decode, Reject::wrong_view, Reject::wrong_sender, Reject::bad_signature,
                     Reject::duplicate, Reject::conflict, Reject::invalid})
      EXPECT_EQ(c.reps[i]->rejected(r), 0u) << i;
    EXPECT_EQ(c.envs[i]->finals.size(), 10u);
    EXPECT_EQ(c.reps[i]->stats().view, 0u);
  }
}

TEST(PbftCluster, CheckpointsBecomeStableAndGarbageIsCollected) {
  Cluster c(1, small_config());
  std::vector<Bytes> want;
  for (int i = 0; i < 30; ++i) {
    want.push_back(batch_of(i));
    c.submit_all(batch_of(i));  // as if every replica's batcher saw it; ordered once
  }
  c.run();
  expect_executed(c, want);
  for (NodeId i = 0; i < 4; ++i) {
    EXPECT_EQ(c.reps[i]->low_watermark(), 28u);
    ASSERT_EQ(c.envs[i]->stable.size(), 7u);
    EXPECT_EQ(c.envs[i]->stable.back().second, c.envs[0]->state_at.at(28));
    EXPECT_LE(c.reps[i]->live_slots(), 2u) << "slots 29, 30 only";
    EXPECT_LE(c.reps[i]->retained_certificates(), c.cfg.window);
    EXPECT_FALSE(c.reps[i]->has_pending());
  }
}

TEST(PbftCluster, DefaultConfigurationRunsManyCheckpoints) {
  Cluster c(1, Config{});  // window 256, checkpoint every 64, 64 in flight
  std::vector<Bytes> want;
  for (int i = 0; i < 300; ++i) {
    want.push_back(batch_of(i));
    c.reps[0]->submit(batch_of(i));
  }
  c.run();
  expect_executed(c, want);
  for (NodeId i = 0; i < 4; ++i) {
    EXPECT_EQ(c.reps[i]->low_watermark(), 256u);
    EXPECT_EQ(c.envs[i]->stable.size(), 4u);
    EXPECT_LE(c.reps[i]->live_slots(), 300u - 256u);
  }
}

// The primary gets batches prepared everywhere but no commit arrives; then it goes silent.
// The view change must carry the prepared batches into view 1 at the same sequence numbers.
TEST(PbftCluster, ViewChangeAfterSilentPrimaryKeepsPreparedBatches) {
  Cluster c(1, small_config());
  c.drop = [](const Envelope& e) {
    auto t = peek_type(e.msg);
    return t.ok() && *t == MsgType::commit;
  };
  for (int i = 0; i < 3; ++i) c.submit_all(batch_of(i));
  c.run();
  for (NodeId i = 0; i < 4; ++i) EXPECT_EQ(c.reps[i]->stats().last_executed, 0u);
  c.drop = nullptr;
  c.crashed.insert(0);
  // Backups time out waiting, change view; replica 1 leads view 1.
  c.fire(TimerKind::view_change);
  c.run();
  for (NodeId i = 1; i < 4; ++i) {
    EXPECT_EQ(c.reps[i]->stats().view, 1u) << i;
    EXPECT_FALSE(c.reps[i]->in_view_change());
    EXPECT_EQ(c.reps[i]->stats().view_changes, 1u);
  }
  EXPECT_TRUE(c.reps[1]->is_primary());
  // New work goes through the new primary.
  c.submit_all(batch_of(3));
  c.run();
  expect_executed(c, {batch_of(0), batch_of(1), batch_of(2), batch_of(3)});
  for (NodeId i = 1; i < 4; ++i) {
    const auto& ex = c.envs[i]->executed;
    ASSERT_EQ(ex.size(), 4u);
    EXPECT_EQ(std::get<1>(ex[0]), 1u) << "committed in view 1";
    EXPECT_EQ(c.envs[i]->views.back(), std::make_pair(View{1}, NodeId{1}));
  }
}

// VIEW-CHANGEs and NEW-VIEWs name prepared batches by digest, so their size does not grow with
// the batches (with them a NEW-VIEW weighed nf windows of batches: tens of megabytes at full
// load, over the frame limit). Replica 3 never saw view 0's pre-prepares: it prepares and
// commits the new view's batches by digest, and gets the bytes by CATCHUP from a replica that
// executed them (answering its STATUS on the retransmit timer).
TEST(PbftCluster, ViewChangeNamesBatchesByDigestAndCatchupBringsTheBytes) {
  Cluster c(1, small_config());
  std::vector<Bytes> bs;
  for (int i = 0; i < 3; ++i) bs.push_back(to_bytes("big" + std::to_string(i) + std::string(64 << 10, 'x')));
  size_t largest_vc = 0;
  c.drop = [&](const Envelope& e) {
    auto t = peek_type(e.msg);
    if (!t.ok()) return false;
    if (*t == MsgType::view_change || *t == MsgType::new_view) largest_vc = std::max(largest_vc, e.msg.size());
    if (*t == MsgType::commit) return decode_vote(e.msg)->view == 0;  // nothing executes in view 0
    return *t == MsgType::pre_prepare && e.to == 3;
  };
  for (const auto& b : bs)
    for (NodeId i : {0u, 1u, 2u}) c.reps[i]->submit(b);  // replica 3 never holds the bytes
  c.run();
  for (NodeId i = 0; i < 4; ++i) ASSERT_EQ(c.reps[i]->stats().last_executed, 0u);
  c.crashed.insert(0);
  c.fire(TimerKind::view_change);
  c.run();
  for (NodeId i = 1; i < 4; ++i) ASSERT_EQ(c.reps[i]->stats().view, 1u) << i;
  EXPECT_EQ(c.reps[3]->stats().last_executed, 0u);  // committed by digest, bytes missing
  EXPECT_GT(c.reps[3]->stats().view_changes, 0u);
  for (NodeId i : {1u, 2u}) ASSERT_EQ(c.reps[i]->stats().last_executed, 3u) << i;
  c.fire(TimerKind::retransmit);
  c.run();
  expect_executed(c, bs);
  EXPECT_GT(largest_vc, 0u);
  EXPECT_LT(largest_vc, 4096u);  // 3 batches of 64 KiB prepared: digests only
}

TEST(PbftCluster, GapInPreparedSetIsFilledWithNullRequest) {
  Cluster c(1, small_config());
  // Seq 2's prepares are lost everywhere (nobody prepares it); 1 and 3 prepare; no commits.
  c.drop = [](const Envelope& e) {
    auto t = peek_type(e.msg);
    if (!t.ok()) return false;
    if (*t == MsgType::commit) return true;
    if (*t == MsgType::prepare) return decode_vote(e.msg)->seq == 2;
    return false;
  };
  for (int i = 0; i < 3; ++i) c.submit_all(batch_of(i));
  c.run();
  c.drop = nullptr;
  c.crashed.insert(0);
  c.fire(TimerKind::view_change);
  c.run();
  for (NodeId i = 1; i < 4; ++i) {
    const auto& ex = c.envs[i]->executed;
    ASSERT_GE(ex.size(), 3u) << i;
    EXPECT_EQ(std::get<2>(ex[0]), batch_of(0));
    EXPECT_TRUE(std::get<2>(ex[1]).empty()) << "seq 2 is a null request, executed with empty bytes";
    EXPECT_EQ(std::get<2>(ex[2]), batch_of(2));
  }
  // batch 1 was still pending at the new primary: it is proposed again after the O-set.
  c.run();
  expect_executed(c, {batch_of(0), batch_of(2), batch_of(1)});
}

TEST(PbftCluster, SevenReplicasWithTwoFaultyTolerateViewChange) {
  Config cfg = small_config();
  Cluster c(2, cfg);
  ASSERT_EQ(c.cfg.n, 7u);
  std::vector<Bytes> want;
  for (int i = 0; i < 12; ++i) {
    want.push_back(batch_of(i));
    c.submit_all(batch_of(i));
  }
  c.run();
  expect_executed(c, want);
  // Primary 0 and replica 1 (next primary) crash; view 1 fails, view 2 (primary 2) works.
  c.crashed = {0, 1};
  for (int i = 12; i < 20; ++i) {
    want.push_back(batch_of(i));
    c.submit_all(batch_of(i));
  }
  c.run();
  for (int round = 0; round < 6 && !c.all_executed(20); ++round) {
    c.fire(TimerKind::view_change);
    c.run();
    c.fire(TimerKind::new_view);
    c.run();
  }
  expect_executed(c, want);
  for (NodeId i = 2; i < 7; ++i) EXPECT_EQ(c.reps[i]->stats().view, 2u) << i;
}

TEST(PbftCluster, LaggingReplicaCatchesUpThroughCertificates) {
  Cluster c(1, small_config());
  c.crashed.insert(3);  // cut off (it keeps its state)
  std::vector<Bytes> want;
  for (int i = 0; i < 12; ++i) {
    want.push_back(batch_of(i));
    c.reps[0]->submit(batch_of(i));
  }
  c.run();
  EXPECT_EQ(c.reps[0]->low_watermark(), 12u);
  EXPECT_EQ(c.reps[3]->stats().last_executed, 0u);
  c.crashed.clear();
  // New work reaches replica 3; its retransmit STATUS brings the certificates it misses.
  want.push_back(batch_of(12));
  c.submit_all(batch_of(12));
  c.run();
  for (int round = 0; round < 10 && !c.all_executed(13); ++round) {
    c.fire(TimerKind::retransmit);
    c.run();
  }
  expect_executed(c, want);
  EXPECT_EQ(c.reps[3]->low_watermark(), 12u);
  EXPECT_TRUE(c.envs[3]->transfers.empty()) << "certificates sufficed";
}

TEST(PbftCluster, ReplicaBeyondRetainedHistoryAsksForStateTransfer) {
  Cluster c(1, small_config());
  c.crashed.insert(3);
  std::vector<Bytes> want;
  for (int i = 0; i < 40; ++i) {
    want.push_back(batch_of(i));
    c.reps[0]->submit(batch_of(i));
  }
  c.run();
  ASSERT_EQ(c.reps[0]->low_watermark(), 40u);
  c.crashed.clear();
  want.push_back(batch_of(40));
  c.submit_all(batch_of(40));
  c.run();
  for (int round = 0; round < 4 && c.envs[3]->transfers.empty(); ++round) {
    c.fire(TimerKind::retransmit);
    c.run();
  }
  ASSERT_EQ(c.envs[3]->transfers.size(), 1u) << "batches 1..24 are pruned everywhere";
  auto [k, digest] = c.envs[3]->transfers[0];
  EXPECT_EQ(k, 40u);
  EXPECT_EQ(digest, c.envs[0]->state_at.at(40));
  // The replica layer fetches and installs the state, then tells the protocol.
  c.envs[3]->state = digest;
  c.reps[3]->on_state_transferred(k, digest);
  for (int round = 0; round < 4 && !c.all_executed(41); ++round) {
    c.fire(TimerKind::retransmit);
    c.run();
  }
  EXPECT_EQ(c.reps[3]->stats().last_executed, 41u);
  EXPECT_EQ(std::get<2>(c.envs[3]->executed.back()), batch_of(40));
  EXPECT_EQ(c.envs[3]->state, c.envs[0]->state);
}

// Deterministic chaos: loss, reordering, duplication; timers fired in rounds. Safety always,
// and everything completes once the network behaves.
void chaos(uint32_t f, uint64_t seed, double loss) {
  Cluster c(f, small_config(), seed);
  c.loss = loss;
  c.reorder = true;
  c.duplicate = 0.05;
  std::vector<Bytes> want;
  const int batches = 25;
  for (int i = 0; i < batches; ++i) {
    want.push_back(batch_of(i));
    c.submit_all(batch_of(i));
    if (i % 5 == 4) c.run();
  }
  for (int round = 0; round < 60; ++round) {
    c.run();
    c.expect_consistent();
    c.fire(TimerKind::retransmit);
    if (round % 4 == 3) {
      c.fire(TimerKind::view_change);
      c.fire(TimerKind::new_view);
    }
    if (round == 40) c.loss = 0;  // the network heals
  }
  c.run();
  for (int round = 0; round < 40 && !c.all_have(want); ++round) {
    c.fire(TimerKind::retransmit);
    c.fire(TimerKind::view_change);
    c.fire(TimerKind::new_view);
    c.run();
  }
  c.expect_consistent();
  for (NodeId i = 0; i < c.cfg.n; ++i) {
    std::vector<Bytes> got;
    for (const auto& e : c.envs[i]->executed)
      if (!std::get<2>(e).empty()) got.push_back(std::get<2>(e));
    std::sort(got.begin(), got.end());
    std::vector<Bytes> sorted = want;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(got, sorted) << "seed " << seed << " replica " << i << " (each batch exactly once)";
  }
}

TEST(PbftCluster, LossyReorderingNetworkF1) {
  for (uint64_t seed = 1; seed <= 5; ++seed) chaos(1, seed, 0.2);
}

TEST(PbftCluster, LossyReorderingNetworkF2) {
  for (uint64_t seed = 1; seed <= 2; ++seed) chaos(2, seed, 0.15);
}

// A primary that equivocates (different batches for seq 1 to different backups) cannot get
// either committed; the view change moves on and no two replicas disagree.
TEST(PbftCluster, EquivocatingPrimaryIsReplaced) {
  Cluster c(1, small_config());
  const auto& keys = c.keys();
  auto s0 = keys.signer(0);
  for (NodeId to = 1; to < 4; ++to) {
    Bytes b = batch_of(100 + static_cast<int>(to));
    Hash32 d = batch_digest(b);
    c.reps[to]->on_message(0, encode_pre_prepare({0, 1, d, s0->sign(pre_prepare_body(0, 1, d)), b}));
  }
  c.crashed.insert(0);  // and then it stays silent
  c.run();
  for (NodeId i = 1; i < 4; ++i) EXPECT_EQ(c.reps[i]->stats().last_executed, 0u);
  c.submit_all(batch_of(1));
  c.fire(TimerKind::view_change);
  c.run();
  expect_executed(c, {batch_of(1)});
  for (NodeId i = 1; i < 4; ++i) EXPECT_EQ(c.reps[i]->stats().view, 1u);
}

}  // namespace
}  // namespace rampart::consensus::pbft::testing

namespace rampart::consensus::pbft::testing {
namespace {

// Random faults per seed: loss, reordering, duplication, up to f replicas paused (crash and
// later recover with their state) or cut off for a while, one of them possibly the primary;
// a replica whose outgoing messages are corrupted at random. Safety is checked after every
// round; after the faults stop every batch must execute exactly once everywhere.
void random_faults(uint32_t f, uint64_t seed) {
  Config cfg = small_config();
  Cluster c(f, cfg, seed);
  std::mt19937_64 rng(seed * 7919 + f);
  auto coin = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  c.loss = std::uniform_real_distribution<double>(0, 0.3)(rng);
  c.reorder = coin(0.7);
  c.duplicate = coin(0.5) ? 0.1 : 0;
  NodeId corrupt = static_cast<NodeId>(rng() % c.cfg.n);
  bool corrupting = coin(0.5);
  std::mt19937_64 flip(seed);
  c.drop = [&](const Envelope& e) {
    // A corrupted message is still delivered, but broken; emulate by rejecting delivery and
    // feeding a mutated copy directly.
    if (corrupting && e.from == corrupt && flip() % 3 == 0) {
      Bytes m = e.msg;
      if (!m.empty()) m[flip() % m.size()] ^= static_cast<uint8_t>(1 + flip() % 255);
      c.reps[e.to]->on_message(e.from, m);
      return true;
    }
    return false;
  };
  std::vector<Bytes> want;
  const int batches = 30;
  int next = 0;
  for (int round = 0; round < 80; ++round) {
    if (round % 3 == 0 && next < batches) {
      for (int j = 0; j < 3 && next < batches; ++j, ++next) {
        want.push_back(batch_of(next));
        c.submit_all(batch_of(next));
      }
    }
    if (round == 10) {  // up to f replicas go away
      size_t k = rng() % (f + 1);
      if (coin(0.5)) c.crashed.insert(0);  // often the primary
      while (c.crashed.size() < k) c.crashed.insert(static_cast<NodeId>(rng() % c.cfg.n));
    }
    if (round == 45) {  // they come back: some with their state, some from scratch (amnesia),
                        // some restarted from their disk (executed height and journal)
      for (NodeId i : c.crashed) {
        if (coin(0.4)) {
          c.restart(i);
        } else if (coin(0.5)) {
          c.restart_from_disk(i);
        }
      }
      c.crashed.clear();
    }
    c.run();
    c.expect_consistent();
    c.serve_state_transfers();
    c.fire(TimerKind::retransmit);
    if (round % 3 == 2) {
      c.fire(TimerKind::view_change);
      c.fire(TimerKind::new_view);
    }
  }
  // The network heals; one more batch arrives (a replica that fell behind while idle learns
  // of it only through new work).
  c.loss = 0;
  corrupting = false;
  want.push_back(batch_of(batches));
  c.submit_all(batch_of(batches));
  for (int round = 0; round < 60 && !c.all_have(want); ++round) {
    c.fire(TimerKind::retransmit);
    c.run();
    c.serve_state_transfers();
    if (round % 3 == 2) {
      c.fire(TimerKind::view_change);
      c.fire(TimerKind::new_view);
      c.run();
    }
  }
  c.expect_consistent();
  std::vector<Bytes> sorted = want;
  std::sort(sorted.begin(), sorted.end());
  for (NodeId i = 0; i < c.cfg.n; ++i) {
    std::vector<Bytes> got;
    for (const auto& e : c.envs[i]->executed)
      if (!std::get<2>(e).empty()) got.push_back(std::get<2>(e));
    std::sort(got.begin(), got.end());
    // After a state transfer a replica cannot know which of its pending batches the
    // transferred state already holds; as primary it may order one again (the replica layer's
    // per-client dedup makes that harmless). Then only "at least once" is promised.
    bool transferred = false;
    for (NodeId j = 0; j < c.cfg.n; ++j) transferred |= !c.envs[j]->transfers.empty();
    if (transferred) got.erase(std::unique(got.begin(), got.end()), got.end());
    std::string all;
    for (NodeId j = 0; j < c.cfg.n; ++j) {
      auto st = c.reps[j]->stats();
      all += " [" + std::to_string(j) + ": exec " + std::to_string(st.last_executed) + " low " +
             std::to_string(st.stable_checkpoint) + " view " + std::to_string(st.view) +
             (c.reps[j]->in_view_change() ? " vc->" + std::to_string(c.reps[j]->view_change_target()) : "") +
             (c.reps[j]->has_pending() ? " pending" : "") + "]\n  " + c.reps[j]->debug_string() + " rejects";
      for (size_t r = 0; r < static_cast<size_t>(Reject::kCount); ++r)
        all += " " + std::to_string(c.reps[j]->rejected(static_cast<Reject>(r)));
      all += " timers";
      for (auto& [t, ms] : c.envs[j]->timers) all += " " + std::to_string(static_cast<int>(t));
      all += "\n";
    }
    ASSERT_EQ(got, sorted) << "f=" << f << " seed " << seed << " replica " << i << all;
  }
}

uint64_t seeds_from_env(uint64_t dflt);
uint64_t seed_start();

// f Byzantine replicas (often including the first primary), each with one behaviour kept up
// to the end: silent, withholding its PRE-PREPAREs from one victim, equivocating (a different,
// properly signed batch for half of the replicas), or corrupting its messages. Loss and
// reordering on top. The correct replicas must agree, execute every submitted batch exactly
// once, and finish.
void random_byzantine(uint32_t f, uint64_t seed) {
  Cluster c(f, small_config(), seed);
  std::mt19937_64 rng(seed * 104729 + f);
  auto coin = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  c.loss = std::uniform_real_distribution<double>(0, 0.15)(rng);
  c.reorder = coin(0.7);
  enum Behaviour { silent, withhold, equivocate, corrupt };
  std::map<NodeId, Behaviour> bad;
  std::map<NodeId, NodeId> victim;
  if (coin(0.6)) bad[0] = static_cast<Behaviour>(rng() % 4);
  while (bad.size() < f) bad[static_cast<NodeId>(rng() % c.cfg.n)] = static_cast<Behaviour>(rng() % 4);
  for (auto& [id, b] : bad) victim[id] = static_cast<NodeId>((id + 1 + rng() % (c.cfg.n - 1)) % c.cfg.n);
  std::vector<std::unique_ptr<crypto::Signer>> signers;
  for (NodeId i = 0; i < c.cfg.n; ++i) signers.push_back(c.keys().signer(i));
  std::mt19937_64 flip(seed);
  c.drop = [&](const Envelope& e) {
    auto it = bad.find(e.from);
    if (it == bad.end()) return false;
    auto t = peek_type(e.msg);
    bool is_pp = t.ok() && *t == MsgType::pre_prepare;
    switch (it->second) {
      case silent: return true;
      case withhold: return is_pp && e.to == victim[e.from];
      case equivocate:
        if (is_pp && e.to % 2 == 1) {
          auto m = decode_pre_prepare(e.msg);
          std::string evil = "evil-" + std::to_string(m->view) + "-" + std::to_string(m->seq);
          Bytes b(evil.begin(), evil.end());
          Hash32 d = batch_digest(b);
          Bytes sig = signers[e.from]->sign(pre_prepare_body(m->view, m->seq, d));
          c.reps[e.to]->on_message(e.from, encode_pre_prepare({m->view, m->seq, d, sig, b}));
          return true;
        }
        return false;
      case corrupt:
        if (flip() % 2 == 0) {
          Bytes m = e.msg;
          if (!m.empty()) m[flip() % m.size()] ^= static_cast<uint8_t>(1 + flip() % 255);
          c.reps[e.to]->on_message(e.from, m);
          return true;
        }
        return false;
    }
    return false;
  };
  std::vector<Bytes> want;
  for (int i = 0; i < 24; ++i) want.push_back(batch_of(i));
  auto correct_have_all = [&] {
    for (NodeId i = 0; i < c.cfg.n; ++i) {
      if (bad.count(i)) continue;
      std::set<Bytes> got;
      for (const auto& e : c.envs[i]->executed) got.insert(std::get<2>(e));
      for (const auto& b : want)
        if (!got.count(b)) return false;
    }
    return true;
  };
  size_t next = 0;
  for (int round = 0; round < 150 && !correct_have_all(); ++round) {
    if (round % 2 == 0 && next < want.size())
      for (int j = 0; j < 3 && next < want.size(); ++j) c.submit_all(want[next++]);
    if (round == 60) c.loss = 0;
    c.run();
    c.expect_consistent();
    c.serve_state_transfers();
    c.fire(TimerKind::retransmit);
    if (round % 3 == 2) {
      c.fire(TimerKind::view_change);
      c.fire(TimerKind::new_view);
    }
  }
  c.expect_consistent();
  for (NodeId i = 0; i < c.cfg.n; ++i) {
    if (bad.count(i)) continue;
    std::vector<Bytes> got;
    for (const auto& e : c.envs[i]->executed)
      if (!std::get<2>(e).empty() && std::find(want.begin(), want.end(), std::get<2>(e)) != want.end())
        got.push_back(std::get<2>(e));
    std::sort(got.begin(), got.end());
    std::vector<Bytes> sorted = want;
    std::sort(sorted.begin(), sorted.end());
    bool transferred = !c.envs[i]->transfers.empty();
    for (NodeId j = 0; j < c.cfg.n; ++j) transferred |= !c.envs[j]->transfers.empty();
    if (transferred) got.erase(std::unique(got.begin(), got.end()), got.end());
    std::string faults;
    for (auto& [id, b] : bad) faults += " " + std::to_string(id) + ":" + std::to_string(b);
    ASSERT_EQ(got, sorted) << "f=" << f << " seed " << seed << " faulty" << faults << " replica " << i
                           << " " << c.reps[i]->debug_string() << "\n" << c.logs();
  }
}

TEST(PbftCluster, RandomByzantineF1) {
  for (uint64_t seed = seed_start(); seed < seed_start() + seeds_from_env(20); ++seed) random_byzantine(1, seed);
}

TEST(PbftCluster, RandomByzantineF2) {
  for (uint64_t seed = seed_start(); seed < seed_start() + seeds_from_env(10) / 2 + 1; ++seed) random_byzantine(2, seed);
}

uint64_t seeds_from_env(uint64_t dflt) {
  const char* s = std::getenv("PBFT_SEEDS");
  return s ? std::strtoull(s, nullptr, 10) : dflt;
}

// PBFT_SEED_START=S (with PBFT_SEEDS=N) replays seeds S..S+N-1.
uint64_t seed_start() {
  const char* s = std::getenv("PBFT_SEED_START");
  return s ? std::strtoull(s, nullptr, 10) : 1;
}

TEST(PbftCluster, RandomFaultsF1) {
  for (uint64_t seed = seed_start(); seed < seed_start() + seeds_from_env(20); ++seed) random_faults(1, seed);
}

TEST(PbftCluster, RandomFaultsF2) {
  for (uint64_t seed = seed_start(); seed < seed_start() + seeds_from_env(10) / 2 + 1; ++seed) random_faults(2, seed);
}

}  // namespace
}  // namespace rampart::consensus::pbft::testing
