#pragma once
// The canonical cluster-configuration bytes that genesis (block 0) is derived from. Every
// replica and every verifier must pass the same bytes to Store::open / verify_*, so they are
// defined here once, from the parsed cluster.toml, independent of TOML formatting.
//
// Included: what fixes the cluster's identity and initial state — f, protocol, crypto kind, the
// group public key (and fake_seed with crypto = "fake", which then plays the group key's role),
// checkpoint interval and window, admin accounts, the app (only when not "kv"), and each replica's id, Ed25519 identity key
// and threshold public share. Left out: what an operator may change without forking the
// ledger — hosts, ports, key-file and data paths, batch size, timeouts, channel (X25519) keys,
// and brokers (untrusted, may come and go).
#include "common/bytes.hpp"
#include "common/config.hpp"

namespace rampart::ledger {

Bytes genesis_config(const ClusterConfig& c);

}  // namespace rampart::ledger
