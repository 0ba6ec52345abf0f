// Under load, the primary is stopped (SIGSTOP: a GC pause, a disk stall, a frozen VM) long
// enough for the backups to replace it, then resumed. Unlike a crashed primary it comes back
// with its old view and its old proposals in flight: it must learn the new view from the
// others (relayed NEW-VIEW / NV-PROPOSE), catch up, and take part again, while the cluster
// keeps serving throughout. Every ledger verifies offline and agrees block by block.
#include <gtest/gtest.h>

#include <csignal>

#include "process/cluster_fixture.hpp"
#include "process/load.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

void paused_primary_rejoins(const std::string& protocol) {
  LocalCluster c(4, protocol, "--checkpoint-interval 16");
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  Load load;
  load.start(c.config(), 3);
  ASSERT_TRUE(load.progress(30));

  c.signal(0, SIGSTOP);
  EXPECT_TRUE(c.wait_metric_at_least(1, "rampart_view", 1, 30s)) << "the backups did not replace the stopped primary";
  EXPECT_TRUE(load.progress(30)) << "no progress while the old primary is stopped";
  const double view = c.metric(1, "rampart_view");

  c.signal(0, SIGCONT);
  EXPECT_TRUE(c.wait_metric_at_least(0, "rampart_view", view, 30s)) << "the old primary did not learn view " << view;
  EXPECT_TRUE(load.progress(30)) << "no progress after the old primary resumed";
  const double h = c.metric(1, "rampart_final_height");
  EXPECT_TRUE(c.wait_metric_at_least(0, "rampart_final_height", h, 40s)) << "replica 0 did not catch up to " << h;
  load.finish();
  EXPECT_GT(load.ok, 0u);

  expect_acked_readable(c, load);
  expect_ledgers_verify_and_agree(c);
}

}  // namespace

TEST(Process, PausedPrimaryRejoinsAfterViewChangePoe) { paused_primary_rejoins("poe"); }
TEST(Process, PausedPrimaryRejoinsAfterViewChangePbft) { paused_primary_rejoins("pbft"); }

}  // namespace rampart::test
