#pragma once
// Proven-read clients shared by the gateway's HTTP threads (client/wallet_reads.hpp: each tries
// the replicas' read servers in turn). A read borrows one and gives it back; a new one is made
// when all are busy, up to `max`, and beyond that a read waits for one. Reads need no consensus
// round, so they are not counted against the cluster clients that bound submissions (429).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "client/wallet_reads.hpp"

namespace rampart::gateway {

class ReadPool {
 public:
  ReadPool(ClusterConfig cfg, std::chrono::milliseconds per_server_timeout, size_t max)
      : cfg_(std::move(cfg)), timeout_(per_server_timeout), max_(max) {}

  // One verified read; on failure, the error and what kind it was.
  struct Outcome {
    Result<client::ServedRead> read;
    client::ReadsFailure failure = client::ReadsFailure::none;
  };
  Outcome read(const client::ReadRequest& r);

 private:
  Result<std::unique_ptr<client::WalletReads>> take();
  void give_back(std::unique_ptr<client::WalletReads> w);

  ClusterConfig cfg_;
  std::chrono::milliseconds timeout_;
  size_t max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<client::WalletReads>> idle_;
  size_t made_ = 0;
};

}  // namespace rampart::gateway
