// `rampart broker` as a process: clients (broker::UdpClient) reach it over UDP, it proposes,
// collects their reductions and distils the batch. No replica runs here, so the test ends at the
// distilled batch, which the broker logs as event=distilled (broker_cluster_test.cpp goes on to
// deliveries).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "broker/udp_client.hpp"
#include "broker/directory_file.hpp"
#include "client/group_key.hpp"
#include "cluster_fixture.hpp"
#include "cluster_up.hpp"

namespace rampart::test {
namespace {

Bytes seed(uint32_t i, uint8_t salt) {
  Bytes s(32, salt);
  std::memcpy(s.data(), &i, 4);
  return s;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(BrokerProcess, UdpClientsGetTheirBatchDistilled) {
  LocalCluster cluster(4, "poe", "--brokers 1");
  const auto& cfg = cluster.config();
  ASSERT_EQ(cfg.brokers.size(), 1u);
  std::vector<broker::ClientRecord> recs;
  for (uint32_t i = 0; i < 3; ++i) {
    auto sk = *crypto::bls::SecretKey::from_seed(seed(i, 2));
    recs.push_back({i, crypto::ed25519::KeyPair::from_seed(seed(i, 1))->public_key(), crypto::bls::public_key(sk),
                    crypto::bls::prove_possession(sk)});
  }
  const auto clients_file = cluster.dir() / "clients.toml";
  ASSERT_TRUE(broker::save_directory(clients_file, recs).ok());
  const auto log = cluster.dir() / "broker-0.log";
  pid_t pid = spawn_logged({rampart_bin(), "broker", "--config", cluster.config_file().string(), "--id", "0", "--clients",
                            clients_file.string(), "--batch-size", "3", "--stats-ms", "200"},
                           log);
  ASSERT_TRUE(wait_for([&] { return slurp(log).find("event=listening") != std::string::npos; }, std::chrono::seconds(30)))
      << slurp(log);

  auto group = client::make_group_verifier(cfg);
  ASSERT_TRUE(group.ok());
  asio::io_context io;
  const std::vector<asio::ip::udp::endpoint> brokers{{asio::ip::address_v4::loopback(), cfg.brokers[0].port}};
  std::vector<std::unique_ptr<broker::UdpClient>> cs;
  for (uint32_t i = 0; i < 3; ++i) {
    broker::ClientConfig cc;
    cc.id = i;
    cc.retransmit_ms = 300;
    cs.push_back(std::make_unique<broker::UdpClient>(io, brokers, cc, *crypto::ed25519::KeyPair::from_seed(seed(i, 1)),
                                                     *crypto::bls::SecretKey::from_seed(seed(i, 2)), group->get()));
    ASSERT_TRUE(cs.back()->core().submit(to_bytes("op-" + std::to_string(i))).ok());
  }
  // Each client answers its proof with a reduction (retransmitting if a datagram is lost).
  EXPECT_TRUE(wait_for(
      [&] {
        io.run_for(std::chrono::milliseconds(20));
        size_t reduced = 0;
        for (auto& c : cs) reduced += c->core().stats().reductions_sent > 0;
        return reduced == cs.size();
      },
      std::chrono::seconds(30)));
  for (auto& c : cs) EXPECT_EQ(c->core().stats().rejected, 0u) << c->core().stats().last_rejection;
  EXPECT_TRUE(wait_for([&] { return slurp(log).find("event=distilled number=1 entries=3 stragglers=0 aggregate=true") != std::string::npos; },
                       std::chrono::seconds(30)))
      << slurp(log);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(log);
}

TEST(BrokerProcess, RefusesToStartWithABadDirectory) {
  LocalCluster cluster(4, "poe", "--brokers 1");
  const auto clients_file = cluster.dir() / "clients.toml";
  {
    std::ofstream f(clients_file);
    f << "format = \"rampart-clients-v1\"\n[[client]]\nid = 0\ned25519 = \"00\"\n";
  }
  auto [st, out] = run_cli({"broker", "--config", cluster.config_file().string(), "--id", "0", "--clients", clients_file.string()});
  EXPECT_EQ(st, 2) << out;
  EXPECT_NE(out.find("ed25519 must be 32 bytes"), std::string::npos) << out;
}

TEST(BrokerProcess, ClusterUpStartsItsBrokers) {
  LocalCluster cluster(4, "poe", "--brokers 2 --broker-clients 4");
  const auto& cfg = cluster.config();
  ClusterUp up(cluster, {});
  ASSERT_TRUE(up.wait_ready(std::chrono::seconds(60))) << up.output();
  const std::string out = up.output();
  for (const auto& b : cfg.brokers) {
    const std::string id = std::to_string(b.id);
    EXPECT_NE(out.find("broker " + id + " "), std::string::npos) << out;
    EXPECT_NE(out.find("udp " + b.host + ":" + std::to_string(b.port)), std::string::npos) << out;
    const auto log = cluster.dir() / "logs" / ("broker-" + id + ".log");
    EXPECT_TRUE(wait_for([&] { return slurp(log).find("event=listening") != std::string::npos; }, std::chrono::seconds(30)))
        << slurp(log);
  }
  EXPECT_EQ(up.interrupt(std::chrono::seconds(20)), 0) << up.output();
}

}  // namespace
}  // namespace rampart::test
