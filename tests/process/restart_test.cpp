// Whole-cluster restart (issue 4, "nothing acknowledged to a client is ever lost, including
// across a crash"): under load, every replica dies at once (SIGKILL), all restart from their
// data folders; then the same after a clean stop (SIGTERM). Each time: every put a client saw
// acknowledged reads back with its value, new puts succeed at the next sequence numbers, and
// at the end every ledger verifies offline and all replicas hold the same chain of block hashes.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "app/kv/op.hpp"
#include "client/client.hpp"
#include "ledger/genesis.hpp"
#include "ledger/store.hpp"
#include "process/cluster_fixture.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// Clients writing distinct keys; a put whose outcome the client never learned (error after
// retries) makes that key uncertain: it may or may not have been executed.
struct Writers {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ok{0};
  std::vector<std::thread> threads;
  std::mutex mu;
  std::map<std::string, std::string> acked;
  std::set<std::string> uncertain;

  void start(const ClusterConfig& cfg, int n, const std::string& round) {
    stop = false;
    for (int t = 0; t < n; ++t) {
      threads.emplace_back([this, &cfg, t, round] {
        client::ClientOptions o;
        o.first_replica = static_cast<uint32_t>(t % 4);
        o.timeout = 1500ms;
        o.attempts = 30;
        auto cl = client::Client::create(cfg, o);
        if (!cl) return;
        for (int i = 0; !stop; ++i) {
          std::string k = round + "-t" + std::to_string(t) + "-" + std::to_string(i % 40), v = std::to_string(i);
          auto r = (*cl)->call(app::kv::encode_op(app::kv::put(k, v)));
          std::lock_guard<std::mutex> l(mu);
          if (r) {
            ok++;
            acked[k] = v;
            uncertain.erase(k);
          } else {
            uncertain.insert(k);
          }
        }
      });
    }
  }
  void join() {
    stop = true;
    for (auto& t : threads) t.join();
    threads.clear();
  }
  // A failed ASSERT returns early: join so the failure is reported instead of std::terminate.
  ~Writers() { join(); }
};

std::string get(client::Client& cl, const std::string& k) {
  auto g = cl.call(app::kv::encode_op(app::kv::get(k)));
  if (!g) return "<error: " + g.error().message + ">";
  auto r = app::kv::decode_result(g->result);
  if (!r) return "<undecodable>";
  return to_string(r->value);
}

void check_acked(LocalCluster& c, Writers& w) {
  client::ClientOptions ro;
  ro.attempts = 30;
  ro.timeout = 1500ms;
  auto cl = client::Client::create(c.config(), ro);
  ASSERT_TRUE(cl);
  size_t checked = 0;
  for (const auto& [k, v] : w.acked) {
    if (w.uncertain.count(k)) continue;
    EXPECT_EQ(get(**cl, k), v) << "acknowledged put of " << k << " lost";
    ++checked;
  }
  EXPECT_GT(checked, 20u);
}

// Every replica's final height; -1 where the metric is not there.
double min_final(const LocalCluster& c) {
  double m = 1e18;
  for (uint32_t i = 0; i < 4; ++i) m = std::min(m, c.metric(i, "rampart_final_height"));
  return m;
}

// Every ledger verifies offline and all replicas hold the same chain of block hashes up to the
// lowest final height; returns that height.
uint64_t check_ledgers(LocalCluster& c) {
  Bytes cfg_bytes = ledger::genesis_config(c.config());
  std::vector<std::unique_ptr<ledger::Store>> stores;
  uint64_t common = UINT64_MAX;
  for (uint32_t i = 0; i < 4; ++i) {
    auto [st, out] = run_cli({"ledger", "verify", "--config", c.config_file().string(), "--data", c.data(i).string()});
    EXPECT_EQ(st, 0) << "replica " << i << ": " << out;
    EXPECT_EQ(out.find("checkpoint=0 "), std::string::npos) << "no stored checkpoint at replica " << i << ": " << out;
    ledger::OpenOptions oo;
    oo.read_only = true;
    oo.create_if_missing = false;
    auto s = ledger::Store::open(c.data(i).string(), cfg_bytes, oo);
    if (!s) {
      ADD_FAILURE() << s.error().message;
      return 0;
    }
    common = std::min(common, (*s)->last_final());
    stores.push_back(std::move(*s));
  }
  for (uint64_t k = 1; k <= common; ++k) {
    auto b0 = stores[0]->block(k);
    if (!b0) {
      ADD_FAILURE() << b0.error().message;
      return 0;
    }
    for (size_t i = 1; i < stores.size(); ++i) {
      auto bi = stores[i]->block(k);
      if (!bi) {
        ADD_FAILURE() << bi.error().message;
        return 0;
      }
      if (ledger::block_hash(*b0) != ledger::block_hash(*bi)) {
        ADD_FAILURE() << "block " << k << " differs at replica " << i;
        return 0;
      }
    }
  }
  return common;
}

