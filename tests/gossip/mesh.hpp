#pragma once
// Test helpers over gossip::LocalMesh (modules on one io_context that the test thread drives
// with run_until): no threads, no sleeps; every wait is a condition with a deadline.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "gossip/api_client.hpp"
#include "gossip/local_mesh.hpp"

namespace rampart::gossip::testing {

// A local application on one module: subscribes to some types and answers every
// NOTIFICATION with valid(n).
struct Subscriber {
  ApiClient client;
  std::vector<Notification> got;
  std::function<bool(const Notification&)> valid = [](const Notification&) { return true; };
  bool closed = false;
  std::string close_reason;

  Subscriber(asio::io_context& io, const Address& api) : client(io) {
    auto st = client.connect(api);
    EXPECT_TRUE(st.ok()) << st.error().message;
    client.on_notification([this](const Notification& n) {
      got.push_back(n);
      client.validate(n.message_id, valid(n));
    });
    client.on_close([this](const std::string& why) {
      closed = true;
      close_reason = why;
    });
  }
  size_t count(const Bytes& data) const {
    size_t n = 0;
    for (auto& g : got) n += g.data == data;
    return n;
  }
};

using Mesh = LocalMesh;

}  // namespace rampart::gossip::testing
