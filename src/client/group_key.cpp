#include "client/group_key.hpp"

#include "crypto/fake.hpp"

namespace rampart::client {

Result<std::shared_ptr<const crypto::ThresholdVerifier>> make_group_verifier(const ClusterConfig& c) {
  if (c.crypto != "fake") return err("crypto: BLS not available in this build");
  auto ring = std::make_shared<crypto::FakeKeyring>(c.n(), c.nf(), c.fake_seed);
  // Aliasing constructor: the verifier lives as long as its keyring.
  return std::shared_ptr<const crypto::ThresholdVerifier>(ring, &ring->threshold_verifier());
}

}  // namespace rampart::client
