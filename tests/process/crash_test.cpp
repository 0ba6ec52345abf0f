// Under load, SIGKILL a backup, then (after it restarted and caught up) the primary, forcing a
// view change: the cluster keeps serving, the killed replicas restart from RocksDB and catch up,
// and every ledger verifies offline and agrees with the others block by block.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "process/cluster_fixture.hpp"
#include "process/load.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// journal_records=N of the resumes-th "event=resumed" line in replica id's log (-1: not there
// yet): what the restarted replica got back of the votes and promises its protocol journaled.
long resumed_journal_records(const LocalCluster& c, uint32_t id, int resumes) {
  std::ifstream in(c.log(id));
  std::string line;
  for (int seen = 0; std::getline(in, line);) {
    if (line.find("event=resumed") == std::string::npos || ++seen < resumes) continue;
    auto p = line.find("journal_records=");
    return p == std::string::npos ? -1 : std::stol(line.substr(p + 16));
  }
  return -1;
}

void crash_backup_then_primary_under_load(const std::string& protocol) {
  LocalCluster c(4, protocol, "--checkpoint-interval 16");
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  Load load;
  load.start(c.config(), 3);
  auto progress = [&](uint64_t more) { return load.progress(more); };
  ASSERT_TRUE(progress(30));

  // 1. A backup dies; the others keep serving.
  c.kill(3);
  EXPECT_TRUE(progress(30)) << "no progress without backup 3";
  c.start(3);
  double h = c.metric(1, "rampart_final_height");
  EXPECT_TRUE(c.wait_metric_at_least(3, "rampart_final_height", h, 40s)) << "replica 3 did not catch up to " << h;
  // Killed while voting: it comes back with the votes it journaled above its stable checkpoint.
  // (Its final height can reach h from its own disk before the restart handshake ends and the
  // protocol resumes: wait for that second start's "resumed" line, not the first one.)
  ASSERT_TRUE(wait_for([&] { return resumed_journal_records(c, 3, 2) >= 0; }, 20s)) << "replica 3 did not resume";
  EXPECT_GT(resumed_journal_records(c, 3, 2), 0) << "replica 3 restarted without its journal";

  // 2. The primary dies: a view change, then service resumes.
  c.kill(0);
  EXPECT_TRUE(progress(30)) << "no progress after the primary died";
  // 30 puts take well under the 200 ms between two refreshes of the metrics page.
  EXPECT_TRUE(c.wait_metric_at_least(1, "rampart_view", 1, 5s)) << "view " << c.metric(1, "rampart_view");
  c.start(0);
  h = c.metric(1, "rampart_final_height");
  EXPECT_TRUE(c.wait_metric_at_least(0, "rampart_final_height", h, 40s)) << "replica 0 did not catch up to " << h;
  load.finish();

  expect_acked_readable(c, load);

  // 3. Stop everyone; every ledger verifies, and they agree on every block they all hold.
  expect_ledgers_verify_and_agree(c);
}

TEST(Process, CrashBackupThenPrimaryUnderLoad) { crash_backup_then_primary_under_load("poe"); }
TEST(Process, CrashBackupThenPrimaryUnderLoadPbft) { crash_backup_then_primary_under_load("pbft"); }
TEST(Process, CrashBackupThenPrimaryUnderLoadPoeMac) { crash_backup_then_primary_under_load("poe-mac"); }

}  // namespace
}  // namespace rampart::test
