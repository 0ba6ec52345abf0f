#pragma once
// The client directory as the broker path sees it: dense client id -> (Ed25519 key, BLS key).
// Sign-up (ordered through consensus, persisted) is the replica side's; brokers, the server-side
// verifier and tests read it through this interface. Every BLS key in a directory must have come
// with a valid proof of possession (bls::verify_possession): aggregation relies on it.
#include <optional>
#include <vector>

#include "broker/entries.hpp"
#include "crypto/bls.hpp"
#include "crypto/ed25519.hpp"

namespace rampart::broker {

struct ClientKeys {
  crypto::ed25519::PublicKey ed25519{};
  crypto::bls::PublicKey bls{};
};

class Directory {
 public:
  virtual ~Directory() = default;
  virtual const ClientKeys* find(ClientId id) const = 0;
};

// In memory, indexed by id (ids are dense).
class MemoryDirectory final : public Directory {
 public:
  // Fails, adding nothing, if the proof of possession does not verify.
  Status add(ClientId id, const crypto::ed25519::PublicKey& ed, const crypto::bls::PublicKey& bls,
             const crypto::bls::Signature& pop);
  // For benchmarks and tests that made the keys themselves: no proof checked.
  void add_trusted(ClientId id, const ClientKeys& keys);
  const ClientKeys* find(ClientId id) const override;
  size_t size() const { return keys_.size(); }

 private:
  std::vector<std::optional<ClientKeys>> keys_;
};

}  // namespace rampart::broker
