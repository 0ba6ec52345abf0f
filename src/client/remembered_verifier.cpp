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
  {
    std::lock_guard lk(mu_);
    if (known_.count(k)) return true;
    pairings_++;
  }
  // Outside the lock: clients on other threads verify other blocks meanwhile. Two threads may
  // both check the same new block once; both then remember it.
  if (!inner_->verify_group(msg, group_sig)) return false;
  std::lock_guard lk(mu_);
  if (known_.insert(k).second) {
    order_.push_back(k);
    if (order_.size() > capacity_) {
      known_.erase(order_.front());
      order_.pop_front();
    }
  }
  return true;
}

uint64_t RememberedGroupVerifier::pairings() const {
  std::lock_guard lk(mu_);
  return pairings_;
}

}  // namespace rampart::client
