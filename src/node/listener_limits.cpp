#include "node/listener_limits.hpp"

#include "node/client_port.hpp"

namespace rampart::node {

using std::chrono::milliseconds;

net::Options peer_options(const ListenerLimits& l) {
  net::Options o;
  o.handshake_timeout = milliseconds(l.peer_handshake_timeout_ms);
  o.max_pending_handshakes = l.peer_max_pending_handshakes;
  o.max_pending_per_source = l.peer_max_pending_per_source;
  return o;
}

net::ClientOptions client_options(const ListenerLimits& l) {
  net::ClientOptions o = ClientPort::default_options();
  o.max_connections = l.client_max_connections;
  o.max_per_source = l.client_max_per_source;
  o.limits.idle_timeout = milliseconds(l.client_idle_timeout_ms);
  o.limits.frame_timeout = milliseconds(l.client_frame_timeout_ms);
  o.buffer_budget_bytes = l.client_buffer_bytes;
  o.handshake_timeout = milliseconds(l.client_handshake_timeout_ms);
  return o;
}

MetricsOptions metrics_options(const ListenerLimits& l) {
  MetricsOptions o;
  o.threads = l.metrics_threads;
  o.read_timeout = o.write_timeout = milliseconds(l.metrics_timeout_ms);
  return o;
}

}  // namespace rampart::node
