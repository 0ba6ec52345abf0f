#pragma once
// One replica process (DESIGN.md §2, §3.3, §3.4): the replica core (replica/replica.hpp, where
// the life of a request is described) plugged into the world. A single io_context thread runs
// the peer transport, the client port, the timers and the core; a second thread serves
// Prometheus metrics over HTTP, a third fsyncs the ledger's log (node/wal_syncer.hpp).
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "common/config.hpp"
#include "common/result.hpp"
#include "node/misbehave.hpp"

namespace rampart::node {

struct NodeOptions {
  ClusterConfig config;
  uint32_t id = 0;
  std::filesystem::path data_dir;  // empty: the config's data_dir for this replica
  std::string client_auth = "ed25519";  // ed25519 | none (benchmarks only)
  // crypto = "fake" puts fake_seed in cluster.toml, from which anyone derives every replica's
  // keys: refused unless asked for (tests, `cluster up --crypto fake`).
  bool allow_fake_crypto = false;
  bool trusted_directory = false;  // load cluster.toml `clients` without checking proofs of possession
  // HOST:PORT of a local gossip module's API: every final block is announced there (empty: none).
  std::string gossip_api;
  // HOST:PORT: serve the wallet's verifiable reads from this replica's final blocks (empty: no).
  std::string serve_reads;
  // Tests and benchmarks only: this replica lies (node/misbehave.hpp).
  Misbehaviour misbehave;
};

class NodeImpl;

class Node {
 public:
  // Loads keys, opens (or creates) the ledger, recovers state, binds every port. Any problem —
  // a corrupted data folder, a key file with loose permissions, a port in use — is an Error.
  static Result<std::unique_ptr<Node>> create(NodeOptions opt);
  ~Node();
  // Runs until stop(); returns the exit status.
  int run();
  // Thread- and signal-safe request to stop.
  void stop();

 private:
  explicit Node(std::unique_ptr<NodeImpl> impl);
  std::unique_ptr<NodeImpl> impl_;
};

}  // namespace rampart::node
