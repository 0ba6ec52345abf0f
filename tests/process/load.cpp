#include "process/load.hpp"

#include <gtest/gtest.h>

#include <csignal>

#include "app/kv/op.hpp"
#include "client/client.hpp"
#include "ledger/genesis.hpp"
#include "ledger/store.hpp"

namespace rampart::test {

using namespace std::chrono_literals;

void Load::start(const ClusterConfig& cfg, int n) {
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([this, &cfg, t] {
      client::ClientOptions o;
      o.first_replica = static_cast<uint32_t>(1 + t % 3);
      o.timeout = 1500ms;
      o.attempts = 20;
      auto cl = client::Client::create(cfg, o);
      if (!cl) {
        // A thread that cannot even start must not leave the test waiting for progress it never
        // makes without saying why (gtest records failures from any thread).
        ADD_FAILURE() << "load thread " << t << ": " << cl.error().message;
        return;
      }
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

void Load::finish() {
  stop = true;
  for (auto& t : threads) t.join();
  threads.clear();
}

bool Load::progress(uint64_t more, std::chrono::milliseconds deadline) {
  uint64_t target = ok + more;
  return wait_for([&] { return ok >= target; }, deadline);
}

void expect_acked_readable(const LocalCluster& c, Load& load) {
  client::ClientOptions ro;
  ro.attempts = 20;
  auto cl = client::Client::create(c.config(), ro);
  ASSERT_TRUE(cl);
  int checked = 0;
  std::lock_guard<std::mutex> l(load.mu);
  for (auto& [k, v] : load.acked) {
    if (++checked > 20) break;
    auto g = (*cl)->call(app::kv::encode_op(app::kv::get(k)));
    ASSERT_TRUE(g) << g.error().message;
    auto r = app::kv::decode_result(g->result);
    ASSERT_TRUE(r);
    EXPECT_EQ(to_string(r->value), v) << k;
  }
}

void expect_ledgers_verify_and_agree(LocalCluster& c) {
  const uint32_t n = static_cast<uint32_t>(c.config().replicas.size());
  for (uint32_t i = 0; i < n; ++i) c.kill(i, SIGTERM);
  uint64_t common = UINT64_MAX;
  std::vector<std::unique_ptr<ledger::Store>> stores;
  Bytes cfg_bytes = ledger::genesis_config(c.config());
  for (uint32_t i = 0; i < n; ++i) {
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

}  // namespace rampart::test
