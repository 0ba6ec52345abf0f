#pragma once
// Proven wallet reads from a set of read servers, the replicas' read ports by default
// (cluster.toml `read_port`, node/read_endpoint.hpp): the way a balance or a ledger page is read
// without a consensus round (issue 18). A read goes to one server; an answer that fails
// verification, says the server is behind, or does not come within the per-server timeout goes
// to the next, until every server was tried once. No server is trusted: each answer is checked by
// verify_read against the group key (client/wallet_read.hpp) before it is returned, so at most f
// lying replicas cost time, never a wrong balance.
//
// The server that answered is asked first next time (its connection stays open); one that failed
// is tried again only after the others. Not thread-safe: one WalletReads per thread.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "client/wallet_read.hpp"
#include "client/wallet_reader.hpp"
#include "common/config.hpp"

namespace rampart::client {

struct ReadServerAddress {
  std::string host;  // an IP address
  uint16_t port = 0;
  std::string str() const { return host + ":" + std::to_string(port); }
};

// Every replica's read server in cluster.toml (replicas without read_port are left out).
std::vector<ReadServerAddress> replica_read_servers(const ClusterConfig& cfg);

struct WalletReadsOptions {
  std::vector<ReadServerAddress> servers;  // empty: replica_read_servers(cfg)
  size_t first = 0;                        // index of the server asked first (spreads clients)
  // Per server. A server below min_k holds the read up to 5 s before it says "behind", so a
  // shorter timeout moves on to the next server sooner.
  std::chrono::milliseconds timeout{2000};
};

// A verified read and where it came from.
struct ServedRead {
  ProvenRead read;
  std::string server;
};

// Why no server answered, for callers that map it to an error kind (the gateway's 503s).
enum class ReadsFailure {
  none,
  not_at_height,  // every server that answered was below min_k (or held the read until its timeout)
  unavailable,    // otherwise: refused connections, lies, malformed answers
};

class WalletReads {
 public:
  static Result<std::unique_ptr<WalletReads>> create(const ClusterConfig& cfg, WalletReadsOptions opt = {});
  ~WalletReads();

  Result<ServedRead> read(const ReadRequest& r);
  Result<ServedRead> balance(const app::wallet::Account& a, uint64_t min_k = 0) { return read(balance_read(a, min_k)); }
  Result<ServedRead> page(const std::optional<app::wallet::Account>& after, uint32_t limit, uint64_t min_k = 0) {
    return read(page_read(after, limit, min_k));
  }
  // After a failed read: what kind of failure it was.
  ReadsFailure last_failure() const { return last_failure_; }
  size_t servers() const { return readers_.size(); }

 private:
  WalletReads() = default;
  std::vector<std::unique_ptr<WalletReader>> readers_;
  size_t next_ = 0;
  ReadsFailure last_failure_ = ReadsFailure::none;
  std::shared_ptr<const crypto::ThresholdVerifier> group_;
};

}  // namespace rampart::client
