#pragma once
// A Byzantine replica as its clients see it: a TCP proxy in front of a real replica's client
// port that passes requests through and lies in every reply (wallet balances inflated, the
// frame re-encoded so it still parses). No correct client may accept what it says.
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace rampart::test {

class LyingProxy {
 public:
  explicit LyingProxy(uint16_t target_port);
  ~LyingProxy();
  uint16_t port() const { return port_; }
  uint64_t lies() const { return lies_.load(); }

 private:
  void serve(int client_fd);
  uint16_t target_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> lies_{0};
  std::thread acceptor_;
  std::vector<std::thread> conns_;
};

}  // namespace rampart::test
