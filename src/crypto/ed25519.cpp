#include "crypto/ed25519.hpp"

#include <sodium.h>

#include <cstdlib>

namespace rampart::crypto::ed25519 {
namespace {
void ensure_sodium() {
  static const int once = sodium_init();
  if (once < 0) std::abort();  // libsodium could not initialise: no safe RNG
}
}  // namespace

KeyPair KeyPair::generate() {
  ensure_sodium();
  KeyPair kp;
  crypto_sign_keypair(kp.pk_.data(), kp.sk_.data());
  return kp;
}

Result<KeyPair> KeyPair::from_seed(ByteView seed) {
  if (seed.size() != kSeedSize) return err("ed25519: seed must be 32 bytes");
  ensure_sodium();
  KeyPair kp;
  crypto_sign_seed_keypair(kp.pk_.data(), kp.sk_.data(), seed.data());
  return kp;
}

KeyPair::~KeyPair() { sodium_memzero(sk_.data(), sk_.size()); }

std::array<uint8_t, kSeedSize> KeyPair::seed() const {
  std::array<uint8_t, kSeedSize> s;
  crypto_sign_ed25519_sk_to_seed(s.data(), sk_.data());
  return s;
}

Signature KeyPair::sign(ByteView msg) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk_.data());
  return sig;
}

bool verify(const PublicKey& pk, ByteView msg, ByteView sig) {
  if (sig.size() != kSignatureSize) return false;
  return crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) == 0;
}

size_t verify_batch(std::span<const BatchItem> items, std::vector<uint8_t>* ok_out) {
  if (ok_out) ok_out->assign(items.size(), 0);
  size_t good = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const bool ok = verify(*items[i].pk, items[i].msg, items[i].sig);
    good += ok;
    if (ok_out) (*ok_out)[i] = ok;
  }
  return good;
}

Bytes Ed25519Signer::sign(ByteView msg) const {
  Signature s = kp_.sign(msg);
  return Bytes(s.begin(), s.end());
}

Ed25519Verifier::Ed25519Verifier(std::vector<PublicKey> by_id) {
  keys_.reserve(by_id.size());
  for (const auto& k : by_id) keys_.emplace_back(k);
}

void Ed25519Verifier::set(NodeId id, const PublicKey& pk) {
  if (id >= keys_.size()) keys_.resize(size_t(id) + 1);
  keys_[id] = pk;
}

bool Ed25519Verifier::verify(NodeId signer, ByteView msg, ByteView sig) const {
  if (signer >= keys_.size() || !keys_[signer]) return false;
  return ed25519::verify(*keys_[signer], msg, sig);
}

}  // namespace rampart::crypto::ed25519
