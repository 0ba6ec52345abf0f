#include "gateway/read_pool.hpp"

namespace rampart::gateway {

Result<std::unique_ptr<client::WalletReads>> ReadPool::take() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return !idle_.empty() || made_ < max_; });
  if (!idle_.empty()) {
    auto w = std::move(idle_.back());
    idle_.pop_back();
    return w;
  }
  const size_t first = made_++;
  lk.unlock();
  client::WalletReadsOptions o;
  o.first = first;  // spread the readers over the replicas
  o.timeout = timeout_;
  auto w = client::WalletReads::create(cfg_, o);
  if (!w) {
    std::lock_guard relock(mu_);
    --made_;
    cv_.notify_one();
  }
  return w;
}

void ReadPool::give_back(std::unique_ptr<client::WalletReads> w) {
  {
    std::lock_guard lk(mu_);
    idle_.push_back(std::move(w));
  }
  cv_.notify_one();
}

ReadPool::Outcome ReadPool::read(const client::ReadRequest& r) {
  auto w = take();
  if (!w) return {w.error(), client::ReadsFailure::unavailable};
  Outcome out{(*w)->read(r), client::ReadsFailure::none};
  if (!out.read) out.failure = (*w)->last_failure();
  give_back(std::move(*w));
  return out;
}

}  // namespace rampart::gateway
