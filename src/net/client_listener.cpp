#include "net/client_listener.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "net/connection.hpp"

namespace rampart::net {

struct ClientListener::Impl : std::enable_shared_from_this<ClientListener::Impl> {
  static constexpr size_t kRecordTarget = 64 * 1024;  // seal a record once this much is queued

  Impl(asio::io_context& io_, ClientOptions o, std::shared_ptr<CounterSet> c)
      : io(io_),
        opts(o),
        acceptor(io_),
        accept_retry(io_),
        counters(c ? std::move(c) : std::make_shared<CounterSet>()),
        budget(std::make_shared<BufferBudget>(o.buffer_budget_bytes, counters)),
        cap(o.max_connections) {}

  // A connection's client channel: the handshake, then the channel and the key that opened it.
  struct Secure {
    explicit Secure(const ClientChannelKeys& k) { hs.emplace(k.replica, k.statics); }
    enum class State { hello, auth, established } state = State::hello;
    std::optional<crypto::ClientChannelResponder> hs;  // until the channel is up (then wiped)
    std::optional<crypto::Channel> channel;
    crypto::ClientKey principal{};
    Bytes pending;              // frames to seal as the next record
    bool seal_posted = false;  // a seal of `pending` is queued on the io thread
  };

  struct Entry {
    std::shared_ptr<Connection> conn;
    std::string source;
    std::unique_ptr<Secure> secure;
  };

  asio::io_context& io;
  ClientOptions opts;
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::shared_ptr<CounterSet> counters;
  std::shared_ptr<BufferBudget> budget;
  size_t cap;
  std::unordered_map<ConnId, Entry> conns;
  std::unordered_map<std::string, std::unordered_set<ConnId>> by_source;
  std::atomic<size_t> conn_gauge{0};
  std::function<void(ConnId, Bytes)> on_frame;
  std::function<bool(ConnId, ByteView)> on_frame_view;
  std::function<void(ConnId)> on_close;
  ConnId next_id = 1;
  uint64_t accept_failures = 0;  // in a row
  bool stopped = false;

  Result<uint16_t> listen(const std::string& host, uint16_t port) {
    if (acceptor.is_open()) return err("client listener already listening");
    asio::error_code ec;
    asio::ip::tcp::resolver resolver(io);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) return err("cannot resolve " + host + ": " + ec.message());
    auto ep = results.begin()->endpoint();
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      asio::error_code ignored;
      acceptor.close(ignored);
      return err("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
    }
    const uint64_t fds = raise_fd_limit();
    if (fds && fds < opts.max_connections + opts.reserved_descriptors) {
      cap = fds > 2 * opts.reserved_descriptors ? fds - opts.reserved_descriptors : fds / 2;
      spdlog::warn("event=connection_cap_lowered listener={} max_connections={} descriptor_limit={}", opts.name, cap, fds);
    }
    accept_loop();
    return acceptor.local_endpoint().port();
  }

  void accept_loop() {
    acceptor.async_accept([w = weak_from_this()](const asio::error_code& ec, asio::ip::tcp::socket s) {
      auto me = w.lock();
      if (!me || me->stopped || ec == asio::error::operation_aborted) return;
      if (ec) return me->accept_failed(ec);
      if (me->accept_failures) {
        spdlog::info("event=accept_recovered listener={} failures={}", me->opts.name, me->accept_failures);
        me->accept_failures = 0;
      }
      me->admit(std::move(s));
      me->accept_loop();
    });
  }

  // Out of descriptors or similar: retrying at once would spin on the same error (the pending
  // connection stays in the backlog), so wait, and say so once per episode.
  void accept_failed(const asio::error_code& ec) {
    CounterSet::add(counters->accept_errors);
    if (accept_failures++ == 0)
      spdlog::warn("event=accept_failed listener={} error=\"{}\" connections={} (retrying every {} ms)", opts.name,
                   ec.message(), conns.size(), opts.accept_backoff.count());
    accept_retry.expires_after(opts.accept_backoff);
    accept_retry.async_wait([w = weak_from_this()](const asio::error_code& e) {
      auto me = w.lock();
      if (!e && me && !me->stopped) me->accept_loop();
    });
  }

  // The longest-idle connection among `ids`.
  ConnId longest_idle(const std::unordered_set<ConnId>& ids) const {
    ConnId best = 0;
    auto at = std::chrono::steady_clock::time_point::max();
    for (ConnId id : ids) {
      auto t = conns.at(id).conn->last_frame_at();
      if (t < at) at = t, best = id;
    }
    return best;
  }

