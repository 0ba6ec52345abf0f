#pragma once
// A fast deterministic stand-in for Ed25519 and BLS threshold signatures, for the simulator and
// unit tests. Signatures are keyed BLAKE3 MACs under per-node secrets derived from a seed. The
// verifier side (FakeKeyring) knows every secret, but a node object is only handed its own
// Signer/ThresholdSigner, so a simulated Byzantine replica cannot forge another node's
// signature or a group signature without t genuine shares.
#include <memory>
#include <vector>

#include "crypto/interfaces.hpp"

namespace rampart::crypto {

class FakeKeyring {
 public:
  // n nodes, threshold t, all secrets derived from seed.
  FakeKeyring(uint32_t n, size_t t, uint64_t seed);

  std::unique_ptr<Signer> signer(NodeId id) const;
  std::unique_ptr<ThresholdSigner> threshold_signer(NodeId id) const;
  const Verifier& verifier() const { return *verifier_; }
  const ThresholdVerifier& threshold_verifier() const { return *tverifier_; }

  // Internal to the fakes.
  Bytes mac(NodeId id, ByteView msg, uint8_t domain) const;
  Bytes group_mac(ByteView msg) const;
  uint32_t n() const { return static_cast<uint32_t>(secrets_.size()); }
  size_t t() const { return t_; }

 private:
  std::vector<Hash32> secrets_;
  Hash32 group_secret_{};
  size_t t_;
  std::unique_ptr<Verifier> verifier_;
  std::unique_ptr<ThresholdVerifier> tverifier_;
};

}  // namespace rampart::crypto
