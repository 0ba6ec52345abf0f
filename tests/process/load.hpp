#pragma once
// Client load for the fault tests (a few threads putting keys in a loop, every acknowledged put
// remembered) and the checks that follow a fault: acknowledged writes are readable, and every
// replica's ledger verifies offline and agrees with the others block by block.
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/config.hpp"
#include "process/cluster_fixture.hpp"

namespace rampart::test {

struct Load {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ok{0}, failed{0};
  std::vector<std::thread> threads;
  std::mutex mu;
  std::map<std::string, std::string> acked;  // every acknowledged put

  // n client threads, each starting at a backup (replicas 1..3 in turn).
  void start(const ClusterConfig& cfg, int n);
  void finish();
  // Waits (bounded) for `more` acknowledged puts beyond the count now.
  bool progress(uint64_t more, std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // A failed ASSERT returns early: join so the failure is reported instead of std::terminate.
  ~Load() { finish(); }
};

// Reads back (up to 20 of) the acknowledged puts through a fresh client.
void expect_acked_readable(const LocalCluster& c, Load& load);
// Stops every replica (SIGTERM), runs `rampart ledger verify` on each data folder and compares
// the blocks all of them hold: same batch, state and results.
void expect_ledgers_verify_and_agree(LocalCluster& c);

}  // namespace rampart::test