// A stored checkpoint whose certificate was tampered with: `ledger verify` refuses it.
void tampered_checkpoint_is_refused(LocalCluster& c, uint32_t id) {
  Bytes cfg_bytes = ledger::genesis_config(c.config());
  {
    ledger::OpenOptions oo;
    oo.create_if_missing = false;
    auto s = ledger::Store::open(c.data(id).string(), cfg_bytes, oo);
    ASSERT_TRUE(s) << s.error().message;
    auto cp = (*s)->checkpoint();
    ASSERT_TRUE(cp);
    ASSERT_FALSE(cp->signatures.empty());
    auto snap = (*s)->snapshot();
    ASSERT_TRUE(snap && *snap);
    cp->signatures.back().sig[3] ^= 0x40;
    ASSERT_TRUE((*s)->put_checkpoint(*cp, (*snap)->state));
  }
  auto [st, out] = run_cli({"ledger", "verify", "--config", c.config_file().string(), "--data", c.data(id).string()});
  EXPECT_EQ(st, 1) << out;
  EXPECT_NE(out.find("certificate"), std::string::npos) << out;
}

void whole_cluster_restart(const std::string& protocol) {
  LocalCluster c(4, protocol, "--checkpoint-interval 16");
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  Writers w;

  for (int sig : {SIGKILL, SIGTERM}) {
    SCOPED_TRACE(sig == SIGKILL ? "SIGKILL of all replicas" : "clean stop of all replicas");
    std::string round = sig == SIGKILL ? "a" : "b";
    w.start(c.config(), 3, round);
    uint64_t base = w.ok;
    ASSERT_TRUE(wait_for([&] { return w.ok >= base + 120; }, 30s)) << "no load progress";
    // Everyone at once, while clients are still writing.
    w.stop = true;
    c.kill_all(sig);
    double before = 0;
    for (uint32_t i = 0; i < 4; ++i) {
      ledger::OpenOptions oo;
      oo.read_only = true;
      oo.create_if_missing = false;
      auto s = ledger::Store::open(c.data(i).string(), ledger::genesis_config(c.config()), oo);
      ASSERT_TRUE(s) << s.error().message;
      before = std::max(before, static_cast<double>((*s)->last_final()));
    }
    c.start_all();
    ASSERT_TRUE(c.wait_up(20s));
    w.join();  // in-flight puts finish against the restarted cluster
    // The cluster resumed from what was stored: nothing acknowledged is missing...
    check_acked(c, w);
    // ... and it orders new batches above the old ledger, on every replica.
    EXPECT_TRUE(wait_for([&] { return min_final(c) > before; }, 30s))
        << "replicas did not move past height " << before << " (min final " << min_final(c) << ")";
  }

  // Ledgers: all verify offline and are the same chain of hashes.
  c.kill_all(SIGTERM);
  EXPECT_GT(check_ledgers(c), 100u);
  tampered_checkpoint_is_refused(c, 1);
}

// A view change first (the primary dies under load and comes back), so replicas executed blocks
// in different views; then the whole cluster dies at once. Block hashes still agree everywhere.
void view_change_then_whole_cluster_restart(const std::string& protocol) {
  LocalCluster c(4, protocol, "--checkpoint-interval 16");
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  Writers w;
  w.start(c.config(), 3, "v");
  ASSERT_TRUE(wait_for([&] { return w.ok >= 60; }, 30s));
  c.kill(0);
  uint64_t base = w.ok;
  ASSERT_TRUE(wait_for([&] { return w.ok >= base + 60; }, 30s)) << "no progress after the primary died";
  EXPECT_TRUE(c.wait_metric_at_least(1, "rampart_view", 1, 5s)) << "view " << c.metric(1, "rampart_view");
  c.start(0);
  double h = c.metric(1, "rampart_final_height");
  EXPECT_TRUE(c.wait_metric_at_least(0, "rampart_final_height", h, 30s)) << "replica 0 did not catch up to " << h;
  w.stop = true;
  double views[4];
  for (uint32_t i = 0; i < 4; ++i) views[i] = c.metric(i, "rampart_view");
  c.kill_all(SIGKILL);
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  w.join();
  check_acked(c, w);
  // New writes after the restart.
  w.start(c.config(), 2, "after");
  base = w.ok;
  EXPECT_TRUE(wait_for([&] { return w.ok >= base + 30; }, 30s)) << "no progress after the restart";
  w.join();
  check_acked(c, w);
  // Each replica came back in a view no lower than the one it was in (its journal's promise),
  // not in view 0 as before there was a journal.
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(c.wait_metric_at_least(i, "rampart_view", views[i], 20s))
        << "replica " << i << " was in view " << views[i] << " before the restart, now " << c.metric(i, "rampart_view");
  }
  EXPECT_GE(views[1], 1);
  c.kill_all(SIGTERM);
  EXPECT_GT(check_ledgers(c), 50u);
}

