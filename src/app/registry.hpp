#pragma once
// The app registry (DESIGN.md §7): cluster.toml's `app` names the state machine every replica
// of the cluster runs ("kv" or "wallet"); it is part of the genesis configuration.
#include <memory>
#include <set>
#include <string_view>

#include "app/state_machine.hpp"
#include "app/wallet/op.hpp"
#include "common/config.hpp"

namespace rampart::app {

// The state machine cfg.app names, set up from cfg (the wallet's admin accounts). Errors: an
// unknown app name, an admin account that is not 64 hex digits.
Result<std::unique_ptr<StateMachine>> make_app(const ClusterConfig& cfg);

// cfg.admin_accounts as account keys (hex-decoded, 32 bytes each).
Result<std::set<wallet::Account>> admin_accounts(const ClusterConfig& cfg);

}  // namespace rampart::app
