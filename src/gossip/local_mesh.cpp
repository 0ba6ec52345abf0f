#include "gossip/local_mesh.hpp"

#include <queue>

namespace rampart::gossip {

bool run_until(asio::io_context& io, const std::function<bool()>& pred, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

LocalMesh::LocalMesh(MeshOptions o) : opt_(o) {
  for (size_t i = 0; i < o.n; ++i) {
    ModuleOptions m;
    m.key = std::make_shared<const HostKey>(HostKey::generate_ed25519());
    m.config.cache_size = o.cache_size;
    m.config.degree = o.topology == Topology::chain ? 1 : o.degree;
    m.config.p2p_address = Address{"127.0.0.1", 0};
    m.config.api_address = Address{"127.0.0.1", 0};
    m.config.pow_difficulty = o.difficulty;
    m.maintain_interval = o.maintain_interval;
    m.discovery = o.topology != Topology::chain;
    if (i > 0) m.config.bootstrapper = modules[o.topology == Topology::chain ? i - 1 : 0]->p2p_address();
    modules.push_back(std::make_unique<Module>(io, std::move(m)));
    if (auto st = modules.back()->start(); !st && start_error_.empty())
      start_error_ = "module " + std::to_string(i) + ": " + st.error().message;
  }
}

int LocalMesh::index_of(const std::string& address) const {
  for (size_t i = 0; i < modules.size(); ++i)
    if (modules[i]->p2p_address() == address) return static_cast<int>(i);
  return -1;
}

std::vector<std::set<int>> LocalMesh::graph() const {
  std::vector<std::set<int>> g(modules.size());
  for (size_t i = 0; i < modules.size(); ++i)
    for (auto& a : modules[i]->peers().peer_addresses())
      if (int j = index_of(a); j >= 0) {
        g[i].insert(j);
        g[j].insert(static_cast<int>(i));
      }
  return g;
}

std::vector<int> LocalMesh::distances(int from, int avoid) const {
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

bool LocalMesh::formed() const {
  size_t want = std::min(opt_.topology == Topology::chain ? 1 : opt_.degree, modules.size() - 1);
  for (auto& m : modules)
    if (m->peers().active() < want) return false;
  for (int d : distances(0))
    if (d < 0) return false;
  return true;
}

bool LocalMesh::wait_formed(std::chrono::milliseconds deadline) {
  return run_until(io, [&] { return formed(); }, deadline);
}

double LocalMesh::mean_peers() const {
  double s = 0;
  for (auto& m : modules) s += static_cast<double>(m->peers().active());
  return modules.empty() ? 0 : s / static_cast<double>(modules.size());
}

std::string LocalMesh::describe() const {
  std::string s;
  for (size_t i = 0; i < modules.size(); ++i)
    s += std::to_string(i) + ":" + std::to_string(modules[i]->peers().active()) + " ";
  return s;
}

}  // namespace rampart::gossip
