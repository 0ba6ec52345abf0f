// Under load, SIGKILL a backup, then (after it restarted and caught up) the primary, forcing a
// view change: the cluster keeps serving, the killed replicas restart from RocksDB and catch up,
// and every ledger verifies offline and agrees with the others block by block.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include "app/kv/op.hpp"
#include "client/client.hpp"
#include "client/group_key.hpp"
#include "ledger/genesis.hpp"
#include "ledger/store.hpp"
#include "process/cluster_fixture.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

struct Load {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ok{0}, failed{0};
  std::vector<std::thread> threads;
  std::mutex mu;
  std::map<std::string, std::string> acked;  // every acknowledged put

  void start(const ClusterConfig& cfg, int n) {
    for (int t = 0; t < n; ++t) {
      threads.emplace_back([this, &cfg, t] {
        client::ClientOptions o;
        o.first_replica = static_cast<uint32_t>(1 + t % 3);
        o.timeout = 1500ms;
        o.attempts = 20;
        auto cl = client::Client::create(cfg, o);
        if (!cl) return;
        for (int i = 0; !stop; ++i) {
          std::string k = "t" + std::to_string(t) + "-" + std::to_string(i % 50), v = std::to_string(i);
          if ((*cl)->call(app::kv::encode_op(app::kv::put(k, v)))) {
            ok++;
            std::lock_guard<std::mutex> l(mu);
            acked[k] = v;
          } else {
            failed++;
          }
        }
      });
    }
  }
  void finish() {
    stop = true;
    for (auto& t : threads) t.join();
    threads.clear();
  }
  // A failed ASSERT returns early: join so the failure is reported instead of std::terminate.
  ~Load() { finish(); }
};

// journal_records=N of the last "event=resumed" line in replica id's log (-1: none yet): what
// the restarted replica got back of the votes and promises its protocol journaled.
long resumed_journal_records(const LocalCluster& c, uint32_t id) {
  std::ifstream in(c.log(id));
  std::string line;
  long n = -1;
  while (std::getline(in, line)) {
    if (line.find("event=resumed") == std::string::npos) continue;
    auto p = line.find("journal_records=");
    if (p != std::string::npos) n = std::stol(line.substr(p + 16));
  }
  return n;
}

void crash_backup_then_primary_under_load(const std::string& protocol) {
  LocalCluster c(4, protocol, "--checkpoint-interval 16");
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  Load load;
  load.start(c.config(), 3);
  auto progress = [&](uint64_t more) {
    uint64_t target = load.ok + more;
    return wait_for([&] { return load.ok >= target; }, 30s);
  };
  ASSERT_TRUE(progress(30));

  // 1. A backup dies; the others keep serving.
  c.kill(3);
  EXPECT_TRUE(progress(30)) << "no progress without backup 3";
  c.start(3);
  double h = c.metric(1, "rampart_final_height");
  EXPECT_TRUE(c.wait_metric_at_least(3, "rampart_final_height", h, 40s)) << "replica 3 did not catch up to " << h;
  // Killed while voting: it comes back with the votes it journaled above its stable checkpoint.
  EXPECT_GT(resumed_journal_records(c, 3), 0) << "replica 3 restarted without its journal";

  // 2. The primary dies: a view change, then service resumes.
  c.kill(0);
  EXPECT_TRUE(progress(30)) << "no progress after the primary died";
  EXPECT_GE(c.metric(1, "rampart_view"), 1);
  c.start(0);
  h = c.metric(1, "rampart_final_height");
  EXPECT_TRUE(c.wait_metric_at_least(0, "rampart_final_height", h, 40s)) << "replica 0 did not catch up to " << h;
  load.finish();

  // Every acknowledged write is readable.
  client::ClientOptions ro;
  ro.attempts = 20;
  auto cl = client::Client::create(c.config(), ro);
  ASSERT_TRUE(cl);
  int checked = 0;
  for (auto& [k, v] : load.acked) {
    if (++checked > 20) break;
    auto g = (*cl)->call(app::kv::encode_op(app::kv::get(k)));
    ASSERT_TRUE(g) << g.error().message;
    auto r = app::kv::decode_result(g->result);
    ASSERT_TRUE(r);
    EXPECT_EQ(to_string(r->value), v) << k;
  }

  // 3. Stop everyone; every ledger verifies, and they agree on every block they all hold.
  for (uint32_t i = 0; i < 4; ++i) c.kill(i, SIGTERM);
  uint64_t common = UINT64_MAX;
  std::vector<std::unique_ptr<ledger::Store>> stores;
  Bytes cfg_bytes = ledger::genesis_config(c.config());
  for (uint32_t i = 0; i < 4; ++i) {
    auto [st, out] = run_cli({"ledger", "verify", "--config", c.config_file().string(), "--data", c.data(i).string()});
    EXPECT_EQ(st, 0) << "replica " << i << ": " << out;
    ledger::OpenOptions oo;
    oo.read_only = true;
    oo.create_if_missing = false;
    auto s = ledger::Store::open(c.data(i).string(), cfg_bytes, oo);
    ASSERT_TRUE(s) << s.error().message;
    common = std::min(common, (*s)->last_final());
    stores.push_back(std::move(*s));
  }
  EXPECT_GT(common, 0u);
  // Replicas that installed a checkpoint by state transfer hold blocks from 1 as well.
  for (uint64_t k = 1; k <= common; ++k) {
    auto b0 = stores[0]->block(k);
    ASSERT_TRUE(b0);
    for (size_t i = 1; i < stores.size(); ++i) {
      auto bi = stores[i]->block(k);
      ASSERT_TRUE(bi);
      // Same batch, same resulting state, same results. (The header's view may differ: a
      // replica that re-executed k after a view change records the new view.)
      EXPECT_EQ(b0->batch_digest, bi->batch_digest) << "block " << k << " replica " << i;
      EXPECT_EQ(b0->state_digest, bi->state_digest) << "block " << k << " replica " << i;
      EXPECT_EQ(b0->results_root, bi->results_root) << "block " << k << " replica " << i;
    }
  }
}

TEST(Process, CrashBackupThenPrimaryUnderLoad) { crash_backup_then_primary_under_load("poe"); }
TEST(Process, CrashBackupThenPrimaryUnderLoadPbft) { crash_backup_then_primary_under_load("pbft"); }

}  // namespace
}  // namespace rampart::test
