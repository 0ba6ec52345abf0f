#pragma once
// The client side of proven wallet reads (client/wallet_read.hpp) over TCP: one connection to a
// read server (a replica's read_port, an observer's `--serve` address), one framed request at a
// time, and nothing returned before verify_read accepted the answer against the cluster's group
// key (client/wallet_reads.hpp tries several in turn). The server is not trusted; a malformed,
// lying or late answer is an error. Not thread-safe.
#include <chrono>
#include <memory>
#include <string>

#include "client/wallet_read.hpp"
#include "common/config.hpp"

namespace rampart::client {

struct WalletReaderOptions {
  std::string host;  // IP address of the server
  uint16_t port = 0;
  // Per read, connecting included. Longer than a server waits for min_k (5 s by default), so a
  // server that is catching up can still answer.
  std::chrono::milliseconds timeout{10000};
};

class WalletReader {
 public:
  static Result<std::unique_ptr<WalletReader>> create(const ClusterConfig& cfg, WalletReaderOptions opt);
  ~WalletReader();

  Result<ProvenRead> read(const ReadRequest& r);
  // The server's decoded answer, not yet verified (verify_read decides): for a caller that must
  // tell "behind" from a lie.
  Result<ReadResponse> exchange(const ReadRequest& r);
  std::string where() const;
  // The last exchange reached the server but no answer came within the timeout (a server
  // below min_k holds a read that long before it says "behind").
  bool last_read_timed_out() const;
  Result<ProvenRead> balance(const app::wallet::Account& a, uint64_t min_k = 0) { return read(balance_read(a, min_k)); }
  Result<ProvenRead> page(const std::optional<app::wallet::Account>& after, uint32_t limit, uint64_t min_k = 0) {
    return read(page_read(after, limit, min_k));
  }

  struct Impl;

 private:
  explicit WalletReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::client