// Every replica dies at once and only n - f come back (the primary stays down in one round, a
// backup in the other): every acknowledged put must still be there, and the survivors go on.
// Replies wait until the proof is fsync'ed at n - f replicas, so any n - f survivors include one
// that holds it; before that rule the replica that answered could be the one that stays down
// while the others held the block unproven. Then the replica left down comes back (it may hold
// proven blocks the survivors replaced: ForkResolver) and must rejoin: with another replica
// killed, the cluster needs it to make progress, and at the end all four ledgers agree.
void expect_rejoins(LocalCluster& c, uint32_t back, uint32_t other);

void whole_cluster_crash_only_nf_return(const std::string& protocol) {
  for (uint32_t down : {0u, 2u}) {
    SCOPED_TRACE("replica " + std::to_string(down) + " stays down");
    LocalCluster c(4, protocol, "--checkpoint-interval 16");
    c.start_all();
    ASSERT_TRUE(c.wait_up(20s));
    Writers w;
    w.start(c.config(), 4, "r");
    ASSERT_TRUE(wait_for([&] { return w.ok >= 150; }, 30s)) << "no load progress";
    w.stop = true;
    c.kill_all(SIGKILL);
    for (uint32_t i = 0; i < 4; ++i)
      if (i != down) c.start(i);
    ASSERT_TRUE(c.wait_up(20s));
    w.join();
    check_acked(c, w);
    w.start(c.config(), 2, "after");
    uint64_t base = w.ok;
    EXPECT_TRUE(wait_for([&] { return w.ok >= base + 30; }, 30s)) << "no progress with n - f replicas";
    w.join();
    check_acked(c, w);
    expect_rejoins(c, down, (down + 1) % 4);
    c.kill_all(SIGTERM);
    EXPECT_GT(check_ledgers(c), 10u);
  }
}

// Replica `back` was down while the others went on: start it, wait until it has caught up,
// then kill `other` so that n - f = 3 replicas can only make progress with `back` taking part.
void expect_rejoins(LocalCluster& c, uint32_t back, uint32_t other) {
  c.start(back);
  ASSERT_TRUE(c.wait_up(20s));
  double h = c.metric(other, "rampart_final_height");
  EXPECT_TRUE(c.wait_metric_at_least(back, "rampart_final_height", h, 30s))
      << "replica " << back << " did not catch up to " << h << " (it has " << c.metric(back, "rampart_final_height") << ")";
  c.kill(other);
  Writers w;
  w.start(c.config(), 2, "rejoined");
  EXPECT_TRUE(wait_for([&] { return w.ok >= 30; }, 30s)) << "no progress with replica " << back << " in the quorum";
  w.join();
  check_acked(c, w);
  c.start(other);
  ASSERT_TRUE(c.wait_up(20s));
  double top = c.metric(back, "rampart_final_height");
  EXPECT_TRUE(c.wait_metric_at_least(other, "rampart_final_height", top, 30s));
}

