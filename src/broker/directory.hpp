#pragma once
// The client directory as the broker path sees it: dense client id -> (Ed25519 key, BLS key).
// Sign-up (ordered through consensus, persisted) is the replica side's
// (replica/client_directory.hpp); brokers, the server-side verifier and tests read it through
// this interface. Every BLS key in a directory must have come
// with a valid proof of possession (bls::verify_possession): aggregation relies on it.
#include <optional>
#include <unordered_map>
#include <vector>

#include "broker/entries.hpp"
#include "crypto/bls.hpp"
#include "crypto/ed25519.hpp"

namespace rampart::broker {

struct ClientKeys {
  crypto::ed25519::PublicKey ed25519{};
  crypto::bls::PublicKey bls{};
  // principal_of(ed25519), set by the directories when they take the keys in: the client id a
  // brokered entry executes as, kept so execution does not hash the key once per entry.
  uint64_t principal = 0;
};

// The client id of an Ed25519 key on the direct path (client::client_id_of): the key's BLAKE3
// hash, its first 8 bytes little-endian.
uint64_t principal_of(ByteView ed25519);

class Directory {
 public:
  virtual ~Directory() = default;
  virtual const ClientKeys* find(ClientId id) const = 0;
  // The id whose Ed25519 key this is, if any (sign-up gives a known key its id back).
  virtual std::optional<ClientId> id_of(const crypto::ed25519::PublicKey& ed) const = 0;
  // One past the largest id (0 when empty): where sign-up's dense ids continue.
  virtual uint64_t end() const = 0;
};

struct Ed25519KeyHash {
  size_t operator()(const crypto::ed25519::PublicKey& k) const noexcept {
    size_t h;  // the key is a curve point: its bytes are as good as a hash
    static_assert(sizeof(h) <= crypto::ed25519::kPublicKeySize);
    __builtin_memcpy(&h, k.data(), sizeof(h));
    return h;
  }
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
  std::optional<ClientId> id_of(const crypto::ed25519::PublicKey& ed) const override;
  uint64_t end() const override { return keys_.size(); }
  size_t size() const { return keys_.size(); }

 private:
  std::vector<std::optional<ClientKeys>> keys_;
  std::unordered_map<crypto::ed25519::PublicKey, ClientId, Ed25519KeyHash> by_ed_;
};

}  // namespace rampart::broker
