// Transport: the public API over Transport::Impl (transport_impl.hpp), and starting and stopping.
#include "net/transport.hpp"

#include <utility>

#include "net/transport_impl.hpp"

namespace rampart::net {

Transport::Impl::Peer* Transport::Impl::find(NodeId id) {
  auto it = peers.find(id);
  return it == peers.end() ? nullptr : it->second.get();
}

Status Transport::Impl::start() {
  if (stopped) return err("transport stopped");
  if (started) return {};
  auto port = listen();
  if (!port) return port.error();
  started = true;
  for (auto& [id, p] : peers) {
    if (self < id) dial(*p);
  }
  return {};
}

void Transport::Impl::stop() {
  if (stopped) return;
  stopped = true;
  asio::error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  resolver.cancel();
  for (auto& [id, p] : peers) {
    p->retry->cancel();
    if (p->dial_socket) p->dial_socket->close(ignored);
    if (p->conn) p->conn->conn->close("transport stopped");
    if (p->outbound) p->outbound->conn->close("transport stopped");
    p->conn.reset();
    p->outbound.reset();
    p->dial_socket.reset();
    p->queue.clear();
    p->queue_bytes = 0;
    p->up = false;
    update_gauges(*p);
  }
  for (auto& pc : handshaking) pc->conn->close("transport stopped");
  handshaking.clear();
}

Transport::Transport(asio::io_context& io, NodeId self, std::vector<PeerInfo> peers,
                     const crypto::ChannelKeypair& keys, Options opts)
    : impl_(std::make_shared<Impl>(io, self, keys, opts)) {
  impl_->self_info.id = self;
  for (auto& info : peers) {
    if (info.id == self) {
      impl_->self_info = info;
      continue;
    }
    auto p = std::make_unique<Impl::Peer>();
    p->info = std::move(info);
    p->retry = std::make_unique<asio::steady_timer>(io);
    p->backoff = opts.backoff_initial;
    impl_->peers[p->info.id] = std::move(p);
  }
}

Transport::~Transport() {
  if (impl_) impl_->stop();
}

void Transport::on_message(std::function<void(NodeId, Bytes)> cb) { impl_->on_msg = std::move(cb); }
Result<uint16_t> Transport::listen() { return impl_->listen(); }

void Transport::set_peer_address(NodeId id, std::string host, uint16_t port) {
  if (Impl::Peer* p = impl_->find(id)) {
    p->info.host = std::move(host);
    p->info.port = port;
  }
}

Status Transport::start() { return impl_->start(); }
void Transport::stop() { impl_->stop(); }
bool Transport::send(NodeId to, Bytes msg) { return impl_->send(to, std::move(msg)); }
void Transport::broadcast(Bytes msg) { impl_->broadcast(std::move(msg)); }
Counters Transport::counters() const { return impl_->counters->snapshot(); }

size_t Transport::queue_depth(NodeId to) const {
  Impl::Peer* p = impl_->find(to);
  return p ? p->depth_gauge.load(std::memory_order_relaxed) : 0;
}

size_t Transport::queue_bytes(NodeId to) const {
  Impl::Peer* p = impl_->find(to);
  return p ? p->bytes_gauge.load(std::memory_order_relaxed) : 0;
}

bool Transport::connected(NodeId id) const {
  Impl::Peer* p = impl_->find(id);
  return p && p->up.load(std::memory_order_relaxed);
}

}  // namespace rampart::net
