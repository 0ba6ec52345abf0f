#pragma once
// Many gossip modules on loopback in one process, on one io_context that the test thread
// drives (run_until): no threads, no sleeps; every wait is a condition with a deadline.
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
#include "gossip/module.hpp"

namespace rampart::gossip::testing {

inline bool run_until(asio::io_context& io, const std::function<bool()>& pred,
                      std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

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

enum class Topology {
  bootstrap_one,  // every module bootstraps from module 0 and discovers the rest
  chain,          // module i dials only module i-1 (discovery off, degree 1)
};

struct MeshOptions {
  size_t n = 30;
  size_t degree = 4;
  unsigned difficulty = 6;
  Topology topology = Topology::bootstrap_one;
  size_t cache_size = 256;
};

class Mesh {
 public:
  asio::io_context io;
  std::vector<std::unique_ptr<Module>> modules;

  explicit Mesh(MeshOptions o) : opt_(o) {
    for (size_t i = 0; i < o.n; ++i) {
      ModuleOptions m;
      m.key = std::make_shared<const HostKey>(HostKey::generate_ed25519());
      m.config.cache_size = o.cache_size;
      m.config.degree = o.topology == Topology::chain ? 1 : o.degree;
      m.config.p2p_address = Address{"127.0.0.1", 0};
      m.config.api_address = Address{"127.0.0.1", 0};
      m.config.pow_difficulty = o.difficulty;
      m.maintain_interval = std::chrono::milliseconds(50);
      m.discovery = o.topology != Topology::chain;
      if (i > 0) m.config.bootstrapper = modules[o.topology == Topology::chain ? i - 1 : 0]->p2p_address();
      modules.push_back(std::make_unique<Module>(io, std::move(m)));
      auto st = modules.back()->start();
      EXPECT_TRUE(st.ok()) << st.error().message;
    }
  }

  // Index of the module advertising `address`, or -1.
  int index_of(const std::string& address) const {
    for (size_t i = 0; i < modules.size(); ++i)
      if (modules[i]->p2p_address() == address) return static_cast<int>(i);
    return -1;
  }
  std::vector<std::set<int>> graph() const {
    std::vector<std::set<int>> g(modules.size());
    for (size_t i = 0; i < modules.size(); ++i)
      for (auto& a : modules[i]->peers().peer_addresses())
        if (int j = index_of(a); j >= 0) {
          g[i].insert(j);
          g[j].insert(static_cast<int>(i));
        }
    return g;
  }
  // Hop distances from `from`, not passing through `avoid` (-1: none); -1 = unreachable.
  std::vector<int> distances(int from, int avoid = -1) const {
    auto g = graph();
    std::vector<int> d(modules.size(), -1);
    std::queue<int> q;
    d[from] = 0;
    q.push(from);
    while (!q.empty()) {
      int u = q.front();
      q.pop();
      if (u == avoid) continue;
      for (int v : g[u])
        if (d[v] < 0) {
          d[v] = d[u] + 1;
          q.push(v);
        }
    }
    return d;
  }
  // Every module has its degree of peers and the overlay is connected.
  bool formed() const {
    size_t want = std::min(opt_.topology == Topology::chain ? 1 : opt_.degree, modules.size() - 1);
    for (auto& m : modules)
      if (m->peers().active() < want) return false;
    for (int d : distances(0))
      if (d < 0) return false;
    return true;
  }
  bool wait_formed(std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    return run_until(io, [&] { return formed(); }, deadline);
  }
  std::string describe() const {
    std::string s;
    for (size_t i = 0; i < modules.size(); ++i)
      s += std::to_string(i) + ":" + std::to_string(modules[i]->peers().active()) + " ";
    return s;
  }

 private:
  MeshOptions opt_;
};

}  // namespace rampart::gossip::testing
