#pragma once
// One replica process (DESIGN.md §2, §3.3, §3.4): a single io_context thread runs the
// transport, the client port, the batcher, the sans-IO Protocol and this Env; a second thread
// serves Prometheus metrics over HTTP, a third fsyncs the ledger's log (node/wal_syncer.hpp).
//
// Life of a request: client -> client port -> batcher (closes at batch_size or batch_timeout)
// -> a backup forwards its batch to the primary, which proposes its own batch and the forwarded
// ones as one bundle (docs/architecture.md; a forwarded batch not ordered in time is submitted
// to the backup's protocol, which can replace the primary) -> Protocol orders it -> execute():
// executor over the KV store and the results Merkle tree, block k appended to the ledger
// (speculative), our threshold share over proof_message(k, results_root) broadcast -> with nf
// shares for the same root any replica combines the group signature, attaches it to block k,
// fsyncs, waits for n - f DURABLE acknowledgements, and only then answers each client connected
// to it whose request was in batch k (CART).
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "common/config.hpp"
#include "common/result.hpp"

namespace rampart::node {

struct NodeOptions {
  ClusterConfig config;
  uint32_t id = 0;
  std::filesystem::path data_dir;  // empty: the config's data_dir for this replica
  std::string client_auth = "ed25519";  // ed25519 | none (benchmarks only)
  // crypto = "fake" puts fake_seed in cluster.toml, from which anyone derives every replica's
  // keys: refused unless asked for (tests, `cluster up --crypto fake`).
  bool allow_fake_crypto = false;
  // HOST:PORT of a local gossip module's API: every final block is announced there (empty: none).
  std::string gossip_api;
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
