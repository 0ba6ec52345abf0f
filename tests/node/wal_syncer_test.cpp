#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "node/wal_syncer.hpp"

using namespace rampart;
using namespace rampart::node;

namespace {
// A sync that blocks until released, so the test decides what happens during a sync.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  int syncs_started = 0;
  int released = 0;
  std::vector<uint64_t> done;  // generations reported
  Status next = {};

  Status sync() {
    std::unique_lock l(mu);
    int me = ++syncs_started;
    cv.notify_all();
    cv.wait(l, [&] { return released >= me; });
    return next;
  }
  void report(uint64_t gen, const Status& st) {
    std::lock_guard l(mu);
    done.push_back(st ? gen : 0);
    cv.notify_all();
  }
  void wait_started(int n) {
    std::unique_lock l(mu);
    cv.wait(l, [&] { return syncs_started >= n; });
  }
  void release_one() {
    std::lock_guard l(mu);
    ++released;
    cv.notify_all();
  }
  void wait_done(size_t n) {
    std::unique_lock l(mu);
    cv.wait(l, [&] { return done.size() >= n; });
  }
};
}  // namespace

TEST(WalSyncer, RequestsDuringASyncAreCoveredByOneMore) {
  Gate g;
  WalSyncer s([&] { return g.sync(); }, [&](uint64_t gen, Status st) { g.report(gen, st); });
  EXPECT_EQ(s.request(), 1u);
  g.wait_started(1);  // sync 1 runs, covering request 1 only
  EXPECT_EQ(s.request(), 2u);
  EXPECT_EQ(s.request(), 3u);
  EXPECT_EQ(s.request(), 4u);
  g.release_one();
  g.wait_started(2);  // one sync for requests 2..4 together
  g.release_one();
  g.wait_done(2);
  {
    std::lock_guard l(g.mu);
    EXPECT_EQ(g.syncs_started, 2);
    EXPECT_EQ(g.done, (std::vector<uint64_t>{1, 4}));
  }
  s.stop();
}

TEST(WalSyncer, AFailedSyncIsReportedAndStopJoins) {
  Gate g;
  g.next = err("disk full");
  g.released = 100;  // never block
  WalSyncer s([&] { return g.sync(); }, [&](uint64_t gen, Status st) { g.report(gen, st); });
  s.request();
  g.wait_done(1);
  {
    std::lock_guard l(g.mu);
    EXPECT_EQ(g.done, (std::vector<uint64_t>{0}));  // reported as a failure
  }
  s.stop();
  s.stop();  // idempotent
}
