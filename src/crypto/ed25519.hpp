#pragma once
// Ed25519 (RFC 8032) through libsodium: client request signatures and replica identities.
#include <array>
#include <optional>
#include <span>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::crypto::ed25519 {

inline constexpr size_t kSeedSize = 32;
inline constexpr size_t kPublicKeySize = 32;
inline constexpr size_t kSecretKeySize = 64;  // libsodium layout: seed || public key
inline constexpr size_t kSignatureSize = 64;

using PublicKey = std::array<uint8_t, kPublicKeySize>;
using Signature = std::array<uint8_t, kSignatureSize>;

class KeyPair {
 public:
  static KeyPair generate();
  // The RFC 8032 "secret key" is this 32-byte seed.
  static Result<KeyPair> from_seed(ByteView seed);
  KeyPair(const KeyPair&) = default;
  KeyPair& operator=(const KeyPair&) = default;
  ~KeyPair();

  const PublicKey& public_key() const { return pk_; }
  std::array<uint8_t, kSeedSize> seed() const;
  Signature sign(ByteView msg) const;

 private:
  KeyPair() = default;
  PublicKey pk_{};
  std::array<uint8_t, kSecretKeySize> sk_{};
};

// Strict libsodium verification (rejects non-canonical encodings and small-order keys).
bool verify(const PublicKey& pk, ByteView msg, ByteView sig);

// A batch of independent signatures, verified one after another in a tight loop (libsodium has
// no batch equation; this is the honest per-message cost the benchmark compares against).
struct BatchItem {
  const PublicKey* pk;
  ByteView msg;
  ByteView sig;
};
// Returns how many are valid; ok_out (optional) receives one flag per item.
size_t verify_batch(std::span<const BatchItem> items, std::vector<uint8_t>* ok_out = nullptr);

class Ed25519Signer final : public Signer {
 public:
  explicit Ed25519Signer(KeyPair kp) : kp_(std::move(kp)) {}
  Bytes sign(ByteView msg) const override;

 private:
  KeyPair kp_;
};

// Verifies by node id against a table of node public keys; unknown ids fail.
class Ed25519Verifier final : public Verifier {
 public:
  Ed25519Verifier() = default;
  explicit Ed25519Verifier(std::vector<PublicKey> by_id);
  void set(NodeId id, const PublicKey& pk);
  bool verify(NodeId signer, ByteView msg, ByteView sig) const override;

 private:
  std::vector<std::optional<PublicKey>> keys_;
};

}  // namespace rampart::crypto::ed25519
