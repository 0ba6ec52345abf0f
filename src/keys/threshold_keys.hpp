#pragma once
// The glue between key files / cluster.toml and the crypto library's threshold scheme: the
// trusted dealer at keygen, and the Signer/Verifier objects a replica and a client build from
// their keys (real BLS + Ed25519, or the fake keyring for crypto = "fake").
#include <memory>
#include <vector>

#include "common/config.hpp"
#include "crypto/interfaces.hpp"
#include "keys/secrets.hpp"

namespace rampart::keys {

struct ThresholdDeal {
  Bytes group_public;
  std::vector<Bytes> public_shares;
  std::vector<Bytes> secret_shares;
};

// t-of-n shares of a fresh group key.
Result<ThresholdDeal> deal_threshold_keys(uint32_t n, uint32_t t);

// Everything a replica signs and verifies with.
struct ReplicaCrypto {
  std::shared_ptr<void> keep_alive;  // owns the objects below
  const crypto::Signer* signer = nullptr;
  const crypto::Verifier* verifier = nullptr;
  const crypto::ThresholdSigner* tsigner = nullptr;
  const crypto::ThresholdVerifier* tverifier = nullptr;
};
Result<ReplicaCrypto> make_replica_crypto(const ClusterConfig& c, const NodeSecrets& s);


}  // namespace rampart::keys
