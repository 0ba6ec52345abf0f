#pragma once
// Many modules on loopback in one process, all on one io_context that the caller drives
// (run_until): what the loopback tests and `rampart bench gossip` build on. Ports are 0
// (picked by the kernel); each module gets a fresh Ed25519 host key.
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gossip/module.hpp"

namespace rampart::gossip {

// Drives io until pred() holds or the deadline passes; returns pred()'s last value.
bool run_until(asio::io_context& io, const std::function<bool()>& pred,
               std::chrono::milliseconds deadline = std::chrono::seconds(20));

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
  std::chrono::milliseconds maintain_interval{50};
};

class LocalMesh {
 public:
  asio::io_context io;
  std::vector<std::unique_ptr<Module>> modules;

  explicit LocalMesh(MeshOptions o);
  // Empty if every module started, else why one did not.
  const std::string& start_error() const { return start_error_; }

  int index_of(const std::string& p2p_address) const;  // -1 if none
  std::vector<std::set<int>> graph() const;             // adjacency by module index
  // Hop distances from `from`, not passing through `avoid` (-1: none); -1 = unreachable.
  std::vector<int> distances(int from, int avoid = -1) const;
  // Every module has min(degree, n-1) peers and the overlay is connected.
  bool formed() const;
  bool wait_formed(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  double mean_peers() const;
  std::string describe() const;  // "module:peers ..." for failure messages

 private:
  MeshOptions opt_;
  std::string start_error_;
};

}  // namespace rampart::gossip
