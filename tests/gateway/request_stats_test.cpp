// The gateway's per-second request series for the dashboard's chart: counts and percentiles per
// complete second, the running second left out, old seconds forgotten as the ring turns.
#include <gtest/gtest.h>

#include "gateway/request_stats.hpp"

namespace rampart::gateway {
namespace {
using namespace std::chrono_literals;

TEST(RequestStats, CountsAndPercentilesPerCompleteSecond) {
  RequestStats st;
  const auto t0 = RequestStats::Clock::now();
  for (int i = 1; i <= 100; ++i) st.record(std::chrono::microseconds(i * 1000), t0 + 100ms);  // 1..100 ms
  st.record(5ms, t0 + 1500ms);
  auto j = st.series(t0 + 1600ms)["seconds"];
  ASSERT_FALSE(j.empty());
  const auto& last = j.back();  // the second that holds t0 + 100 ms; t0 + 1.5 s is still running
  EXPECT_EQ(last["age_s"], 1);
  EXPECT_EQ(last["requests"], 100);
  EXPECT_DOUBLE_EQ(last["p50_ms"].get<double>(), 51.0);
  EXPECT_DOUBLE_EQ(last["p99_ms"].get<double>(), 100.0);

  // A minute and more later the first second is out of the window, the second one still in.
  auto later = st.series(t0 + 61600ms)["seconds"];
  uint64_t total = 0;
  for (const auto& s : later) total += s["requests"].get<uint64_t>();
  EXPECT_EQ(total, 1u);
  EXPECT_EQ(later.size(), RequestStats::kSeconds);
  // A record after the ring turned past a slot resets it rather than adding to old counts.
  st.record(1ms, t0 + 100ms + std::chrono::seconds(RequestStats::kSeconds + 1));
  auto turned = st.series(t0 + 100ms + std::chrono::seconds(RequestStats::kSeconds + 2))["seconds"];
  EXPECT_EQ(turned.back()["requests"], 1);
}

}  // namespace
}  // namespace rampart::gateway
