// Sign-up through consensus as processes (issue 17): four replicas with a genesis directory of
// four clients, `rampart client signup` signs a new client up (dense id 4, verified CART reply),
// a second key gets id 5; a running broker learns the new client from its certificate (handed
// over by `rampart broker-client --signup-certs`), and the client's messages through the broker
// are delivered with verified certificates; restarted, the broker still knows the client. Signing up again gives the same id, also after a
// whole-cluster restart (the directory is persisted), and a new key then gets the next id.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "broker/client_keys.hpp"
#include "client/signup.hpp"
#include "cluster_fixture.hpp"
#include "cluster_up.hpp"

namespace rampart::test {
namespace {

TEST(SignupProcess, ClientSignsUpAndItsMessagesGoThroughARunningBroker) {
  LocalCluster cluster(4, "poe", "--brokers 1 --broker-clients 4");
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_up(std::chrono::seconds(60)));
  const auto log = cluster.dir() / "broker-0.log";
  pid_t pid = spawn_logged({rampart_bin(), "broker", "--config", cluster.config_file().string(), "--id", "0", "--close-ms",
                            "200", "--reduction-ms", "1000", "--stats-ms", "500"},
                           log);
  ASSERT_TRUE(wait_for([&] { return slurp_file(log).find("event=listening") != std::string::npos; }, std::chrono::seconds(30)))
      << slurp_file(log);

  const std::string key = (cluster.dir() / "alice.key").string();
  auto [code, out] = run_cli({"client", "signup", "--config", cluster.config_file().string(), "--key", key});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("id 4\n"), std::string::npos) << out;  // after the genesis directory's 0..3
  struct stat st{};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto [code3, out3] = run_cli({"client", "signup", "--config", cluster.config_file().string(), "--key",
                                (cluster.dir() / "bob.key").string()});
  ASSERT_EQ(code3, 0) << out3;
  EXPECT_NE(out3.find("id 5\n"), std::string::npos) << out3;
  auto secrets = broker::load_client_secrets(key + ".clients");
  ASSERT_TRUE(secrets) << secrets.error().message;
  ASSERT_EQ(secrets->size(), 1u);
  EXPECT_EQ((*secrets)[0].id, 4u);

  // The broker started before the sign-up: it learns alice from her certificate.
  auto [dcode, dout] = run_cli({"broker-client", "--config", cluster.config_file().string(), "--broker", "0", "--clients",
                                "1", "--messages", "3", "--keys", key + ".clients", "--signup-certs", key + ".cert",
                                "--retransmit-ms", "500", "--timeout-s", "60"},
                               std::chrono::seconds(90));
  EXPECT_EQ(dcode, 0) << dout << "\n--- broker log ---\n" << slurp_file(log);
  EXPECT_NE(dout.find("delivered 3/3"), std::string::npos) << dout;
  EXPECT_NE(slurp_file(log).find("event=client_signed_up id=4"), std::string::npos) << slurp_file(log);

  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp_file(log);

  // A restarted broker still knows alice (it kept her certificate in its data folder) and
  // numbers its batches above every number it reserved before: no certificate handed this time.
  const auto log2 = cluster.dir() / "broker-0-restarted.log";
  pid = spawn_logged({rampart_bin(), "broker", "--config", cluster.config_file().string(), "--id", "0", "--close-ms",
                      "200", "--reduction-ms", "1000", "--stats-ms", "500"},
                     log2);
  ASSERT_TRUE(wait_for([&] { return slurp_file(log2).find("event=listening") != std::string::npos; }, std::chrono::seconds(30)))
      << slurp_file(log2);
  EXPECT_NE(slurp_file(log2).find("signups_loaded=1 "), std::string::npos) << slurp_file(log2);
  EXPECT_NE(slurp_file(log2).find("first_number=1025 "), std::string::npos) << slurp_file(log2);
  auto [rcode, rout] = run_cli({"broker-client", "--config", cluster.config_file().string(), "--broker", "0", "--clients",
                                "1", "--messages", "2", "--keys", key + ".clients", "--retransmit-ms", "500",
                                "--timeout-s", "60"},
                               std::chrono::seconds(90));
  EXPECT_EQ(rcode, 0) << rout << "\n--- broker log ---\n" << slurp_file(log2);
  EXPECT_NE(rout.find("delivered 2/2"), std::string::npos) << rout;
  ::kill(pid, SIGTERM);
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp_file(log2);

