#include "keys/threshold_keys.hpp"

#include "crypto/ed25519.hpp"
#include "crypto/fake.hpp"
#include "crypto/threshold.hpp"

namespace rampart::keys {

Result<ThresholdDeal> deal_threshold_keys(uint32_t n, uint32_t t) {
  auto d = crypto::threshold::deal(n, t);
  if (!d) return d.error();
  ThresholdDeal out;
  // cluster.toml's group_public_key holds the whole public key set (t, n, group key, every
  // public share): clients use the group key, replicas the shares when a combine fails.
  out.group_public = d->pub.encode();
  for (uint32_t i = 0; i < n; ++i) {
    out.public_shares.push_back({});
    out.secret_shares.push_back(d->secrets[i].encode());
  }
  return out;
}

namespace {
struct FakeBundle {
  std::unique_ptr<crypto::FakeKeyring> ring;
  std::unique_ptr<crypto::Signer> signer;
  std::unique_ptr<crypto::ThresholdSigner> tsigner;
};
}  // namespace

namespace {
struct RealBundle {
  std::unique_ptr<crypto::ed25519::Ed25519Signer> signer;
  std::unique_ptr<crypto::ed25519::Ed25519Verifier> verifier;
  std::unique_ptr<crypto::threshold::BlsThresholdSigner> tsigner;
  std::unique_ptr<crypto::threshold::BlsThresholdVerifier> tverifier;
};
}  // namespace

Result<ReplicaCrypto> make_replica_crypto(const ClusterConfig& c, const NodeSecrets& s) {
  if (c.crypto != "fake") {
    auto b = std::make_shared<RealBundle>();
    auto kp = crypto::ed25519::KeyPair::from_seed(ByteView(s.ed25519_secret).first(32));
    if (!kp) return err("key file: bad Ed25519 key: " + kp.error().message);
    b->signer = std::make_unique<crypto::ed25519::Ed25519Signer>(*kp);
    std::vector<crypto::ed25519::PublicKey> pks;
    for (const auto& r : c.replicas) {
      crypto::ed25519::PublicKey pk{};
      std::copy(r.ed25519_public.begin(), r.ed25519_public.end(), pk.begin());
      pks.push_back(pk);
    }
    b->verifier = std::make_unique<crypto::ed25519::Ed25519Verifier>(pks);
    auto share = crypto::threshold::SecretShare::decode(s.threshold_share);
    if (!share) return err("key file: bad threshold share: " + share.error().message);
    if (share->id != s.id) return err("key file: threshold share belongs to another replica");
    b->tsigner = std::make_unique<crypto::threshold::BlsThresholdSigner>(*share);
    auto pub = crypto::threshold::PublicKeySet::decode(c.group_public_key);
    if (!pub) return err("config: bad group_public_key: " + pub.error().message);
    if (pub->n() != c.n() || pub->t != c.nf()) return err("config: group key set does not match n and f");
    b->tverifier = std::make_unique<crypto::threshold::BlsThresholdVerifier>(*pub);
    ReplicaCrypto rc;
    rc.signer = b->signer.get();
    rc.verifier = b->verifier.get();
    rc.tsigner = b->tsigner.get();
    rc.tverifier = b->tverifier.get();
    rc.keep_alive = b;
    return rc;
  }
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

}  // namespace rampart::keys
