// Transport: the listening socket and admission of inbound connections, with the bounds that
// keep connections which never authenticate from keeping a configured peer out.
#include "net/transport_impl.hpp"

#include <spdlog/spdlog.h>

#include "net/limits.hpp"

namespace rampart::net {

Result<uint16_t> Transport::Impl::listen() {
  if (listening) return acceptor.local_endpoint().port();
  asio::error_code ec;
  auto results = resolver.resolve(self_info.host, std::to_string(self_info.port), ec);
  if (ec || results.empty()) return err("cannot resolve listen address " + self_info.host + ": " + ec.message());
  asio::ip::tcp::endpoint ep = results.begin()->endpoint();
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    asio::error_code ignored;
    acceptor.close(ignored);
    return err("cannot listen on " + self_info.host + ":" + std::to_string(self_info.port) + ": " + ec.message());
  }
  listening = true;
  resolve_peer_sources();
  accept_loop();
  return acceptor.local_endpoint().port();
}

void Transport::Impl::resolve_peer_sources() {
  peer_sources.clear();
  for (auto& [id, p] : peers) {
    asio::error_code ec;
    auto rs = resolver.resolve(p->info.host, "0", ec);
    if (ec) continue;
    for (const auto& r : rs) peer_sources.insert(source_key(r.endpoint().address()));
  }
}

void Transport::Impl::accept_loop() {
  acceptor.async_accept([w = weak_from_this()](const asio::error_code& ec, asio::ip::tcp::socket s) {
    auto me = w.lock();
    if (!me || me->stopped) return;
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or similar: retry later instead of spinning on the error.
      CounterSet::add(me->counters->accept_errors);
      if (me->accept_failures++ == 0)
        spdlog::warn("event=accept_failed listener=peer error=\"{}\" (retrying every {} ms)", ec.message(),
                     me->opts.accept_backoff.count());
      me->accept_retry.expires_after(me->opts.accept_backoff);
      me->accept_retry.async_wait([w](const asio::error_code& e) {
        auto me = w.lock();
        if (!e && me && !me->stopped) me->accept_loop();
      });
      return;
    }
    if (me->accept_failures) {
      spdlog::info("event=accept_recovered listener=peer failures={}", me->accept_failures);
      me->accept_failures = 0;
    }
    me->admit(std::move(s));
    me->accept_loop();
  });
}

void Transport::Impl::admit(asio::ip::tcp::socket s) {
  asio::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return;
  std::string src = source_key(ep.address());
  if (!peer_sources.count(src) && pending_by_source[src] >= opts.max_pending_per_source) {
    CounterSet::add(counters->connections_rejected);
    s.close(ec);
    return;
  }
  if (pending_inbound >= opts.max_pending_handshakes && !evict_pending()) {
    CounterSet::add(counters->connections_rejected);
    s.close(ec);
    return;
  }
  begin_inbound(std::move(s), std::move(src));
}

bool Transport::Impl::evict_pending() {
  std::shared_ptr<PeerConn> victim;
  for (const auto& pc : handshaking) {
    if (!pc->counted_pending) continue;
    const bool silent = pc->state == PeerConn::State::hello;
    const bool victim_silent = victim && victim->state == PeerConn::State::hello;
    if (!victim || (silent && !victim_silent) || (silent == victim_silent && pc->accepted < victim->accepted))
      victim = pc;
  }
  if (!victim) return false;
  CounterSet::add(counters->evicted);
  uncount_pending(*victim);
  handshaking.erase(victim);
  victim->conn->close("evicted: too many unauthenticated connections");
  return true;
}

void Transport::Impl::uncount_pending(PeerConn& pc) {
  if (!pc.counted_pending) return;
  pc.counted_pending = false;
  --pending_inbound;
  auto it = pending_by_source.find(pc.source);
  if (it != pending_by_source.end() && --it->second == 0) pending_by_source.erase(it);
}

void Transport::Impl::begin_inbound(asio::ip::tcp::socket s, std::string src) {
  auto pc = std::make_shared<PeerConn>();
  pc->outbound = false;
  pc->hs = std::make_unique<crypto::Handshake>(crypto::HandshakeRole::responder, self, keys);
  pc->conn = std::make_shared<Connection>(std::move(s), kHandshakeMaxFrame, counters);
  pc->counted_pending = true;
  pc->source = std::move(src);
  pc->accepted = std::chrono::steady_clock::now();
  ++pending_inbound;
  ++pending_by_source[pc->source];
  begin_handshake(pc);
}

}  // namespace rampart::net
