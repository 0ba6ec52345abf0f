#pragma once
// A fixed set of wallet clients shared by the gateway's HTTP threads: a request borrows one for
// its consensus round trip. When none frees up within the wait, the gateway answers 429: the
// pool's size bounds what the gateway asks of the cluster at once.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "client/wallet.hpp"

namespace rampart::gateway {

class ClientPool {
 public:
  ClientPool() = default;
  void add(std::unique_ptr<client::WalletClient> c);

  class Lease {
   public:
    Lease(ClientPool* p, std::unique_ptr<client::WalletClient> c) : pool_(p), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease();
    explicit operator bool() const { return c_ != nullptr; }
    client::WalletClient* operator->() { return c_.get(); }

   private:
    ClientPool* pool_;
    std::unique_ptr<client::WalletClient> c_;
  };
  // An idle client, or an empty lease after `wait`.
  Lease acquire(std::chrono::milliseconds wait);
  size_t in_use() const;
  size_t size() const { return size_; }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<client::WalletClient>> idle_;
  size_t size_ = 0;
};

}  // namespace rampart::gateway
