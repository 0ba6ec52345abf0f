#include "gateway/request_stats.hpp"

#include <algorithm>

namespace rampart::gateway {

int64_t RequestStats::epoch_of(Clock::time_point t) const {
  return std::chrono::duration_cast<std::chrono::seconds>(t - start_).count();
}

void RequestStats::record(std::chrono::microseconds latency, Clock::time_point at) {
  const int64_t e = epoch_of(at);
  std::lock_guard lk(mu_);
  Second& s = ring_[static_cast<size_t>(e) % ring_.size()];
  if (s.epoch != e) {  // a slot from an older lap of the ring
    s.epoch = e;
    s.count = 0;
    s.us.clear();
  }
  s.count++;
  if (s.us.size() < kSamples) s.us.push_back(static_cast<uint32_t>(std::clamp<int64_t>(latency.count(), 0, UINT32_MAX)));
}

nlohmann::json RequestStats::series(Clock::time_point now) const {
  const int64_t cur = epoch_of(now);
  nlohmann::json out = nlohmann::json::array();
  std::lock_guard lk(mu_);
  for (int64_t e = cur - static_cast<int64_t>(kSeconds); e < cur; ++e) {
    if (e < 0) continue;
    const Second& s = ring_[static_cast<size_t>(e) % ring_.size()];
    nlohmann::json j{{"age_s", cur - e}, {"requests", 0}, {"p50_ms", nullptr}, {"p99_ms", nullptr}};
    if (s.epoch == e && s.count > 0) {
      std::vector<uint32_t> v = s.us;
      std::sort(v.begin(), v.end());
      auto pct = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))] / 1000.0; };
      j["requests"] = s.count;
      j["p50_ms"] = pct(0.50);
      j["p99_ms"] = pct(0.99);
    }
    out.push_back(std::move(j));
  }
  return nlohmann::json{{"seconds", out}, {"what", "requests this gateway answered with a verified reply, per second, and their latency"}};
}

}  // namespace rampart::gateway
