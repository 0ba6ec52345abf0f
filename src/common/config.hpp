#pragma once
// The cluster's public configuration (cluster.toml, written by `rampart keygen`): who the
// replicas and brokers are, where they listen, their public keys, the group public key and the
// protocol parameters. Every process of a cluster reads the same file; secrets live apart in
// per-node key files (mode 0600) that the config only names.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart {

struct ReplicaEntry {
  uint32_t id = 0;
  std::string host = "127.0.0.1";
  uint16_t peer_port = 0;     // replica-to-replica transport
  uint16_t client_port = 0;   // client requests and replies
  uint16_t metrics_port = 0;  // Prometheus text over HTTP
  // Proven wallet reads (client/wallet_read.hpp; node/read_endpoint.hpp), 0: none. Operational,
  // like the other ports: clients find a replica's read server here (docs/wallet.md).
  uint16_t read_port = 0;
  Bytes ed25519_public;       // identity (32 bytes)
  Bytes x25519_public;        // static channel key (32 bytes)
  Bytes threshold_public;     // this replica's public key share (BLS, or empty with fake crypto)
  std::string key_file;       // secret keys, relative to the config's folder unless absolute
  std::string data_dir;       // default data folder, relative to the config's folder unless absolute
};

struct BrokerEntry {
  uint32_t id = 0;
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  Bytes ed25519_public;
  Bytes x25519_public;
  std::string key_file;
};

// Resource limits of a replica's listeners: the optional [limits] table of cluster.toml.
// Operational (not part of the genesis configuration): each replica may set its own. The
// defaults are here; docs/operations.md explains each (src/node/listener_limits.cpp maps them
// onto the listeners).
struct ListenerLimits {
  uint32_t client_max_connections = 4096;      // also kept below the descriptor limit
  uint32_t client_max_per_source = 64;         // per IPv4 address / IPv6 /64
  uint64_t client_idle_timeout_ms = 60000;     // no complete request for this long: closed (0: off)
  uint64_t client_frame_timeout_ms = 10000;    // a request begun must arrive within this (0: off)
  uint64_t client_buffer_bytes = 64u << 20;    // partial requests, all connections together
  uint64_t client_handshake_timeout_ms = 5000; // the client channel must be up within this
  uint64_t peer_handshake_timeout_ms = 2000;   // replica connections must authenticate within this
  uint32_t peer_max_pending_handshakes = 64;   // unauthenticated inbound replica connections
  uint32_t peer_max_pending_per_source = 8;    // ... per source that is no configured replica's
  uint32_t metrics_threads = 16;               // HTTP worker threads
  uint64_t metrics_timeout_ms = 1000;          // per read and per write on a metrics connection

  bool operator==(const ListenerLimits&) const = default;
};

struct ClusterConfig {
  uint32_t f = 1;
  std::string protocol = "poe";  // poe | pbft
  std::string crypto = "bls";    // bls (real blst threshold) | fake (deterministic stand-in, tests only)
  std::string app = "kv";        // kv | wallet: the state machine (app/registry.hpp); part of the genesis configuration
  uint32_t batch_size = 100;
  uint32_t batch_timeout_ms = 2;
  uint64_t view_timeout_ms = 1000;
  uint64_t checkpoint_interval = 64;
  uint64_t window = 256;
  std::vector<std::string> admin_accounts;  // wallet: Ed25519 public keys (hex) that create money by transferring
  // Ed25519 public keys (hex) whose client-channel connections may carry other clients' signed
  // requests (a load generator, a relaying gateway); brokers' keys count too. Operational: not
  // part of the genesis configuration. Any other connection carries only its own key's requests.
  std::vector<std::string> relays;
  // The broker path's client directory (broker/directory_file.hpp), relative to base_dir; empty:
  // none, so no broker's batch can be checked. A stand-in until sign-up through consensus exists.
  std::string clients;
  Bytes group_public_key;        // BLS group key clients verify CART replies against
  uint64_t fake_seed = 0;        // only with crypto = "fake"
  std::vector<ReplicaEntry> replicas;
  std::vector<BrokerEntry> brokers;
  ListenerLimits limits;

  // The folder cluster.toml was read from; relative paths resolve against it.
  std::filesystem::path base_dir;

  uint32_t n() const { return static_cast<uint32_t>(replicas.size()); }
  uint32_t nf() const { return n() - f; }
  std::filesystem::path resolve(const std::string& p) const;
  const ReplicaEntry* replica(uint32_t id) const;
  // Whether connections opened with this Ed25519 key may relay other clients' requests.
  bool is_relay(ByteView ed25519_public) const;

  // Checks the invariants every process relies on (n = 3f+1 at least, unique ids 0..n-1,
  // ports set and distinct, key sizes).
  Status validate() const;
  // No two listeners (replica peer/client/metrics ports, broker ports) on one host and port.
  Status check_ports() const;
};

Result<ClusterConfig> load_config(const std::filesystem::path& file);
Result<ClusterConfig> parse_config(std::string_view toml_text, const std::filesystem::path& base_dir);
std::string to_toml(const ClusterConfig& c);
Status save_config(const ClusterConfig& c, const std::filesystem::path& file);

}  // namespace rampart
