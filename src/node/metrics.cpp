#include "node/metrics.hpp"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

namespace rampart::node {

std::string render_metrics(const Snapshot& s) {
  std::ostringstream o;
  auto g = [&](const char* name, const char* help, const char* type, uint64_t v) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " " << v << "\n";
  };
  g("rampart_replica_id", "this replica's id", "gauge", s.replica);
  g("rampart_peer_frames_in_total", "frames received from replicas", "counter", s.peer.frames_in);
  g("rampart_peer_frames_out_total", "frames sent to replicas", "counter", s.peer.frames_out);
  g("rampart_peer_bad_frames_total", "replica frames dropped: malformed or failed authentication", "counter", s.peer.bad_frames);
  g("rampart_peer_dropped_frames_total", "replica frames dropped: queue full or too big", "counter", s.peer.dropped_frames);
  g("rampart_peer_handshake_failures_total", "failed replica handshakes", "counter", s.peer.handshake_failures);
  g("rampart_peer_reconnects_total", "replica reconnection attempts", "counter", s.peer.reconnects);
  g("rampart_client_frames_in_total", "frames received from clients", "counter", s.client.frames_in);
  g("rampart_client_bad_frames_total", "client frames dropped as malformed", "counter", s.client.bad_frames);
  g("rampart_client_connections", "open client connections", "gauge", s.client_connections);
  g("rampart_client_handshakes_total", "client channels opened (the client proved its key)", "counter", s.client.handshakes);
  g("rampart_client_handshake_failures_total", "client connections closed before their channel was up (bad hello or key proof, timeout, gone)", "counter", s.client.handshake_failures);
  g("rampart_client_connections_rejected_total", "client connections refused at accept", "counter", s.client.connections_rejected);
  g("rampart_client_evicted_total", "idle client connections closed to admit a new one (per-source or total cap)", "counter", s.client.evicted);
  g("rampart_client_idle_timeouts_total", "client connections closed after the idle timeout", "counter", s.client.idle_timeouts);
  g("rampart_client_frame_timeouts_total", "client connections closed: a frame not complete within the slow-frame timeout", "counter", s.client.frame_timeouts);
  g("rampart_client_budget_exceeded_total", "client connections closed: their partial frame did not fit the listener's buffer budget", "counter", s.client.budget_exceeded);
  g("rampart_client_accept_errors_total", "failed accepts on the client port (e.g. out of descriptors), retried after a pause", "counter", s.client.accept_errors);
  g("rampart_client_partial_frame_bytes", "bytes held by partial client frames", "gauge", s.client.partial_frame_bytes);
  g("rampart_peer_connections_rejected_total", "peer-port connections refused at accept (per-source cap)", "counter", s.peer.connections_rejected);
  g("rampart_peer_evicted_total", "unauthenticated peer-port connections closed to admit a new one", "counter", s.peer.evicted);
  g("rampart_peer_accept_errors_total", "failed accepts on the peer port, retried after a pause", "counter", s.peer.accept_errors);
  if (s.registry) s.registry->render(o);
  o << "# HELP rampart_peer_queue_depth messages queued for a replica\n# TYPE rampart_peer_queue_depth gauge\n";
  for (auto& q : s.peer_queues) o << "rampart_peer_queue_depth{peer=\"" << q.id << "\"} " << q.depth << "\n";
  o << "# HELP rampart_peer_connected 1 while the authenticated link to a replica is up\n# TYPE rampart_peer_connected gauge\n";
  for (auto& q : s.peer_queues) o << "rampart_peer_connected{peer=\"" << q.id << "\"} " << (q.connected ? 1 : 0) << "\n";
  return o.str();
}

namespace {
// The process's own figures, read when scraped (Prometheus' standard names).
std::string process_metrics() {
  std::ostringstream o;
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  o << "# HELP process_resident_memory_bytes resident set size\n# TYPE process_resident_memory_bytes gauge\n"
    << "process_resident_memory_bytes " << resident * ::sysconf(_SC_PAGESIZE) << "\n";
  std::error_code ec;
  size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    ++fds;
  o << "# HELP process_open_fds open file descriptors\n# TYPE process_open_fds gauge\nprocess_open_fds " << fds << "\n";
  return o.str();
}
}  // namespace

MetricsServer::MetricsServer(MetricsOptions opts) : opts_(opts), srv_(std::make_unique<httplib::Server>()) {}
MetricsServer::~MetricsServer() { stop(); }

Status MetricsServer::start(const std::string& host, uint16_t port) {
  srv_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::string text;
    {
      std::lock_guard<std::mutex> l(mu_);
      text = text_;
    }
    res.set_content(text + process_metrics(), "text/plain; version=0.0.4");
  });
  const size_t threads = std::max<size_t>(opts_.threads, 1);
  srv_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  srv_->set_read_timeout(opts_.read_timeout);
  srv_->set_write_timeout(opts_.write_timeout);
  srv_->set_keep_alive_max_count(opts_.keep_alive_max_requests);
  srv_->set_keep_alive_timeout(static_cast<time_t>(opts_.keep_alive_timeout.count()));
  srv_->set_payload_max_length(opts_.max_request_body);
  // cpp-httplib's default socket options add SO_REUSEPORT: a second replica configured with
  // the same port would bind too, and scrapes would alternate between the two. Only
  // SO_REUSEADDR (a restart may bind while old connections sit in TIME_WAIT).
  srv_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  if (!srv_->bind_to_port(host, port))
    return err("metrics: cannot listen on " + host + ":" + std::to_string(port) + " (in use by another process?)");
  thread_ = std::thread([this] { srv_->listen_after_bind(); });
  return {};
}

void MetricsServer::update(Snapshot s) {
  std::string t = render_metrics(s);
  std::lock_guard<std::mutex> l(mu_);
  text_ = std::move(t);
}

void MetricsServer::stop() {
  if (thread_.joinable()) {
    srv_->stop();
    thread_.join();
  }
}

}  // namespace rampart::node
