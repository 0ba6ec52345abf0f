// A replica refuses to start on what cannot work, with a message that names the cause and exit
// status 2 (bad config) or 3 (refused): a key file of another cluster, a metrics port another
// process serves, ports that collide inside cluster.toml.
#include <gtest/gtest.h>

#include <filesystem>

#include "process/cluster_fixture.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Runs `rampart replica` in the foreground; a replica that starts runs until the timeout (124).
std::pair<int, std::string> run_replica(const LocalCluster& c, uint32_t id) {
  return run_cli({"replica", "--config", c.config_file().string(), "--id", std::to_string(id)}, 15s);
}

TEST(Process, ReplicaRefusesAKeyFileOfAnotherCluster) {
  LocalCluster a(4), b(4);
  const fs::path mine = a.config().resolve(a.config().replica(0)->key_file);
  const fs::path theirs = b.config().resolve(b.config().replica(0)->key_file);
  fs::copy_file(theirs, mine, fs::copy_options::overwrite_existing);
  fs::permissions(mine, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  auto [st, out] = run_replica(a, 0);
  EXPECT_EQ(st, 3) << out;
  EXPECT_NE(out.find("does not match cluster.toml"), std::string::npos) << out;
}

TEST(Process, ReplicaRefusesAMetricsPortInUse) {
  LocalCluster a(4);
  a.start(0);
  ASSERT_TRUE(a.wait_up(20s));
  LocalCluster b(4);  // after a's replica 0 is up, so b's ports cannot be the same
  ClusterConfig cfg = b.config();
  cfg.replicas[0].metrics_port = a.config().replica(0)->metrics_port;
  ASSERT_TRUE(save_config(cfg, b.config_file()));
  auto [st, out] = run_replica(b, 0);
  EXPECT_EQ(st, 3) << out;
  EXPECT_NE(out.find("metrics"), std::string::npos) << out;
  EXPECT_EQ(a.metric(0, "rampart_replica_id"), 0);  // the first owner still answers
}

TEST(Process, ReplicaRefusesPortsThatCollideInTheConfig) {
  LocalCluster a(4);
  ClusterConfig cfg = a.config();
  cfg.replicas[1].client_port = cfg.replicas[0].peer_port;
  ASSERT_TRUE(save_config(cfg, a.config_file()));
  auto [st, out] = run_replica(a, 1);
  EXPECT_EQ(st, 2) << out;
  EXPECT_NE(out.find("port " + std::to_string(cfg.replicas[0].peer_port)), std::string::npos) << out;
}

}  // namespace
}  // namespace rampart::test
