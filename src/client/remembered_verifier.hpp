#pragma once
// A group verifier that remembers the group signatures it has verified. Every reply from one
// block carries the same signed message and the same group signature, and a process running
// many clients (a benchmark, a gateway, a wallet with many accounts) would otherwise pay a
// pairing (~1.25 ms here) per reply for a check one of its clients already made. Remembered
// by a hash of the exact (message, signature) bytes, so an answer is reused only for those
// very bytes: a forged signature is never remembered, and is checked, and refused, every time.
// Single flight: while one thread checks a signature, others asking about the same bytes wait
// for its answer instead of paying the same pairing (many clients see a new block at once).
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "common/bytes.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::client {

class RememberedGroupVerifier final : public crypto::ThresholdVerifier {
 public:
  // Remembers up to `capacity` verified signatures; the oldest are forgotten first.
  RememberedGroupVerifier(std::shared_ptr<const crypto::ThresholdVerifier> inner, size_t capacity = 4096)
      : inner_(std::move(inner)), capacity_(capacity) {}

  size_t threshold() const override { return inner_->threshold(); }
  bool verify_share(crypto::NodeId signer, ByteView msg, ByteView share) const override {
    return inner_->verify_share(signer, msg, share);
  }
  std::optional<Bytes> combine(ByteView msg, const std::vector<crypto::Share>& shares,
                               std::vector<crypto::NodeId>* bad_out) const override {
    return inner_->combine(msg, shares, bad_out);
  }
  bool verify_group(ByteView msg, ByteView group_sig) const override;

  uint64_t pairings() const;  // verifications that reached the inner verifier
  size_t waiting() const;     // threads now waiting for another's check of the same bytes

 private:
  std::shared_ptr<const crypto::ThresholdVerifier> inner_;
  size_t capacity_;
  mutable std::mutex mu_;
  mutable std::set<Hash32> known_;
  mutable std::deque<Hash32> order_;
  mutable std::map<Hash32, std::shared_future<bool>> checking_;  // being checked by some thread now
  mutable uint64_t pairings_ = 0;
  mutable size_t waiting_ = 0;
};

}  // namespace rampart::client