  void admit(asio::ip::tcp::socket s) {
    asio::error_code ec;
    auto ep = s.remote_endpoint(ec);
    if (ec) return;  // already gone
    std::string src = source_key(ep.address());
    auto mine = by_source.find(src);
    const size_t have = mine == by_source.end() ? 0 : mine->second.size();
    if (have >= opts.max_per_source) {
      evict(longest_idle(mine->second));
    } else if (conns.size() >= cap) {
      // The source holding the most connections gives one up (its longest-idle one).
      size_t largest = 0;
      for (const auto& [key, ids] : by_source) largest = std::max(largest, ids.size());
      std::unordered_set<ConnId> candidates;
      for (const auto& [key, ids] : by_source)
        if (ids.size() == largest) candidates.insert(ids.begin(), ids.end());
      if (candidates.empty()) {  // cap 0: nothing to make room with
        CounterSet::add(counters->connections_rejected);
        return;
      }
      evict(longest_idle(candidates));
    }
    add(std::move(s), std::move(src));
  }

  void evict(ConnId id) {
    CounterSet::add(counters->evicted);
    drop(id, "evicted to make room for a new connection");
  }

  // Forgets the connection now (so the tables count only live ones) and closes it; the owner's
  // on_close still follows, from the connection's close handler.
  void drop(ConnId id, const std::string& why) {
    auto it = conns.find(id);
    if (it == conns.end()) return;
    auto conn = std::move(it->second.conn);
    forget(id, it->second.source);
    conns.erase(it);
    conn_gauge = conns.size();
    conn->close(why);
  }

  void forget(ConnId id, const std::string& source) {
    auto s = by_source.find(source);
    if (s == by_source.end()) return;
    s->second.erase(id);
    if (s->second.empty()) by_source.erase(s);
  }

  void add(asio::ip::tcp::socket s, std::string src) {
    ConnId id = next_id++;
    Connection::Options co;
    co.read_buffer_bytes = opts.read_buffer_bytes;
    co.limits = opts.limits;
    co.budget = budget;
    // Until the channel is up a connection may only send hellos: no large partial frames.
    const size_t first_max = opts.channel ? crypto::kClientHandshakeMaxFrame : opts.max_frame;
    auto c = std::make_shared<Connection>(std::move(s), first_max, counters, std::move(co));
    by_source[src].insert(id);
    conns[id] = Entry{c, std::move(src), opts.channel ? std::make_unique<Secure>(*opts.channel) : nullptr};
    if (opts.channel) c->set_deadline(opts.handshake_timeout);
    conn_gauge = conns.size();
    auto w = weak_from_this();
    Connection::Handlers h;
    h.on_frame = [w, id](ByteView f) {
      auto me = w.lock();
      if (!me || me->stopped) return;
      if (auto it = me->conns.find(id); it != me->conns.end() && it->second.secure)
        return me->secure_frame(id, it->second, f);
      me->deliver(id, f);
    };
    h.on_close = [w, id](const std::string&) {
      auto me = w.lock();
      if (!me || me->stopped) return;
      if (auto it = me->conns.find(id); it != me->conns.end()) {
        if (it->second.secure && it->second.secure->state != Secure::State::established)
          CounterSet::add(me->counters->handshake_failures);
        me->forget(id, it->second.source);
        me->conns.erase(it);
        me->conn_gauge = me->conns.size();
      }
      if (me->on_close) me->on_close(id);
    };
    c->start(std::move(h));
  }

  void deliver(ConnId id, ByteView f) {
    if (on_frame_view) {
      if (!on_frame_view(id, f)) {
        CounterSet::add(counters->bad_frames);
        drop(id, "bad client frame");
      }
    } else if (on_frame) {
      on_frame(id, Bytes(f.begin(), f.end()));
    }
  }

  // A frame on a connection with a client channel: the client's hello, then its key proof, then
  // sealed frames. Anything out of place closes the connection (counted as a bad frame).
  void secure_frame(ConnId id, Entry& e, ByteView f) {
    Secure& sec = *e.secure;
    Connection& c = *e.conn;
    switch (sec.state) {
      case Secure::State::hello: {
        auto hello = sec.hs->accept(f);
        if (!hello) return bad_handshake(id, hello.error().message);
        c.send_frame(*hello);
        c.flush();
        sec.state = Secure::State::auth;
        return;
      }
      case Secure::State::auth: {
        auto key = sec.hs->authenticate(f);
        if (!key) return bad_handshake(id, key.error().message);
        sec.principal = *key;
        sec.channel.emplace(std::move(sec.hs->channel()));
        sec.hs.reset();  // its copy of the replica's static secret goes with it
        sec.state = Secure::State::established;
        c.clear_deadline();
        c.decoder().set_max_frame(record_limit() + crypto::Channel::kTagBytes);
        CounterSet::add(counters->handshakes);
        return;
      }
      case Secure::State::established: {
        auto pt = sec.channel->open(f);
        if (!pt) {
          CounterSet::add(counters->bad_frames);
          return drop(id, pt.error().message);
        }
        // A record: whole frames end to end. A handler may close the connection mid-record.
        auto st = for_each_frame(*pt, opts.max_frame, [&](ByteView frame) {
          deliver(id, frame);
          return conns.count(id) > 0;
        });
        if (!st) {
          CounterSet::add(counters->bad_frames);
          drop(id, st.error().message);
        }
        return;
      }
    }
  }

