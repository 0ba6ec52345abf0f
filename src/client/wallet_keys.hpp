#pragma once
// Wallet key files and the admin accounts `rampart keygen --app wallet` adds to a cluster. A
// wallet key is an Ed25519 key file (crypto/keyfile.hpp, mode 0600); its public key is the
// account.
#include <filesystem>

#include "common/config.hpp"
#include "crypto/ed25519.hpp"

namespace rampart::client {

// A replica's read_port is its peer port + this + the number of brokers (wallet_keys.cpp says why).
inline constexpr uint32_t kReadPortOffset = 302;
// Gives every replica a read_port by that rule (its proven-read server, node/read_endpoint.hpp).
Status assign_read_ports(ClusterConfig& cfg);

// Makes cfg a wallet cluster with `admins` fresh admin accounts: writes
// DIR/keys/admin-I.key and rewrites DIR/cluster.toml with app = "wallet", their public keys and
// a read_port per replica (its proven-read server).
Status make_wallet_cluster(ClusterConfig& cfg, const std::filesystem::path& dir, uint32_t admins);

Result<crypto::ed25519::KeyPair> load_wallet_key(const std::filesystem::path& file);
Status save_wallet_key(const std::filesystem::path& file, const crypto::ed25519::KeyPair& kp);

}  // namespace rampart::client
