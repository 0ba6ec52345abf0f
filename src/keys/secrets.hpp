#pragma once
// A node's secret key file (TOML, mode 0600): Ed25519 identity, X25519 channel key and the
// replica's threshold key share. Public halves are in cluster.toml.
#include <filesystem>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::keys {

struct NodeSecrets {
  std::string role = "replica";  // replica | broker
  uint32_t id = 0;
  Bytes ed25519_secret;     // libsodium 64-byte secret key (seed || public)
  Bytes x25519_secret;      // 32 bytes
  Bytes threshold_share;    // BLS secret key share (empty with fake crypto)
};

Status save_secrets(const NodeSecrets& s, const std::filesystem::path& file);
// Refuses files readable by group/others: a leaked key file must be noticed, not used.
Result<NodeSecrets> load_secrets(const std::filesystem::path& file);

}  // namespace rampart::keys
