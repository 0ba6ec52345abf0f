#include "node/threshold_keys.hpp"

#include "crypto/fake.hpp"

namespace rampart::node {

Result<ThresholdDeal> deal_threshold_keys(uint32_t, uint32_t) {
  return err("keygen: BLS threshold keys are not available in this build; use --crypto fake");
}

namespace {
struct FakeBundle {
  std::unique_ptr<crypto::FakeKeyring> ring;
  std::unique_ptr<crypto::Signer> signer;
  std::unique_ptr<crypto::ThresholdSigner> tsigner;
};
}  // namespace

Result<ReplicaCrypto> make_replica_crypto(const ClusterConfig& c, const NodeSecrets& s) {
  if (c.crypto != "fake") return err("crypto: BLS not available in this build");
  auto b = std::make_shared<FakeBundle>();
  b->ring = std::make_unique<crypto::FakeKeyring>(c.n(), c.nf(), c.fake_seed);
  b->signer = b->ring->signer(s.id);
  b->tsigner = b->ring->threshold_signer(s.id);
  ReplicaCrypto rc;
  rc.signer = b->signer.get();
  rc.verifier = &b->ring->verifier();
  rc.tsigner = b->tsigner.get();
  rc.tverifier = &b->ring->threshold_verifier();
  rc.keep_alive = b;
  return rc;
}

}  // namespace rampart::node
