// Transport: the bounded per-peer queues and the pump that moves them into the connection's
// write buffer while it has room (back-pressure, transport.hpp).
#include "net/transport_impl.hpp"

#include <utility>

namespace rampart::net {

void Transport::Impl::update_gauges(Peer& p) {
  p.depth_gauge.store(p.queue.size(), std::memory_order_relaxed);
  p.bytes_gauge.store(p.queue_bytes, std::memory_order_relaxed);
}

void Transport::Impl::pump(Peer& p) {
  if (stopped || !p.conn || p.conn->state != PeerConn::State::established) return;
  auto pc = p.conn;
  Connection& c = *pc->conn;
  while (!p.queue.empty() && c.fill_bytes() < opts.write_batch_bytes && !c.closed()) {
    Msg m = std::move(p.queue.front());
    p.queue.pop_front();
    p.queue_bytes -= m->size();
    seal_frame(*pc, *m);
  }
  update_gauges(p);
  c.flush();
}

bool Transport::Impl::enqueue(Peer& p, Msg m) {
  if (m->size() + crypto::Channel::kTagBytes > opts.max_frame) {
    CounterSet::add(counters->dropped_frames);
    return false;
  }
  p.queue_bytes += m->size();
  p.queue.push_back(std::move(m));
  while (p.queue.size() > opts.max_queue_messages || p.queue_bytes > opts.max_queue_bytes) {
    p.queue_bytes -= p.queue.front()->size();
    p.queue.pop_front();
    CounterSet::add(counters->dropped_frames);
  }
  update_gauges(p);
  pump(p);
  return true;
}

bool Transport::Impl::send(NodeId to, Bytes msg) {
  if (stopped) return false;
  if (to == self) {
    asio::post(io, [w = weak_from_this(), to, msg = std::move(msg)]() mutable {
      auto me = w.lock();
      if (me && !me->stopped && me->on_msg) me->on_msg(to, std::move(msg));
    });
    return true;
  }
  Peer* p = find(to);
  if (!p) return false;
  return enqueue(*p, std::make_shared<const Bytes>(std::move(msg)));
}

void Transport::Impl::broadcast(Bytes msg) {
  if (stopped) return;
  auto m = std::make_shared<const Bytes>(std::move(msg));
  for (auto& [id, p] : peers) enqueue(*p, m);
}

}  // namespace rampart::net
