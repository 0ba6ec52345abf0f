#include "keys/key_check.hpp"

#include <sodium.h>

#include <algorithm>

#include "crypto/ed25519.hpp"

namespace rampart::keys {

Status check_keys_match(const ClusterConfig& cfg, uint32_t id, const NodeSecrets& s, const ReplicaCrypto& rc) {
  const ReplicaEntry* me = cfg.replica(id);
  if (!me) return err("replica id " + std::to_string(id) + " is not in the config");
  const std::string what = "key file " + me->key_file + " does not match cluster.toml for replica " + std::to_string(id);
  if (sodium_init() < 0) return err("libsodium failed to initialise");

  auto kp = crypto::ed25519::KeyPair::from_seed(ByteView(s.ed25519_secret).first(32));
  if (!kp) return err(what + ": bad Ed25519 key: " + kp.error().message);
  const auto& ed = kp->public_key();
  if (!std::equal(ed.begin(), ed.end(), me->ed25519_public.begin(), me->ed25519_public.end()))
    return err(what + ": its Ed25519 public key differs (a key of another cluster or replica?)");

  uint8_t x[crypto_scalarmult_BYTES];
  if (s.x25519_secret.size() != crypto_scalarmult_SCALARBYTES || crypto_scalarmult_base(x, s.x25519_secret.data()) != 0)
    return err(what + ": bad X25519 key");
  if (!std::equal(x, x + sizeof x, me->x25519_public.begin(), me->x25519_public.end()))
    return err(what + ": its X25519 channel key differs");

  if (cfg.crypto == "bls") {
    // A share that signs a probe its public share (in group_public_key) does not verify is
    // from another dealing.
    const Bytes probe = to_bytes("rampart key check");
    const Bytes share = rc.tsigner->sign_share(probe);
    if (!rc.tverifier->verify_share(id, probe, share))
      return err(what + ": its threshold key share is not this cluster's");
    // With a threshold of one (n = 1) the replica adopts its own share as the group signature
    // without a pairing check (replica/proofs.cpp, consensus/poe): it must be one.
    if (rc.tverifier->threshold() == 1 && !rc.tverifier->verify_group(probe, share))
      return err(what + ": threshold 1, but its share is not a group signature");
  }
  return {};
}

}  // namespace rampart::keys
