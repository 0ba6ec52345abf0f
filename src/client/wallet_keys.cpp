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
  RAMPART_TRY(c.validate());
  RAMPART_TRY(save_config(c, dir / "cluster.toml"));
  cfg = std::move(c);
  return {};
}

Result<crypto::ed25519::KeyPair> load_wallet_key(const std::filesystem::path& file) {
  return crypto::keyfile::load_ed25519_secret(file.string());
}

Status save_wallet_key(const std::filesystem::path& file, const crypto::ed25519::KeyPair& kp) {
  return crypto::keyfile::save_ed25519_secret(file.string(), kp);
}

}  // namespace rampart::client