// The case ForkResolver exists for, staged so that it happens every time: replica 0 holds
// proven blocks (round "x") that the other three never kept — their data folders are put back
// to a copy taken before round x, as if they had crashed before fsyncing it — and the three go
// on without it, ordering other batches (round "y") at those heights. Replica 0 comes back
// after the handshake's grace period: its catch-up finds a broken hash link, f + 1 peers show
// the same proven fork, it drops its blocks from the fork on (rampart_blocks_abandoned_total),
// catches up and rejoins. (Round x was acknowledged to its clients: rewinding three disks is
// more than a crash can do. Only round y's puts are checked.)
void lone_replica_with_replaced_blocks_rejoins(const std::string& protocol) {
  namespace fs = std::filesystem;
  LocalCluster c(4, protocol, "--checkpoint-interval 16");
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  {
    Writers w;
    w.start(c.config(), 3, "s");
    ASSERT_TRUE(wait_for([&] { return w.ok >= 40; }, 30s)) << "no load progress";
    w.join();
  }
  c.kill_all(SIGTERM);
  for (uint32_t i = 1; i < 4; ++i) fs::copy(c.data(i), c.dir() / ("saved-" + std::to_string(i)), fs::copy_options::recursive);
  auto final_of = [&](uint32_t i) {
    ledger::OpenOptions oo;
    oo.read_only = true;
    oo.create_if_missing = false;
    auto s = ledger::Store::open(c.data(i).string(), ledger::genesis_config(c.config()), oo);
    EXPECT_TRUE(s) << s.error().message;
    return s ? (*s)->last_final() : 0;
  };
  // Where the three's chains end once opened again: their final blocks, and the proven ones right
  // above, which opening makes final (ledger::OpenOptions::proof_ok; a proof synced before it was
  // marked final, as the background check of replica/proofs.hpp leaves more often). Replica 0's
  // blocks up to there are the same as theirs and stay.
  auto top_after_open = [&](uint32_t i) {
    ledger::OpenOptions oo;
    oo.read_only = true;
    oo.create_if_missing = false;
    auto s = ledger::Store::open(c.data(i).string(), ledger::genesis_config(c.config()), oo);
    EXPECT_TRUE(s) << s.error().message;
    if (!s) return uint64_t{0};
    uint64_t p = (*s)->last_final();
    while (p < (*s)->last_block()) {
      auto b = (*s)->block(p + 1);
      if (!b || !b->proven()) break;
      ++p;
    }
    return p;
  };
  uint64_t saved_top = std::max({top_after_open(1), top_after_open(2), top_after_open(3)});

  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  {
    Writers w;
    w.start(c.config(), 3, "x");
    ASSERT_TRUE(wait_for([&] { return w.ok >= 60; }, 30s)) << "no load progress in round x";
    w.join();
  }
  c.kill_all(SIGTERM);
  uint64_t lone_top = final_of(0);
  ASSERT_GT(lone_top, saved_top) << "round x left no blocks above the saved folders";
  for (uint32_t i = 1; i < 4; ++i) {
    fs::remove_all(c.data(i));
    fs::copy(c.dir() / ("saved-" + std::to_string(i)), c.data(i), fs::copy_options::recursive);
  }

  for (uint32_t i = 1; i < 4; ++i) c.start(i);
  ASSERT_TRUE(c.wait_up(20s));
  Writers w;
  w.start(c.config(), 3, "y");
  ASSERT_TRUE(wait_for([&] { return c.metric(1, "rampart_final_height") > static_cast<double>(lone_top + 4); }, 60s))
      << "the three did not order past replica 0's height " << lone_top;
  w.join();
  expect_rejoins(c, 0, 3);
  EXPECT_GE(c.metric(0, "rampart_blocks_abandoned_total"), static_cast<double>(lone_top - saved_top))
      << "replica 0 should have dropped its blocks above " << saved_top;
  check_acked(c, w);
  c.kill_all(SIGTERM);
  EXPECT_GT(check_ledgers(c), lone_top);
}

TEST(Process, LoneReplicaWithReplacedBlocksRejoinsPoe) { lone_replica_with_replaced_blocks_rejoins("poe"); }
TEST(Process, LoneReplicaWithReplacedBlocksRejoinsPbft) { lone_replica_with_replaced_blocks_rejoins("pbft"); }

TEST(Process, WholeClusterCrashOnlyNfReturnPoe) { whole_cluster_crash_only_nf_return("poe"); }
TEST(Process, WholeClusterCrashOnlyNfReturnPbft) { whole_cluster_crash_only_nf_return("pbft"); }

TEST(Process, ViewChangeThenWholeClusterRestartPoe) { view_change_then_whole_cluster_restart("poe"); }
TEST(Process, ViewChangeThenWholeClusterRestartPbft) { view_change_then_whole_cluster_restart("pbft"); }

TEST(Process, WholeClusterRestartPoe) { whole_cluster_restart("poe"); }
TEST(Process, WholeClusterRestartPbft) { whole_cluster_restart("pbft"); }

}  // namespace
}  // namespace rampart::test

namespace rampart::test {
namespace {
// Two replicas of four are up and wait in the restart handshake for the others. They must wait
// quietly: each answered the other's STATUS with a HELLO broadcast, which drew the next STATUS,
// and two idle replicas exchanged ~400 frames a second each, at half a core each, for as long as
// the others stayed down (found when a test left two replicas behind for 16 minutes).
TEST(Process, ReplicasWaitingForPeersDoNotChatter) {
  LocalCluster c(4, "poe");
  c.start(1);
  c.start(2);
  ASSERT_TRUE(c.wait_up(20s));
  auto frames = [&] { return c.metric(1, "rampart_peer_frames_out_total") + c.metric(1, "rampart_peer_frames_in_total"); };
  // Both are in the handshake (they heard each other: a HELLO and its STATUS went each way).
  ASSERT_TRUE(wait_for([&] { return c.metric(1, "rampart_peer_frames_in_total") >= 2; }, 10s));
  const double f0 = frames();
  const auto t0 = std::chrono::steady_clock::now();
  // A window for a rate: the handshake sends a HELLO every 250 ms, so a few dozen frames in 2 s.
  std::this_thread::sleep_for(2s);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double per_second = (frames() - f0) / secs;
  EXPECT_LT(per_second, 50) << "replica 1 exchanged " << per_second << " frames/s while waiting";
  EXPECT_EQ(c.metric(1, "rampart_view"), 0);
}
}  // namespace
}  // namespace rampart::test
