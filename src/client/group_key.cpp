#include "client/group_key.hpp"

#include <map>
#include <mutex>

#include "client/remembered_verifier.hpp"
#include "crypto/fake.hpp"
#include "crypto/threshold.hpp"

namespace rampart::client {

namespace {
Result<std::shared_ptr<const crypto::ThresholdVerifier>> make_uncached(const ClusterConfig& c) {
  if (c.crypto != "fake") {
    auto pub = crypto::threshold::PublicKeySet::decode(c.group_public_key);
    if (!pub) return err("config: bad group_public_key: " + pub.error().message);
    return std::shared_ptr<const crypto::ThresholdVerifier>(std::make_shared<crypto::threshold::BlsThresholdVerifier>(*pub));
  }
  auto ring = std::make_shared<crypto::FakeKeyring>(c.n(), c.nf(), c.fake_seed);
  // Aliasing constructor: the verifier lives as long as its keyring.
  return std::shared_ptr<const crypto::ThresholdVerifier>(ring, &ring->threshold_verifier());
}
}  // namespace

// One verifier per cluster key in a process, shared by all its clients, so a block's group
// signature is checked once however many clients get replies from it (remembered_verifier.hpp).
Result<std::shared_ptr<const crypto::ThresholdVerifier>> make_group_verifier(const ClusterConfig& c) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const crypto::ThresholdVerifier>> by_key;
  const std::string key = c.crypto + "|" + std::string(c.group_public_key.begin(), c.group_public_key.end()) + "|" +
                          std::to_string(c.fake_seed) + "|" + std::to_string(c.n()) + "|" + std::to_string(c.nf());
  std::lock_guard lk(mu);
  if (auto it = by_key.find(key); it != by_key.end()) return it->second;
  auto v = make_uncached(c);
  if (!v) return v.error();
  std::shared_ptr<const crypto::ThresholdVerifier> r = std::make_shared<RememberedGroupVerifier>(std::move(*v));
  by_key.emplace(key, r);
  return r;
}

}  // namespace rampart::client
