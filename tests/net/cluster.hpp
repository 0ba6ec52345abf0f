#pragma once
// A small cluster of real Transports on 127.0.0.1 ephemeral ports for the loopback tests.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "crypto/channel.hpp"
#include "net/harness.hpp"
#include "net/transport.hpp"

namespace rampart::net::testing {

using crypto::ChannelKeypair;

inline Bytes msg_of(const std::string& s) { return to_bytes(s); }

// n transports wired to each other; each one's deliveries go to one shared inbox.
class Cluster {
 public:
  Cluster(IoThread& io, uint32_t n, Options opts = fast_options()) : io_(io), opts_(opts) {
    for (uint32_t i = 0; i < n; ++i) keys.push_back(ChannelKeypair::generate());
    ports.assign(n, 0);
    t.resize(n);
    io_.run([&] {
      for (uint32_t i = 0; i < n; ++i) {
        make(i);
        ports[i] = *t[i]->listen();
      }
      for (uint32_t i = 0; i < n; ++i)
        for (uint32_t j = 0; j < n; ++j) t[i]->set_peer_address(j, "127.0.0.1", ports[j]);
      for (auto& x : t) EXPECT_TRUE(x->start().ok());
      return 0;
    });
  }
  ~Cluster() {
    io_.run([&] {
      t.clear();
      return 0;
    });
  }

  static Options fast_options() {
    Options o;
    o.backoff_initial = std::chrono::milliseconds(10);
    o.backoff_max = std::chrono::milliseconds(200);
    return o;
  }

  std::vector<PeerInfo> peers() const {
    std::vector<PeerInfo> v;
    for (uint32_t j = 0; j < keys.size(); ++j) v.push_back({j, "127.0.0.1", ports[j], keys[j].pk});
    return v;
  }

  // Must run on the io thread.
  void make(uint32_t i) {
    t[i] = std::make_unique<Transport>(io_.io, i, peers(), keys[i], opts_);
    t[i]->on_message([this, i](NodeId from, Bytes m) { inbox.add(from, i, std::move(m)); });
  }

  bool all_connected() {
    for (uint32_t i = 0; i < t.size(); ++i)
      for (uint32_t j = 0; j < t.size(); ++j)
        if (i != j && !t[i]->connected(j)) return false;
    return true;
  }

  IoThread& io_;
  Options opts_;
  std::vector<ChannelKeypair> keys;
  std::vector<uint16_t> ports;
  std::vector<std::unique_ptr<Transport>> t;
  Inbox inbox;
};

}  // namespace rampart::net::testing
