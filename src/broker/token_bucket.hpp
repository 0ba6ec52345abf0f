#pragma once
// A token bucket (client-side rate limiting with burst control, as the Chop Chop load clients
// pace their submissions so a broker's socket buffers are not overrun): `rate` tokens a second,
// at most `burst` saved up. Sans-IO: the caller passes the time.
#include <algorithm>
#include <cstdint>

namespace rampart::broker {

class TokenBucket {
 public:
  TokenBucket(double rate_per_s, double burst) : rate_(rate_per_s), burst_(std::max(1.0, burst)), tokens_(burst_) {}

  // Takes up to `want` tokens at time now_us; returns how many were granted.
  uint64_t take(uint64_t now_us, uint64_t want) {
    refill(now_us);
    const auto got = static_cast<uint64_t>(std::min<double>(static_cast<double>(want), tokens_));
    tokens_ -= static_cast<double>(got);
    return got;
  }
  // Microseconds from now_us until `n` tokens are there (0: now).
  uint64_t wait_us(uint64_t now_us, uint64_t n) {
    refill(now_us);
    const double missing = static_cast<double>(n) - tokens_;
    return missing <= 0 || rate_ <= 0 ? 0 : static_cast<uint64_t>(missing * 1e6 / rate_) + 1;
  }

 private:
  void refill(uint64_t now_us) {
    if (started_ && now_us > last_us_) tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_us - last_us_) / 1e6);
    last_us_ = std::max(last_us_, now_us);
    started_ = true;
  }
  double rate_, burst_, tokens_;
  uint64_t last_us_ = 0;
  bool started_ = false;
};

}  // namespace rampart::broker
