#include "app/registry.hpp"

#include <algorithm>

#include "app/kv/kv_store.hpp"
#include "app/wallet/wallet.hpp"

namespace rampart::app {

Result<std::set<wallet::Account>> admin_accounts(const ClusterConfig& cfg) {
  std::set<wallet::Account> out;
  for (const auto& hex : cfg.admin_accounts) {
    Bytes b;
    if (!from_hex(hex, b) || b.size() != 32) return err("config: admin account '" + hex + "' is not 64 hex digits (an Ed25519 public key)");
    wallet::Account a{};
    std::copy(b.begin(), b.end(), a.begin());
    out.insert(a);
  }
  return out;
}

Result<std::unique_ptr<StateMachine>> make_app(const ClusterConfig& cfg) {
  if (cfg.app == "kv") return std::unique_ptr<StateMachine>(std::make_unique<kv::KvStore>());
  if (cfg.app == "wallet") {
    auto admins = admin_accounts(cfg);
    if (!admins) return admins.error();
    return std::unique_ptr<StateMachine>(std::make_unique<wallet::Wallet>(std::move(*admins)));
  }
  return err("config: unknown app '" + cfg.app + "' (kv | wallet)");
}

}  // namespace rampart::app
