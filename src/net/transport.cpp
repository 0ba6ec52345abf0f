#include "net/transport.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "net/connection.hpp"
#include "net/limits.hpp"

namespace rampart::net {

namespace {

// Hellos and confirm messages are a few dozen bytes; an unauthenticated connection may not
// announce anything larger.
constexpr size_t kHandshakeMaxFrame = 256;

using Msg = std::shared_ptr<const Bytes>;

// One connection's handshake and channel state.
struct PeerConn {
  enum class State { hello, confirm, established };
  std::shared_ptr<Connection> conn;
  std::unique_ptr<crypto::Handshake> hs;
  std::optional<crypto::Channel> channel;
  State state = State::hello;
  bool outbound = false;
  bool counted_pending = false;  // inbound, counted in pending_inbound
  bool peer_known = false;
  NodeId peer = 0;
  std::string source;  // inbound: source_key of the remote address
  std::chrono::steady_clock::time_point accepted{};
};

struct Peer {
  PeerInfo info;
  std::deque<Msg> queue;
  size_t queue_bytes = 0;
  std::atomic<size_t> depth_gauge{0}, bytes_gauge{0};
  std::atomic<bool> up{false};
  std::shared_ptr<PeerConn> conn;      // authenticated connection, if any
  std::shared_ptr<PeerConn> outbound;  // our dial in its handshake
  std::shared_ptr<asio::ip::tcp::socket> dial_socket;  // our dial while connecting
  bool dialing = false;                // resolve/connect in progress
  std::unique_ptr<asio::steady_timer> retry;
  bool retry_pending = false;
  std::chrono::milliseconds backoff{0};
};

}  // namespace

struct Transport::Impl : std::enable_shared_from_this<Transport::Impl> {
  Impl(asio::io_context& io_, NodeId self_, const crypto::ChannelKeypair& keys_, Options opts_)
      : io(io_), self(self_), keys(keys_), opts(opts_), acceptor(io_), accept_retry(io_), resolver(io_),
        counters(std::make_shared<CounterSet>()) {}

  asio::io_context& io;
  NodeId self;
  crypto::ChannelKeypair keys;
  Options opts;
  PeerInfo self_info;
  std::map<NodeId, std::unique_ptr<Peer>> peers;  // everyone but self
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  asio::ip::tcp::resolver resolver;
  std::shared_ptr<CounterSet> counters;
  std::function<void(NodeId, Bytes)> on_msg;
  std::set<std::shared_ptr<PeerConn>> handshaking;
  size_t pending_inbound = 0;
  std::map<std::string, size_t> pending_by_source;
  std::set<std::string> peer_sources;  // source keys of the configured peers' addresses
  uint64_t accept_failures = 0;        // in a row
  bool listening = false;
  bool started = false;
  bool stopped = false;

  Peer* find(NodeId id) {
    auto it = peers.find(id);
    return it == peers.end() ? nullptr : it->second.get();
  }

  // ---- listening -----------------------------------------------------------------------

