// The broker's worker pool (broker/worker_pool.hpp): every index of every round handled exactly
// once whatever the number of workers; threads pinned where asked; the --cpus list parsed.
#include "broker/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>

namespace rampart::broker {
namespace {

TEST(WorkerPool, EveryIndexOfEveryRoundRunsExactlyOnce) {
  for (size_t workers : {0u, 1u, 3u}) {
    WorkerPool pool(workers);
    for (size_t n : {0u, 1u, 2u, 64u, 1000u}) {
      for (int round = 0; round < 20; ++round) {
        std::vector<std::atomic<int>> hits(n);
        pool.run(n, [&](size_t i) { hits[i]++; });
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << workers << " workers, n " << n << ", index " << i;
      }
    }
  }
}

TEST(WorkerPool, WorkersShareTheWork) {
  WorkerPool pool(1);
  std::mutex mu;
  std::set<std::thread::id> seen;
  // Long enough items that the worker wakes before the caller has taken them all.
  for (int round = 0; round < 50 && seen.size() < 2; ++round)
    pool.run(64, [&](size_t) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      std::lock_guard l(mu);
      seen.insert(std::this_thread::get_id());
    });
  EXPECT_EQ(seen.size(), 2u);
}

TEST(WorkerPool, WorkersArePinnedToTheListedCores) {
  WorkerPool pool(2, {0, 0});  // caller's core first, then the workers', wrapping
  std::mutex mu;
  std::set<std::optional<int>> cores;
  std::set<std::thread::id> threads;
  const auto caller = std::this_thread::get_id();  // pinned by the broker's main, not the pool
  for (int round = 0; round < 50 && threads.size() < 3; ++round)
    pool.run(64, [&](size_t) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      std::lock_guard l(mu);
      threads.insert(std::this_thread::get_id());
      if (std::this_thread::get_id() != caller) cores.insert(pinned_cpu());
    });
  ASSERT_FALSE(cores.empty());
  EXPECT_EQ(cores, (std::set<std::optional<int>>{0}));
}

TEST(CpuList, ParsesCoresAndRangesAndRefusesTheRest) {
  EXPECT_EQ(*parse_cpu_list("0"), (std::vector<int>{0}));
  if (std::thread::hardware_concurrency() >= 2) {
    EXPECT_EQ(*parse_cpu_list("0,1"), (std::vector<int>{0, 1}));
    EXPECT_EQ(*parse_cpu_list("0-1"), (std::vector<int>{0, 1}));
  }
  for (const char* bad : {"", "x", "1-0", "0-", "-1", "0;1", "0-1x", "99999"})
    EXPECT_FALSE(parse_cpu_list(bad)) << bad;
}

}  // namespace
}  // namespace rampart::broker
