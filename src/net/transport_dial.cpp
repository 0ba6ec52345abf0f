// Transport: dialing the higher-id peers and reconnecting with exponential back-off.
#include "net/transport_impl.hpp"

#include <algorithm>

namespace rampart::net {

void Transport::Impl::dial(Peer& p) {
  if (stopped || p.dialing || p.outbound || p.conn) return;
  p.dialing = true;
  auto sock = std::make_shared<asio::ip::tcp::socket>(io);
  p.dial_socket = sock;
  NodeId id = p.info.id;
  resolver.async_resolve(
      p.info.host, std::to_string(p.info.port),
      [w = weak_from_this(), id, sock](const asio::error_code& ec,
                                       asio::ip::tcp::resolver::results_type results) {
        auto me = w.lock();
        if (!me || me->stopped) return;
        Peer* p = me->find(id);
        if (!p) return;
        if (ec) {
          me->dial_failed(*p);
          return;
        }
        asio::async_connect(*sock, results,
                            [w, id, sock](const asio::error_code& ec, const asio::ip::tcp::endpoint&) {
                              auto me = w.lock();
                              if (!me || me->stopped) return;
                              Peer* p = me->find(id);
                              if (!p) return;
                              if (ec) {
                                me->dial_failed(*p);
                                return;
                              }
                              me->begin_outbound(*p, std::move(*sock));
                            });
      });
}

void Transport::Impl::dial_failed(Peer& p) {
  p.dialing = false;
  p.dial_socket.reset();
  schedule_reconnect(p);
}

void Transport::Impl::begin_outbound(Peer& p, asio::ip::tcp::socket s) {
  p.dialing = false;
  p.dial_socket.reset();
  auto pc = std::make_shared<PeerConn>();
  pc->outbound = true;
  pc->peer_known = true;
  pc->peer = p.info.id;
  pc->hs = std::make_unique<crypto::Handshake>(crypto::HandshakeRole::initiator, self, keys);
  pc->conn = std::make_shared<Connection>(std::move(s), kHandshakeMaxFrame, counters);
  p.outbound = pc;
  begin_handshake(pc);
}

void Transport::Impl::schedule_reconnect(Peer& p) {
  if (stopped || p.retry_pending) return;
  p.retry_pending = true;
  CounterSet::add(counters->reconnects);
  p.retry->expires_after(p.backoff);
  p.backoff = std::min(p.backoff * 2, opts.backoff_max);
  p.retry->async_wait([w = weak_from_this(), id = p.info.id](const asio::error_code& ec) {
    if (ec) return;
    auto me = w.lock();
    if (!me || me->stopped) return;
    if (Peer* p = me->find(id)) {
      p->retry_pending = false;
      me->dial(*p);
    }
  });
}

}  // namespace rampart::net