  Result<uint16_t> listen() {
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

  // Addresses the configured peers dial from (their configured hosts): exempt from the
  // per-source cap. A peer that dials from another address is still admitted, under the cap.
  void resolve_peer_sources() {
    peer_sources.clear();
    for (auto& [id, p] : peers) {
      asio::error_code ec;
      auto rs = resolver.resolve(p->info.host, "0", ec);
      if (ec) continue;
      for (const auto& r : rs) peer_sources.insert(source_key(r.endpoint().address()));
    }
  }

  void accept_loop() {
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

  void admit(asio::ip::tcp::socket s) {
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

  // Makes room for a new inbound connection: the oldest pending one that has not sent a valid
  // Hello goes first (a dialing peer sends its Hello at once), else the oldest.
  bool evict_pending() {
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

  void uncount_pending(PeerConn& pc) {
    if (!pc.counted_pending) return;
    pc.counted_pending = false;
    --pending_inbound;
    auto it = pending_by_source.find(pc.source);
    if (it != pending_by_source.end() && --it->second == 0) pending_by_source.erase(it);
  }

  void begin_inbound(asio::ip::tcp::socket s, std::string src) {
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

  // ---- dialing -------------------------------------------------------------------------

  void dial(Peer& p) {
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

  void dial_failed(Peer& p) {
    p.dialing = false;
    p.dial_socket.reset();
    schedule_reconnect(p);
  }

  void begin_outbound(Peer& p, asio::ip::tcp::socket s) {
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

  void schedule_reconnect(Peer& p) {
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

  // ---- handshake and frames ------------------------------------------------------------

  void begin_handshake(const std::shared_ptr<PeerConn>& pc) {
    handshaking.insert(pc);
    std::weak_ptr<PeerConn> wpc = pc;
    auto w = weak_from_this();
    Connection::Handlers h;
    h.on_frame = [w, wpc](ByteView f) {
      auto me = w.lock();
      auto pc = wpc.lock();
      if (me && pc && !me->stopped) me->on_frame(pc, f);
    };
    h.on_writable = [w, wpc]() {
      auto me = w.lock();
      auto pc = wpc.lock();
      if (!me || !pc || me->stopped || pc->state != PeerConn::State::established) return;
      Peer* p = me->find(pc->peer);
      if (p && p->conn == pc) me->pump(*p);
    };
    h.on_close = [w, wpc](const std::string&) {
      auto me = w.lock();
      auto pc = wpc.lock();
      if (me && pc && !me->stopped) me->on_closed(pc);
    };
    pc->conn->start(std::move(h));
    pc->conn->send_frame(pc->hs->hello());
    pc->conn->flush();
    pc->conn->set_deadline(opts.handshake_timeout);
  }

  void bad_frame(PeerConn& pc, const std::string& why) {
    CounterSet::add(counters->bad_frames);
    pc.conn->close(why);
  }

  bool seal_frame(PeerConn& pc, ByteView plaintext) { return pc.conn->send_sealed(*pc.channel, plaintext); }

  void on_frame(const std::shared_ptr<PeerConn>& pc, ByteView frame) {
    switch (pc->state) {
      case PeerConn::State::hello: {
        auto hello = crypto::decode_hello(frame);
        if (!hello) return bad_frame(*pc, hello.error().message);
        Peer* p = find(hello->node);
        if (pc->outbound) {
          if (hello->node != pc->peer) return pc->conn->close("dialed peer answered with another id");
        } else {
          // Only lower ids dial us; anything else is refused (one connection per pair).
          if (!p || hello->node >= self) return pc->conn->close("hello from a node that may not dial us");
          pc->peer = hello->node;
          pc->peer_known = true;
        }
        auto ch = pc->hs->finish(frame, p->info.static_pk);
        if (!ch) return bad_frame(*pc, ch.error().message);
        pc->channel.emplace(std::move(*ch));
        pc->hs.reset();
        pc->state = PeerConn::State::confirm;
        if (seal_frame(*pc, crypto::confirm_plaintext())) pc->conn->flush();
        return;
      }
      case PeerConn::State::confirm: {
        auto pt = pc->channel->open(frame);
        if (!pt) return bad_frame(*pc, pt.error().message);
        auto want = crypto::confirm_plaintext();
        if (!std::equal(pt->begin(), pt->end(), want.begin(), want.end())) {
          return bad_frame(*pc, "bad confirm message");
        }
        established(pc);
        return;
      }
      case PeerConn::State::established: {
        auto pt = pc->channel->open(frame);
        if (!pt) return bad_frame(*pc, pt.error().message);
        if (on_msg) on_msg(pc->peer, std::move(*pt));
        return;
      }
    }
  }

  void established(const std::shared_ptr<PeerConn>& pc) {
    pc->state = PeerConn::State::established;
    pc->conn->clear_deadline();
    pc->conn->decoder().set_max_frame(opts.max_frame);
    handshaking.erase(pc);
    uncount_pending(*pc);
    Peer& p = *find(pc->peer);
    if (p.conn && p.conn != pc) {
      auto old = p.conn;
      p.conn.reset();
      old->conn->close("replaced by a newer connection");
    }
    if (p.outbound == pc) p.outbound.reset();
    p.conn = pc;
    p.up = true;
    p.backoff = opts.backoff_initial;
    CounterSet::add(counters->handshakes);
    pump(p);
  }

  void on_closed(const std::shared_ptr<PeerConn>& pc) {
    handshaking.erase(pc);
    uncount_pending(*pc);
    if (pc->state != PeerConn::State::established) CounterSet::add(counters->handshake_failures);
    if (!pc->peer_known) return;
    Peer* p = find(pc->peer);
    if (!p) return;
    bool ours = false;
    if (p->conn == pc) {
      p->conn.reset();
      p->up = false;
      ours = true;
    }
    if (p->outbound == pc) {
      p->outbound.reset();
      ours = true;
    }
    // Only the dialing side reconnects; the other side waits for the next inbound connection.
    if (ours && pc->outbound) schedule_reconnect(*p);
  }

  // ---- sending -------------------------------------------------------------------------

  void update_gauges(Peer& p) {
    p.depth_gauge.store(p.queue.size(), std::memory_order_relaxed);
    p.bytes_gauge.store(p.queue_bytes, std::memory_order_relaxed);
  }

  void pump(Peer& p) {
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

  bool enqueue(Peer& p, Msg m) {
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

  bool send(NodeId to, Bytes msg) {
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

  void broadcast(Bytes msg) {
    if (stopped) return;
    auto m = std::make_shared<const Bytes>(std::move(msg));
    for (auto& [id, p] : peers) enqueue(*p, m);
  }

  Status start() {
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

  void stop() {
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
};

Transport::Transport(asio::io_context& io, NodeId self, std::vector<PeerInfo> peers,
                     const crypto::ChannelKeypair& keys, Options opts)
    : impl_(std::make_shared<Impl>(io, self, keys, opts)) {
  impl_->self_info.id = self;
  for (auto& info : peers) {
    if (info.id == self) {
      impl_->self_info = info;
      continue;
    }
    auto p = std::make_unique<Peer>();
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
  if (Peer* p = impl_->find(id)) {
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
  Peer* p = impl_->find(to);
  return p ? p->depth_gauge.load(std::memory_order_relaxed) : 0;
}

size_t Transport::queue_bytes(NodeId to) const {
  Peer* p = impl_->find(to);
  return p ? p->bytes_gauge.load(std::memory_order_relaxed) : 0;
}

bool Transport::connected(NodeId id) const {
  Peer* p = impl_->find(id);
  return p && p->up.load(std::memory_order_relaxed);
}

}  // namespace rampart::net
