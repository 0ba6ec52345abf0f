// The broker's side of the broker path end to end as processes, against stand-in replicas that
// follow the replica contract (broker_stand_in_replicas.hpp): `rampart broker` links to their
// client ports with its key, resubmits around a replica that is down, and `rampart broker-client`
// gets every message delivered with a certificate it verified. What it does not show is the real
// replica side: BrokerCluster.ClientsGetVerifiedDeliveriesThroughABroker does, once it exists.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <regex>

#include "broker_stand_in_replicas.hpp"
#include "cluster_fixture.hpp"
#include "cluster_up.hpp"

namespace rampart::test {
namespace {

// The largest value of `counter` over the broker's stats lines.
uint64_t stat(const std::string& log, const std::string& counter) {
  const std::regex re(" " + counter + "=([0-9]+)");
  uint64_t best = 0;
  for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it) best = std::max<uint64_t>(best, std::stoull((*it)[1].str()));
  return best;
}

TEST(BrokerProcess, DeliversThroughStandInReplicasAndResubmitsAroundADownOne) {
  LocalCluster cluster(4, "poe", "--brokers 1 --broker-clients 6");
  const auto& cfg = cluster.config();
  // Replica 1 is down: batch 1's entry replica ((0 + 1) mod 4), and again batch 5's.
  StandInReplicas replicas(cfg, {0, 2, 3});
  const auto log = cluster.dir() / "broker-0.log";
  pid_t pid = spawn_logged({rampart_bin(), "broker", "--config", cluster.config_file().string(), "--id", "0", "--close-ms",
                            "100", "--reduction-ms", "1000", "--stats-ms", "200"},
                           log);
  ASSERT_TRUE(wait_for([&] { return slurp_file(log).find("event=listening") != std::string::npos; }, std::chrono::seconds(30)))
      << slurp_file(log);

  auto [code, out] = run_cli({"broker-client", "--config", cluster.config_file().string(), "--broker", "0", "--clients", "6",
                              "--messages", "3", "--retransmit-ms", "500", "--timeout-s", "60"},
                             std::chrono::seconds(90));
  EXPECT_EQ(code, 0) << out << "\n--- broker log ---\n" << slurp_file(log);
  EXPECT_NE(out.find("delivered 18/18"), std::string::npos) << out;
  EXPECT_NE(out.find("rejected 0"), std::string::npos) << out;
  EXPECT_EQ(replicas.refused(), 0u);
  EXPECT_EQ(replicas.batches_received(1), 0u);    // never reachable
  EXPECT_GE(replicas.batches_received(2), 1u);    // took batch 1 after the entry replica's silence
  // At least three batches (one message per client each). A stand-in counts a delivery once its
  // write completed, which may be just after the driver saw it.
  EXPECT_TRUE(wait_for([&] { return replicas.delivered() >= 3; }, std::chrono::seconds(5))) << replicas.delivered();
  ASSERT_TRUE(wait_for([&] { return stat(slurp_file(log), "delivered") >= 3; }, std::chrono::seconds(5))) << slurp_file(log);
  const std::string l = slurp_file(log);
  EXPECT_GE(stat(l, "resubmissions"), 1u) << l;
  EXPECT_EQ(stat(l, "oversize"), 0u);
  EXPECT_NE(l.find("event=replica_link_up replica=2"), std::string::npos) << l;

  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp_file(log);
}

TEST(BrokerProcess, ForgedDeliveredFromTheEntryReplicaCostsOnlyAResubmission) {
  LocalCluster cluster(4, "poe", "--brokers 1 --broker-clients 4");
  const auto& cfg = cluster.config();
  // Every replica is up; replica 1, batch 1's entry replica, answers with forged certificates.
  StandInReplicas replicas(cfg, {0, 1, 2, 3}, {1});
  const auto log = cluster.dir() / "broker-0.log";
  pid_t pid = spawn_logged({rampart_bin(), "broker", "--config", cluster.config_file().string(), "--id", "0", "--close-ms",
                            "100", "--stats-ms", "200"},
                           log);
  ASSERT_TRUE(wait_for([&] { return slurp_file(log).find("event=listening") != std::string::npos; }, std::chrono::seconds(30)))
      << slurp_file(log);

  auto [code, out] = run_cli({"broker-client", "--config", cluster.config_file().string(), "--clients", "4", "--messages", "1",
                              "--timeout-s", "60"},
                             std::chrono::seconds(90));
  EXPECT_EQ(code, 0) << out << "\n--- broker log ---\n" << slurp_file(log);
  EXPECT_NE(out.find("delivered 4/4"), std::string::npos) << out;
  EXPECT_NE(out.find("rejected 0"), std::string::npos) << out;  // no client ever saw the forgery
  EXPECT_GE(replicas.forged(), 1u);
  EXPECT_GE(replicas.batches_received(2), 1u);  // the next replica after the liar
  ASSERT_TRUE(wait_for([&] { return stat(slurp_file(log), "delivered") >= 1; }, std::chrono::seconds(5))) << slurp_file(log);
  const std::string l = slurp_file(log);
  EXPECT_GE(stat(l, "resubmissions"), 1u) << l;
  EXPECT_GE(stat(l, "rejected"), 1u) << l;  // the forged certificate, refused by the broker core

  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp_file(log);
}

}  // namespace
}  // namespace rampart::test
