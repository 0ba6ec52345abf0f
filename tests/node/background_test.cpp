// The replica's background-check thread (node/background.hpp): a job's result comes back
// through the owner's post, jobs run in order on a thread whose nice value is the one asked
// for, and stop() joins and refuses what comes after it.
#include "node/background.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace rampart::node {
namespace {

// The owner's thread, played by a queue the test drains itself.
struct Owner {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::function<void()>> posted;
  void post(std::function<void()> f) {
    std::lock_guard lk(mu);
    posted.push_back(std::move(f));
    cv.notify_all();
  }
  bool wait_for(size_t n) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, std::chrono::seconds(10), [&] { return posted.size() >= n; });
  }
};

TEST(Background, ResultsComeBackThroughThePostInOrderFromALowerPriorityThread) {
  Owner o;
  Background bg(5, [&](std::function<void()> f) { o.post(std::move(f)); });
  std::vector<std::pair<int, bool>> done;
  int nice_seen = -100;
  for (int i = 0; i < 3; ++i)
    bg.run(
        [i, &nice_seen] {
          if (i == 0) nice_seen = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
          return i != 1;
        },
        [i, &done](bool ok) { done.push_back({i, ok}); });
  ASSERT_TRUE(o.wait_for(3));
  EXPECT_TRUE(done.empty()) << "results run on the owner's thread, not the worker's";
  for (auto& f : o.posted) f();
  EXPECT_EQ(done, (std::vector<std::pair<int, bool>>{{0, true}, {1, false}, {2, true}}));
  EXPECT_EQ(nice_seen, 5);
}

TEST(Background, StopWaitsForTheRunningJobAndRefusesNewOnes) {
  Owner o;
  Background bg(5, [&](std::function<void()> f) { o.post(std::move(f)); });
  std::atomic<bool> finished{false};
  std::atomic<int> late{0};
  bg.run(
      [&] {
        std::this_thread::yield();
        finished = true;
        return true;
      },
      [](bool) {});
  bg.stop();
  bg.run([&] { return ++late > 0; }, [](bool) {});  // after stop: refused
  bg.stop();                                          // twice is fine
  EXPECT_EQ(late.load(), 0);
  // The first job either ran to its end before stop() returned or was dropped unstarted.
  if (finished) {
    EXPECT_TRUE(o.wait_for(1)) << "a finished job's result was posted";
  }
}

}  // namespace
}  // namespace rampart::node
