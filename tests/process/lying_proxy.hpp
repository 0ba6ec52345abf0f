#pragma once
// A Byzantine replica as its clients see it: a proxy in front of a real replica's client port
// that holds that replica's channel key (a Byzantine replica has its own keys), so clients open
// their channels with it, passes their requests on over a relay's channel (cluster.toml lists
// the relay key), and lies in every reply (wallet balances inflated, the frame re-encoded so it
// still parses). No correct client may accept what it says.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <thread>
#include <vector>

#include "client/session.hpp"
#include "common/config.hpp"
#include "crypto/channel.hpp"

namespace rampart::test {

class LyingProxy {
 public:
  // `dir`: the cluster's folder (its keys/ hold the replica's key file and relay-0.key).
  LyingProxy(const ClusterConfig& cfg, const std::filesystem::path& dir, uint32_t replica);
  ~LyingProxy();
  uint16_t port() const { return port_; }
  uint64_t lies() const { return lies_.load(); }

 private:
  void serve(int client_fd);
  ClusterConfig cfg_;
  uint32_t replica_;
  crypto::ChannelKeypair keys_;
  client::SigningKey relay_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> lies_{0};
  std::thread acceptor_;
  std::vector<std::thread> conns_;
};

}  // namespace rampart::test
