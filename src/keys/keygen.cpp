#include "keys/keygen.hpp"

#include <sodium.h>

#include <random>

#include "crypto/ed25519.hpp"
#include "crypto/keyfile.hpp"
#include "keys/secrets.hpp"
#include "keys/threshold_keys.hpp"

namespace rampart::keys {
namespace fs = std::filesystem;

namespace {
// A fresh node identity: the Ed25519 signing key and the X25519 channel key, secrets into s.
void new_identity(NodeSecrets& s, Bytes& ed25519_public, Bytes& x25519_public) {
  s.ed25519_secret.resize(crypto_sign_SECRETKEYBYTES);
  ed25519_public.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_keypair(ed25519_public.data(), s.ed25519_secret.data());
  s.x25519_secret.resize(crypto_kx_SECRETKEYBYTES);
  x25519_public.resize(crypto_kx_PUBLICKEYBYTES);
  crypto_kx_keypair(x25519_public.data(), s.x25519_secret.data());
}
}  // namespace

Result<ClusterConfig> keygen(const KeygenOptions& opt, const fs::path& dir) {
  if (sodium_init() < 0) return err("libsodium failed to initialise");
  if (opt.replicas == 0) return err("keygen: need at least one replica");
  uint32_t f = opt.f ? opt.f : (opt.replicas - 1) / 3;
  if (opt.replicas < 3 * f + 1) return err("keygen: " + std::to_string(opt.replicas) + " replicas cannot tolerate f = " + std::to_string(f));
  if (static_cast<uint32_t>(opt.base_port) + 300 + std::max(opt.replicas, opt.brokers) > 65535) return err("keygen: base port too high");
  std::error_code ec;
  fs::create_directories(dir / "keys", ec);
  if (ec) return err("keygen: cannot create " + (dir / "keys").string() + ": " + ec.message());
  fs::permissions(dir / "keys", fs::perms::owner_all, fs::perm_options::replace, ec);
  if (fs::exists(dir / "cluster.toml")) return err("keygen: " + (dir / "cluster.toml").string() + " already exists; not overwriting keys");

  ClusterConfig c;
  c.f = f;
  c.protocol = opt.protocol;
  c.crypto = opt.crypto;
  c.batch_size = opt.batch_size;
  c.batch_timeout_ms = opt.batch_timeout_ms;
  c.view_timeout_ms = opt.view_timeout_ms;
  c.checkpoint_interval = opt.checkpoint_interval;
  c.window = opt.window;
  c.base_dir = fs::absolute(dir, ec);

  uint32_t n = opt.replicas;
  ThresholdDeal deal;
  if (opt.crypto == "fake") {
    std::random_device rd;
    c.fake_seed = (static_cast<uint64_t>(rd()) << 31) ^ rd();
  } else {
    auto d = deal_threshold_keys(n, n - f);
    if (!d) return d.error();
    deal = std::move(*d);
    c.group_public_key = deal.group_public;
  }

  for (uint32_t i = 0; i < n; ++i) {
    NodeSecrets s;
    s.role = "replica";
    s.id = i;
    ReplicaEntry r;
    r.id = i;
    r.host = opt.host;
    r.peer_port = static_cast<uint16_t>(opt.base_port + i);
    r.client_port = static_cast<uint16_t>(opt.base_port + 100 + i);
    r.metrics_port = static_cast<uint16_t>(opt.base_port + 200 + i);
    new_identity(s, r.ed25519_public, r.x25519_public);
    if (opt.crypto != "fake") {
      s.threshold_share = deal.secret_shares[i];
      r.threshold_public = deal.public_shares[i];
    }
    r.key_file = "keys/replica-" + std::to_string(i) + ".key";
    r.data_dir = "data/replica-" + std::to_string(i);
    RAMPART_TRY(save_secrets(s, dir / r.key_file));
    c.replicas.push_back(std::move(r));
  }
  for (uint32_t i = 0; i < opt.brokers; ++i) {
    NodeSecrets s;
    s.role = "broker";
    s.id = i;
    BrokerEntry b;
    b.id = i;
    b.host = opt.host;
    b.port = static_cast<uint16_t>(opt.base_port + 300 + i);
    new_identity(s, b.ed25519_public, b.x25519_public);
    b.key_file = "keys/broker-" + std::to_string(i) + ".key";
    RAMPART_TRY(save_secrets(s, dir / b.key_file));
    c.brokers.push_back(std::move(b));
  }
  for (uint32_t i = 0; i < opt.relays; ++i) {
    auto kp = crypto::ed25519::KeyPair::generate();
    RAMPART_TRY(crypto::keyfile::save_ed25519_secret((dir / relay_key_file(i)).string(), kp));
    c.relays.push_back(to_hex(kp.public_key()));
  }
  RAMPART_TRY(c.validate());
  RAMPART_TRY(save_config(c, dir / "cluster.toml"));
  return c;
}

std::string relay_key_file(uint32_t i) { return "keys/relay-" + std::to_string(i) + ".key"; }

}  // namespace rampart::keys
