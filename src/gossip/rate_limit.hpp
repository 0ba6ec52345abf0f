#pragma once
// A token bucket: `rate` tokens per second, at most `burst` saved up.
#include <algorithm>
#include <chrono>

namespace rampart::gossip {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double rate, double burst, Clock::time_point now) : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}
  bool take(Clock::time_point now, double n = 1) {
    double dt = std::chrono::duration<double>(now - last_).count();
    if (dt > 0) {
      tokens_ = std::min(burst_, tokens_ + dt * rate_);
      last_ = now;
    }
    if (tokens_ < n) return false;
    tokens_ -= n;
    return true;
  }

 private:
  double rate_, burst_, tokens_;
  Clock::time_point last_;
};

}  // namespace rampart::gossip
