#include "client/group_key.hpp"

#include "crypto/fake.hpp"
#include "crypto/threshold.hpp"

namespace rampart::client {

Result<std::shared_ptr<const crypto::ThresholdVerifier>> make_group_verifier(const ClusterConfig& c) {
  if (c.crypto != "fake") {
    auto pub = crypto::threshold::PublicKeySet::decode(c.group_public_key);
    if (!pub) return err("config: bad group_public_key: " + pub.error().message);
    return std::shared_ptr<const crypto::ThresholdVerifier>(std::make_shared<crypto::threshold::BlsThresholdVerifier>(*pub));
  }
  auto ring = std::make_shared<crypto::FakeKeyring>(c.n(), c.nf(), c.fake_seed);
  // Aliasing constructor: the verifier lives as long as its keyring.
  return std::shared_ptr<const crypto::ThresholdVerifier>(ring, &ring->threshold_verifier());
}

}  // namespace rampart::client
