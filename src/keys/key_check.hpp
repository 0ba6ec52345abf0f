#pragma once
// Start-up check that a replica's key file belongs to the cluster it is asked to join: every
// public key the secrets imply must be the one cluster.toml lists for this replica. A key file
// from another cluster (or another replica) would otherwise start and fail only at its first
// handshake or signature, far from the cause.
#include "common/config.hpp"
#include "common/result.hpp"
#include "keys/secrets.hpp"
#include "keys/threshold_keys.hpp"

namespace rampart::keys {

// `rc` is built from `s` (make_replica_crypto); with crypto = "bls" its threshold share is
// checked against the public key set in cluster.toml.
Status check_keys_match(const ClusterConfig& cfg, uint32_t id, const NodeSecrets& s, const ReplicaCrypto& rc);

}  // namespace rampart::keys
