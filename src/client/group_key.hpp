#pragma once
// The group verifier a client builds from the public cluster.toml (BLS group key, or the fake
// keyring for crypto = "fake" test clusters).
#include <memory>

#include "common/config.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::client {

Result<std::shared_ptr<const crypto::ThresholdVerifier>> make_group_verifier(const ClusterConfig& c);

}  // namespace rampart::client
