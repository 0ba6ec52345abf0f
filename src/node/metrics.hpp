#pragma once
// Prometheus text-format metrics over HTTP (cpp-httplib, its own thread). The io_context
// thread renders a Snapshot every 200 ms; the HTTP thread only serves the latest text, so it
// never touches the replica's state.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics_registry.hpp"
#include "common/result.hpp"
#include "net/counters.hpp"

namespace httplib {
class Server;
}

namespace rampart::node {

struct PeerQueue {
  uint32_t id = 0;
  size_t depth = 0;
  bool connected = false;
};

// What the process adds to the replica's registry: its id and the sockets' figures. The replica's
// own state (view, heights, pending work) is in the registry as gauges, set where it is known
// (replica::Replica::refresh_gauges), so nothing here copies it field by field.
struct Snapshot {
  uint32_t replica = 0;
  net::Counters peer, client;
  size_t client_connections = 0;
  std::vector<PeerQueue> peer_queues;
  const metrics::Registry* registry = nullptr;  // the replica's counters and gauges, rendered as they are
};

std::string render_metrics(const Snapshot& s);

// Limits of the HTTP endpoint (docs/operations.md, "Metrics"). cpp-httplib serves each
// connection on a pool thread until it closes, so a client that sends half a request holds a
// thread until the read timeout: a pool larger than the number of such clients one expects and
// short timeouts keep scrapes answered (the defaults held 10 half-sent requests at 8 threads
// and 5 s per read, and the endpoint stopped answering).
struct MetricsOptions {
  size_t threads = 16;
  std::chrono::milliseconds read_timeout{1000};   // per read: a request must keep coming
  std::chrono::milliseconds write_timeout{1000};  // per write: a scraper must keep reading
  size_t keep_alive_max_requests = 16;            // then the connection is closed
  std::chrono::seconds keep_alive_timeout{1};     // idle time between requests on one connection
  size_t max_request_body = 1024;                 // GET only
};

class MetricsServer {
 public:
  explicit MetricsServer(MetricsOptions opts = {});
  ~MetricsServer();
  Status start(const std::string& host, uint16_t port);
  void update(Snapshot s);
  void stop();

 private:
  MetricsOptions opts_;
  std::unique_ptr<httplib::Server> srv_;
  std::thread thread_;
  std::mutex mu_;
  std::string text_ = "# no data yet\n";
};

}  // namespace rampart::node
