#include "gateway/client_pool.hpp"

namespace rampart::gateway {

void ClientPool::add(std::unique_ptr<client::WalletClient> c) {
  std::lock_guard lk(mu_);
  idle_.push_back(std::move(c));
  ++size_;
}

ClientPool::Lease ClientPool::acquire(std::chrono::milliseconds wait) {
  std::unique_lock lk(mu_);
  if (!cv_.wait_for(lk, wait, [&] { return !idle_.empty(); })) return Lease(this, nullptr);
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return Lease(this, std::move(c));
}

ClientPool::Lease::~Lease() {
  if (!c_ || !pool_) return;
  {
    std::lock_guard lk(pool_->mu_);
    pool_->idle_.push_back(std::move(c_));
  }
  pool_->cv_.notify_one();
}

size_t ClientPool::in_use() const {
  std::lock_guard lk(mu_);
  return size_ - idle_.size();
}

}  // namespace rampart::gateway
