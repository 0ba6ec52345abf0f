#pragma once
// Trusted-dealer key generation for a cluster: what `rampart keygen` and `rampart cluster up`
// write. Produces DIR/cluster.toml (public) and DIR/keys/replica-I.key, DIR/keys/broker-I.key
// (secret, mode 0600), and DIR/keys/relay-I.key (Ed25519 key files) for relays.
#include <filesystem>
#include <string>

#include "common/config.hpp"
#include "common/result.hpp"

namespace rampart::keys {

struct KeygenOptions {
  uint32_t replicas = 4;
  uint32_t brokers = 0;
  uint32_t relays = 0;        // keys/relay-I.key, listed in cluster.toml's relays (load generators)
  uint32_t f = 0;             // 0 = the largest f with 3f+1 <= replicas
  std::string protocol = "poe";
  std::string crypto = "bls";
  std::string host = "127.0.0.1";
  uint16_t base_port = 7000;  // replica i: peer base+i, client base+100+i, metrics base+200+i; brokers base+300+i
  uint32_t batch_size = 100;
  uint32_t batch_timeout_ms = 2;
  uint64_t view_timeout_ms = 1000;
  uint64_t checkpoint_interval = 64;
  uint64_t window = 256;
};

// A relay's key file, relative to the cluster's folder.
std::string relay_key_file(uint32_t i);

// Writes everything under dir; refuses to overwrite an existing cluster.toml.
Result<ClusterConfig> keygen(const KeygenOptions& opt, const std::filesystem::path& dir);

}  // namespace rampart::keys
