#include "node/wal_syncer.hpp"

namespace rampart::node {

WalSyncer::WalSyncer(std::function<Status()> sync, std::function<void(uint64_t, Status)> done)
    : sync_(std::move(sync)), done_(std::move(done)), thread_([this] { loop(); }) {}

WalSyncer::~WalSyncer() { stop(); }

uint64_t WalSyncer::request() {
  std::lock_guard l(mu_);
  ++requested_;
  cv_.notify_one();
  return requested_;
}

void WalSyncer::stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void WalSyncer::loop() {
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait(l, [this] { return stopping_ || requested_ > started_; });
    if (stopping_) return;
    // Everything requested up to now was written before this point: one sync covers it all.
    const uint64_t gen = requested_;
    started_ = gen;
    l.unlock();
    Status st = sync_();
    done_(gen, std::move(st));
    l.lock();
  }
}

}  // namespace rampart::node
