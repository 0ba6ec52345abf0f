#pragma once
// One replica process (DESIGN.md §2, §3.3, §3.4): a single io_context thread runs the
// transport, the client port, the batcher, the sans-IO Protocol and this Env; a second thread
// serves Prometheus metrics over HTTP.
//
// Life of a request: client -> client port -> batcher (closes at batch_size or batch_timeout)
// -> primary proposes (a backup submits locally to arm its progress timer and forwards the
// batch to the primary) -> Protocol orders it -> execute(): executor over the KV store, a
// Merkle tree over the results, block k appended to the ledger (speculative), our threshold
// share over proof_message(k, results_root) broadcast -> with nf shares for the same root any
// replica combines the group signature, attaches it to block k (fsync'ed), and only then
// answers each client connected to it whose request was in batch k (CART).
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