  // Alice's broker-path entries used seqs above her sign-up's: signing up again still works (a
  // sign-up uses no seq) and gives the same id.
  auto [code2, out2] = run_cli({"client", "signup", "--config", cluster.config_file().string(), "--key", key});
  ASSERT_EQ(code2, 0) << out2;
  EXPECT_NE(out2.find("id 4\n"), std::string::npos) << out2;

  // The directory is persisted: after a whole-cluster stop and start, alice keeps id 4, bob id 5,
  // and the next new client gets 6.
  cluster.kill_all(SIGTERM);
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_up(std::chrono::seconds(60)));
  for (uint32_t r = 0; r < 4; ++r)
    EXPECT_TRUE(cluster.wait_metric_at_least(r, "rampart_client_signups_final", 2, std::chrono::seconds(30))) << r;
  auto [code4, out4] = run_cli({"client", "signup", "--config", cluster.config_file().string(), "--key",
                                (cluster.dir() / "bob.key").string()});
  ASSERT_EQ(code4, 0) << out4;
  EXPECT_NE(out4.find("id 5\n"), std::string::npos) << out4;
  auto [code5, out5] = run_cli({"client", "signup", "--config", cluster.config_file().string(), "--key",
                                (cluster.dir() / "carol.key").string()});
  ASSERT_EQ(code5, 0) << out5;
  EXPECT_NE(out5.find("id 6\n"), std::string::npos) << out5;
}

// No genesis directory at all: `cluster up` still starts the broker, which learns every client
// from its sign-up certificate.
TEST(SignupProcess, ClusterUpWithoutADirectoryStartsBrokersThatServeSignedUpClients) {
  LocalCluster cluster(4, "poe", "--brokers 1");
  ASSERT_TRUE(cluster.config().clients.empty());
  ClusterUp up(cluster, {});
  ASSERT_TRUE(up.wait_ready(std::chrono::seconds(60))) << up.output();
  EXPECT_NE(up.output().find("(sign-ups only)"), std::string::npos) << up.output();
  const auto log = cluster.dir() / "logs" / "broker-0.log";
  ASSERT_TRUE(wait_for([&] { return slurp_file(log).find("event=listening") != std::string::npos; }, std::chrono::seconds(30)))
      << slurp_file(log);
  // `cluster up` started the replicas (not the fixture): wait until each serves its metrics.
  ASSERT_TRUE(wait_for(
      [&] {
        for (uint32_t r = 0; r < 4; ++r)
          if (cluster.metric(r, "rampart_height") < 0) return false;
        return true;
      },
      std::chrono::seconds(60)));
  const std::string key = (cluster.dir() / "first.key").string();
  auto [code, out] = run_cli({"client", "signup", "--config", cluster.config_file().string(), "--key", key});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("id 0\n"), std::string::npos) << out;
  auto [dcode, dout] = run_cli({"broker-client", "--config", cluster.config_file().string(), "--broker", "0", "--clients",
                                "1", "--messages", "2", "--keys", key + ".clients", "--signup-certs", key + ".cert",
                                "--retransmit-ms", "500", "--timeout-s", "60"},
                               std::chrono::seconds(90));
  EXPECT_EQ(dcode, 0) << dout << "\n--- broker log ---\n" << slurp_file(log);
  EXPECT_NE(dout.find("delivered 2/2"), std::string::npos) << dout;
  EXPECT_EQ(up.interrupt(std::chrono::seconds(20)), 0) << up.output();
}

}  // namespace
}  // namespace rampart::test