  // Counted both ways: a bad hello is a bad frame too (the hostile-input tests count those).
  void bad_handshake(ConnId id, const std::string& why) {
    CounterSet::add(counters->bad_frames);
    CounterSet::add(counters->handshake_failures);
    drop(id, "client handshake: " + why);
  }

  bool send(ConnId id, ByteView payload) {
    auto it = conns.find(id);
    if (stopped || it == conns.end() || it->second.conn->closed()) return false;
    Connection& c = *it->second.conn;
    Secure* sec = it->second.secure.get();
    if (sec && sec->state != Secure::State::established) return false;  // nothing to answer yet
    const size_t queued = c.pending_bytes() + (sec ? sec->pending.size() : 0);
    if (payload.size() > opts.max_frame || queued + payload.size() + kFrameHeaderBytes > opts.max_send_buffer_bytes) {
      CounterSet::add(counters->dropped_frames);
      if (opts.close_when_send_buffer_full) drop(id, "client not reading its replies");
      return false;
    }
    if (sec) return queue_sealed(id, c, *sec, payload);
    c.send_frame(payload);
    c.flush();
    return true;
  }

  // The largest record's plaintext: one largest frame with its header.
  size_t record_limit() const { return opts.max_frame + kFrameHeaderBytes; }

  // Frames sent on one turn of the io thread (the replies of one block) are sealed together as
  // one record: a seal costs ~0.7 us before its first byte, as much as 300 bytes of sealing.
  bool queue_sealed(ConnId id, Connection& c, Secure& sec, ByteView payload) {
    if (sec.pending.size() + kFrameHeaderBytes + payload.size() > std::min(record_limit(), kRecordTarget) &&
        !seal_pending(c, sec))
      return false;
    append_frame(sec.pending, payload);
    if (!sec.seal_posted) {
      sec.seal_posted = true;
      asio::post(io, [w = weak_from_this(), id] {
        auto me = w.lock();
        if (!me || me->stopped) return;
        auto it = me->conns.find(id);
        if (it == me->conns.end() || !it->second.secure) return;
        it->second.secure->seal_posted = false;
        if (me->seal_pending(*it->second.conn, *it->second.secure)) it->second.conn->flush();
      });
    }
    return true;
  }

  bool seal_pending(Connection& c, Secure& sec) {
    if (sec.pending.empty()) return true;
    const bool ok = c.send_sealed(*sec.channel, sec.pending);
    sec.pending.clear();
    return ok;
  }

  const crypto::ClientKey* principal(ConnId id) const {
    auto it = conns.find(id);
    if (it == conns.end() || !it->second.secure || it->second.secure->state != Secure::State::established) return nullptr;
    return &it->second.secure->principal;
  }

  void close(ConnId id) { drop(id, "closed by server"); }

  void stop() {
    if (stopped) return;
    stopped = true;
    asio::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
    auto all = std::move(conns);
    conns.clear();
    by_source.clear();
    for (auto& [id, e] : all) e.conn->close("listener stopped");
    conn_gauge = 0;
  }
};

ClientListener::ClientListener(asio::io_context& io, ClientOptions opts, std::shared_ptr<CounterSet> counters)
    : impl_(std::make_shared<Impl>(io, std::move(opts), std::move(counters))) {}
ClientListener::~ClientListener() {
  if (impl_) impl_->stop();
}
void ClientListener::on_frame(std::function<void(ConnId, Bytes)> cb) { impl_->on_frame = std::move(cb); }
void ClientListener::on_frame_view(std::function<bool(ConnId, ByteView)> cb) { impl_->on_frame_view = std::move(cb); }
void ClientListener::on_close(std::function<void(ConnId)> cb) { impl_->on_close = std::move(cb); }
Result<uint16_t> ClientListener::listen(const std::string& host, uint16_t port) { return impl_->listen(host, port); }
bool ClientListener::send(ConnId c, ByteView payload) { return impl_->send(c, payload); }
void ClientListener::close(ConnId c) { impl_->close(c); }
void ClientListener::stop() { impl_->stop(); }
Counters ClientListener::counters() const { return impl_->counters->snapshot(); }
size_t ClientListener::connections() const { return impl_->conn_gauge.load(std::memory_order_relaxed); }
size_t ClientListener::max_connections() const { return impl_->cap; }
const crypto::ClientKey* ClientListener::principal(ConnId c) const { return impl_->principal(c); }

}  // namespace rampart::net
