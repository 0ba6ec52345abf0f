#include "client/remembered_verifier.hpp"

#include "crypto/blake3.hpp"

namespace rampart::client {

namespace {
Hash32 key_of(ByteView msg, ByteView sig) {
  // Length-prefixed, so no (message, signature) pair reads as another.
  const uint64_t len = msg.size();
  return crypto::blake3::Hasher::derive_key("rampart 2026-12 remembered group signature v1")
      .update(ByteView(reinterpret_cast<const uint8_t*>(&len), sizeof len))
      .update(msg)
      .update(sig)
      .finalize();
}
}  // namespace

bool RememberedGroupVerifier::verify_group(ByteView msg, ByteView group_sig) const {
  const Hash32 k = key_of(msg, group_sig);
  std::promise<bool> mine;
  {
    std::unique_lock lk(mu_);
    if (known_.count(k)) return true;
    if (auto it = checking_.find(k); it != checking_.end()) {
      auto answer = it->second;  // another thread checks these very bytes: wait for its answer
      ++waiting_;
      lk.unlock();
      const bool ok = answer.get();
      lk.lock();
      --waiting_;
      return ok;
    }
    checking_.emplace(k, mine.get_future().share());
    pairings_++;
  }
  // Outside the lock: clients on other threads verify other blocks meanwhile.
  const bool ok = inner_->verify_group(msg, group_sig);
  std::lock_guard lk(mu_);
  checking_.erase(k);
  mine.set_value(ok);
  if (ok && known_.insert(k).second) {
    order_.push_back(k);
    if (order_.size() > capacity_) {
      known_.erase(order_.front());
      order_.pop_front();
    }
  }
  return ok;
}

size_t RememberedGroupVerifier::waiting() const {
  std::lock_guard lk(mu_);
  return waiting_;
}

uint64_t RememberedGroupVerifier::pairings() const {
  std::lock_guard lk(mu_);
  return pairings_;
}

}  // namespace rampart::client
