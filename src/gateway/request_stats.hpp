#pragma once
// Per-second counts and latencies of the requests this gateway answered with a verified reply
// (the time from taking a cluster client to holding the checked answer), for the dashboard's
// live chart. A ring of the last kSeconds seconds; each second keeps at most kSamples latencies
// for its percentiles (a count beyond that is still exact).
#include <array>
#include <chrono>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

namespace rampart::gateway {

class RequestStats {
 public:
  static constexpr size_t kSeconds = 60;
  static constexpr size_t kSamples = 4096;
  using Clock = std::chrono::steady_clock;

  void record(std::chrono::microseconds latency, Clock::time_point at = Clock::now());
  // {"seconds": [{"age_s": a, "requests": n, "p50_ms": x, "p99_ms": y}, ...]}: complete seconds
  // only, oldest first (age_s counts back from now; the running second is not reported).
  nlohmann::json series(Clock::time_point now = Clock::now()) const;

 private:
  struct Second {
    int64_t epoch = -1;  // which second since start_ this slot holds
    uint64_t count = 0;
    std::vector<uint32_t> us;  // sampled latencies, microseconds
  };
  int64_t epoch_of(Clock::time_point t) const;

  const Clock::time_point start_ = Clock::now();
  mutable std::mutex mu_;
  std::array<Second, kSeconds + 1> ring_;
};

}  // namespace rampart::gateway
