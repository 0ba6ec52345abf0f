// A 4-replica cluster serves KV requests from several concurrent clients; every answer the
// clients accept passed CART verification (group signature + Merkle proof) inside Client.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "app/kv/op.hpp"
#include "client/client.hpp"
#include "process/cluster_fixture.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

void concurrent_clients(const std::string& protocol) {
  LocalCluster c(4, protocol);
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  constexpr int kThreads = 4, kOps = 25;
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      client::ClientOptions o;
      o.first_replica = static_cast<uint32_t>(t);
      auto cl = client::Client::create(c.config(), o);
      if (!cl) {
        bad++;
        return;
      }
      for (int i = 0; i < kOps; ++i) {
        std::string k = "k" + std::to_string(t) + "-" + std::to_string(i), v = "v" + std::to_string(i * 7 + t);
        auto p = (*cl)->call(app::kv::encode_op(app::kv::put(k, v)));
        auto g = (*cl)->call(app::kv::encode_op(app::kv::get(k)));
        if (!p || !g) {
          bad++;
          continue;
        }
        auto r = app::kv::decode_result(g->result);
        if (r && r->code == app::kv::Code::ok && to_string(r->value) == v)
          ok++;
        else
          bad++;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(ok.load(), kThreads * kOps);
  // Every replica executed it all, and each request was checked by at least f + 1 replicas
  // before they agreed to order it: the replica the client sent to (on arrival) and its
  // batch's other witnesses (replica/witness.hpp). A replica accepts a batch it did not check
  // only on f + 1 witnesses' signatures (one of them correct, so it checked), or, fallen
  // behind, on its commit certificate (PBFT CATCHUP) -- never on the primary's word -- so per
  // replica checked + accepted on witnesses + executed on certificate covers every request.
  // Waited for, not read once: the clients are done when nf replicas have answered.
  constexpr double kRequests = 2 * kThreads * kOps;
  const double f_plus_1 = 2;
  auto checked = [&](uint32_t i) { return c.metric(i, "rampart_client_signatures_checked_total"); };
  auto on_cert = [&](uint32_t i) {
    return c.metric(i, "rampart_requests_executed_on_certificate_total") + c.metric(i, "rampart_requests_on_witnesses_total");
  };
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(c.wait_metric_at_least(i, "rampart_ops_executed_total", kRequests, 10s)) << i;
    EXPECT_TRUE(wait_for([&] { return checked(i) + on_cert(i) >= kRequests; }, 10s))
        << "replica " << i << ": checked " << checked(i) << ", on witnesses or certificate " << on_cert(i);
  }
  double checked_total = 0;
  for (uint32_t i = 0; i < 4; ++i) checked_total += checked(i);
  EXPECT_GE(checked_total, f_plus_1 * kRequests);
  // The ledgers verify offline.
  c.kill(0, SIGTERM);
  auto [st, out] = run_cli({"ledger", "verify", "--config", c.config_file().string(), "--data", c.data(0).string()});
  EXPECT_EQ(st, 0) << out;
}

TEST(Process, ConcurrentClientsPoe) { concurrent_clients("poe"); }
TEST(Process, ConcurrentClientsPbft) { concurrent_clients("pbft"); }

}  // namespace
}  // namespace rampart::test
