// The broker path end to end, as processes: `rampart keygen --broker-clients`, four replicas,
// one `rampart broker` linked to them over their client ports, and `rampart broker-client`
// playing clients through the broker over UDP. The driver exits 0 only when every message got a
// Delivery whose group signature and inclusion proof it checked (broker::Client).
//
// The replica side (src/replica/replica_broker.cpp, deliveries.cpp) checks, witnesses and orders
// the distilled batches and answers a Delivered on the broker's connection.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <regex>

#include "broker/client_keys.hpp"
#include "broker/directory_file.hpp"
#include "cluster_fixture.hpp"
#include "cluster_up.hpp"

namespace rampart::test {
namespace {

// Whether one of the broker's stats lines says at least `n` batches were delivered and none waits.
bool broker_delivered(const std::string& log, uint64_t n) {
  static const std::regex re(" delivered=([0-9]+) undelivered=0 ");
  for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it)
    if (std::stoull((*it)[1].str()) >= n) return true;
  return false;
}

TEST(BrokerCluster, ClientsGetVerifiedDeliveriesThroughABroker) {
  LocalCluster cluster(4, "poe", "--brokers 1 --broker-clients 8");
  const auto& cfg = cluster.config();
  ASSERT_EQ(cfg.brokers.size(), 1u);
  ASSERT_EQ(cfg.clients, "clients.toml");  // keygen named the directory in cluster.toml
  auto dir = broker::load_directory(cfg.resolve(cfg.clients));
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  EXPECT_EQ((*dir)->size(), 8u);
  struct stat st{};
  ASSERT_EQ(::stat(cfg.resolve(broker::kClientSecretsFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  cluster.start_all();
  ASSERT_TRUE(cluster.wait_up(std::chrono::seconds(60)));
  const auto log = cluster.dir() / "broker-0.log";
  // No --clients: the broker takes cluster.toml's directory, as the replicas do. Two worker
  // threads check the Submits' signatures, every thread pinned to core 0 (there is always one).
  pid_t pid = spawn_logged({rampart_bin(), "broker", "--config", cluster.config_file().string(), "--id", "0", "--close-ms",
                            "200", "--reduction-ms", "1000", "--stats-ms", "500", "--workers", "2", "--cpus", "0"},
                           log);
  ASSERT_TRUE(wait_for([&] { return slurp_file(log).find("event=listening") != std::string::npos; }, std::chrono::seconds(30)))
      << slurp_file(log);
  EXPECT_NE(slurp_file(log).find("workers=2 cpus=\"0\""), std::string::npos) << slurp_file(log);

  // Six clients, three messages each, one outstanding at a time: at least three batches.
  auto [code, out] = run_cli({"broker-client", "--config", cluster.config_file().string(), "--broker", "0", "--clients", "6",
                              "--messages", "3", "--retransmit-ms", "500", "--timeout-s", "90"},
                             std::chrono::seconds(120));
  EXPECT_EQ(code, 0) << out << "\n--- broker log ---\n" << slurp_file(log);
  EXPECT_NE(out.find("delivered 18/18"), std::string::npos) << out;
  EXPECT_NE(out.find("rejected 0"), std::string::npos) << out;
  // The broker saw its batches delivered (a stats line: at least three, none left waiting).
  EXPECT_TRUE(wait_for([&] { return broker_delivered(slurp_file(log), 3); }, std::chrono::seconds(5))) << slurp_file(log);

  // Paced on the client side: a token bucket of 20 messages a second with a burst of 2. The 12
  // messages cannot all leave within (12 - 2) / 20 s = 0.5 s of the start, however fast the
  // cluster answers (a lower bound the limiter guarantees, not a timing guess).
  auto [pcode, pout] = run_cli({"broker-client", "--config", cluster.config_file().string(), "--broker", "0", "--clients",
                                "6", "--messages", "2", "--rate", "20", "--burst", "2", "--retransmit-ms", "500",
                                "--timeout-s", "90"},
                               std::chrono::seconds(120));
  EXPECT_EQ(pcode, 0) << pout << "\n--- broker log ---\n" << slurp_file(log);
  EXPECT_NE(pout.find("delivered 12/12 in "), std::string::npos) << pout;
  std::smatch took;
  ASSERT_TRUE(std::regex_search(pout, took, std::regex("in ([0-9.]+) s .* paced ([0-9]+)"))) << pout;
  EXPECT_GE(std::stod(took[1].str()), 0.5) << pout;
  EXPECT_GE(std::stoull(took[2].str()), 4u) << "the first six found only two tokens: " << pout;

  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp_file(log);
}

}  // namespace
}  // namespace rampart::test
