#include "client/wallet_keys.hpp"

#include "crypto/keyfile.hpp"

namespace rampart::client {

Status make_wallet_cluster(ClusterConfig& cfg, const std::filesystem::path& dir, uint32_t admins) {
  ClusterConfig c = cfg;
  c.app = "wallet";
  c.admin_accounts.clear();
  for (uint32_t i = 0; i < admins; ++i) {
    auto kp = crypto::ed25519::KeyPair::generate();
    RAMPART_TRY(save_wallet_key(dir / "keys" / ("admin-" + std::to_string(i) + ".key"), kp));
    c.admin_accounts.push_back(to_hex(kp.public_key()));
  }
  RAMPART_TRY(assign_read_ports(c));
  RAMPART_TRY(c.validate());
  RAMPART_TRY(save_config(c, dir / "cluster.toml"));
  cfg = std::move(c);
  return {};
}

Status assign_read_ports(ClusterConfig& c) {
  // keygen's layout: peers at base+i, clients base+100+i, metrics base+200+i, brokers
  // base+300+j; `cluster up --gossip` puts the gossip module at base+300 and base+301 and the
  // gateway at base+343. Reads go after the brokers and the gossip ports: base+302+brokers+i
  // (below the gateway's port for up to 41 replicas and brokers).
  for (auto& r : c.replicas) {
    const uint32_t port = r.peer_port + kReadPortOffset + static_cast<uint32_t>(c.brokers.size());
    if (port > 65535) return err("no room for replica " + std::to_string(r.id) + "'s read port above its peer port");
    r.read_port = static_cast<uint16_t>(port);
  }
  return c.check_ports();
}

Result<crypto::ed25519::KeyPair> load_wallet_key(const std::filesystem::path& file) {
  return crypto::keyfile::load_ed25519_secret(file.string());
}

Status save_wallet_key(const std::filesystem::path& file, const crypto::ed25519::KeyPair& kp) {
  return crypto::keyfile::save_ed25519_secret(file.string(), kp);
}

}  // namespace rampart::client
