#pragma once
// One batch of a broker after it closed: proposal -> distilled -> delivered (DESIGN §3.1).
//
// proposal   entries sorted by id, raise = the highest sequence number among them, the
//            reduction tree (raise in every leaf); each client gets an Inclusion; reductions
//            (BLS shares over the root) are collected
// distilled  on the reduction timeout, or once every client reduced: the shares are summed
//            (invalid ones isolated by splitting, reduce.hpp), the clients without a valid share
//            become stragglers at their own seq with their Ed25519 signature, and the amended
//            tree is built; the DistilledBatch is what goes to the replicas
// delivered  the replicas' delivery certificate arrived; each client gets a Delivery
#include <memory>
#include <optional>
#include <vector>

#include "broker/client_wire.hpp"
#include "broker/directory.hpp"
#include "broker/host.hpp"
#include "broker/replica_wire.hpp"
#include "crypto/merkle.hpp"

namespace rampart::broker {

struct Member {
  ClientAddr addr = 0;
  uint64_t seq = 0;
  std::array<uint8_t, 64> sig{};  // Ed25519 over submit_statement: kept for a straggler
  std::optional<crypto::bls::UncheckedSignature> share;  // subgroup-checked only in sums (reduce.hpp)
};

enum class Stage : uint8_t { proposal, distilled, delivered };

class Batch {
 public:
  Batch(uint32_t broker, uint64_t number, Entries entries, std::vector<Member> members);

  uint64_t number() const { return wire_.number; }
  uint64_t raise() const { return wire_.raise; }
  Stage stage() const { return stage_; }
  const Hash32& root() const { return tree_.root(); }
  const Entries& entries() const { return wire_.entries; }
  const Member& member(size_t i) const { return members_[i]; }
  Member& member(size_t i) { return members_[i]; }
  size_t size() const { return members_.size(); }
  size_t shares() const { return shares_; }

  Inclusion inclusion(size_t i, const std::optional<DeliveryCert>& legitimacy) const;

  // Stores a share for entry i (the first one only); the signature is not checked here.
  bool add_share(size_t i, const crypto::bls::UncheckedSignature& sig);

  // proposal -> distilled. Returns the pairing checks the reduction took.
  size_t distill(const Directory& dir);
  // After distill: the batch for the replicas, its amended root, its stragglers.
  const DistilledBatch& distilled() const { return wire_; }
  const Hash32& amended_root() const { return amended_ ? amended_->root() : tree_.root(); }
  bool is_straggler(size_t i) const { return straggler_[i] != 0; }

  // distilled -> delivered with a certificate the caller checked.
  void deliver(DeliveryCert cert);
  Delivery delivery(size_t i) const;

 private:
  Stage stage_ = Stage::proposal;
  DistilledBatch wire_;
  std::vector<Member> members_;
  crypto::merkle::Tree tree_;
  std::unique_ptr<crypto::merkle::Tree> amended_;  // only when there are stragglers
  std::vector<uint8_t> straggler_;
  size_t shares_ = 0;
  std::optional<DeliveryCert> cert_;
};

}  // namespace rampart::broker
