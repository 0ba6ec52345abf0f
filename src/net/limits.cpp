#include "net/limits.hpp"

#include <sys/resource.h>

namespace rampart::net {

bool BufferBudget::take(size_t n) {
  size_t cur = used_.load(std::memory_order_relaxed);
  do {
    if (n > limit_ || cur > limit_ - n) return false;
  } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
  if (counters_) counters_->partial_frame_bytes.store(cur + n, std::memory_order_relaxed);
  return true;
}

void BufferBudget::give(size_t n) {
  size_t was = used_.fetch_sub(n, std::memory_order_relaxed);
  if (counters_) counters_->partial_frame_bytes.store(was - n, std::memory_order_relaxed);
}

std::string source_key(const asio::ip::address& a) {
  if (a.is_v4()) return a.to_string();
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  auto b = v6.to_bytes();
  for (size_t i = 8; i < b.size(); ++i) b[i] = 0;
  return asio::ip::address_v6(b).to_string() + "/64";
}

uint64_t raise_fd_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
  if (r.rlim_cur < r.rlim_max) {
    rlimit want = r;
    want.rlim_cur = r.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &want) == 0) r = want;
  }
  return r.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(r.rlim_cur);
}

}  // namespace rampart::net
