#include "net/client_listener.hpp"

#include <atomic>
#include <unordered_map>
#include <utility>

#include "net/connection.hpp"

namespace rampart::net {

struct ClientListener::Impl : std::enable_shared_from_this<ClientListener::Impl> {
  Impl(asio::io_context& io_, ClientOptions o)
      : io(io_), opts(o), acceptor(io_), accept_retry(io_), counters(std::make_shared<CounterSet>()) {}

  asio::io_context& io;
  ClientOptions opts;
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::shared_ptr<CounterSet> counters;
  std::unordered_map<ConnId, std::shared_ptr<Connection>> conns;
  std::atomic<size_t> conn_gauge{0};
  std::function<void(ConnId, Bytes)> on_frame;
  std::function<void(ConnId)> on_close;
  ConnId next_id = 1;
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
    accept_loop();
    return acceptor.local_endpoint().port();
  }

  void accept_loop() {
    acceptor.async_accept([w = weak_from_this()](const asio::error_code& ec, asio::ip::tcp::socket s) {
      auto me = w.lock();
      if (!me || me->stopped || ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (me->conns.size() >= me->opts.max_connections) {
          CounterSet::add(me->counters->connections_rejected);
          asio::error_code ignored;
          s.close(ignored);
        } else {
          me->add(std::move(s));
        }
      }
      if (ec) {
        // Out of descriptors or similar: retry later instead of spinning on the error.
        me->accept_retry.expires_after(std::chrono::milliseconds(100));
        me->accept_retry.async_wait([w](const asio::error_code& e) {
          auto me = w.lock();
          if (!e && me && !me->stopped) me->accept_loop();
        });
        return;
      }
      me->accept_loop();
    });
  }

  void add(asio::ip::tcp::socket s) {
    ConnId id = next_id++;
    auto c = std::make_shared<Connection>(std::move(s), opts.max_frame, counters);
    conns[id] = c;
    conn_gauge = conns.size();
    auto w = weak_from_this();
    Connection::Handlers h;
    h.on_frame = [w, id](ByteView f) {
      auto me = w.lock();
      if (me && !me->stopped && me->on_frame) me->on_frame(id, Bytes(f.begin(), f.end()));
    };
    h.on_close = [w, id](const std::string&) {
      auto me = w.lock();
      if (!me || me->stopped) return;
      me->conns.erase(id);
      me->conn_gauge = me->conns.size();
      if (me->on_close) me->on_close(id);
    };
    c->start(std::move(h));
  }

  bool send(ConnId id, ByteView payload) {
    auto it = conns.find(id);
    if (stopped || it == conns.end() || it->second->closed()) return false;
    Connection& c = *it->second;
    if (payload.size() > opts.max_frame ||
        c.pending_bytes() + payload.size() + kFrameHeaderBytes > opts.max_send_buffer_bytes) {
      CounterSet::add(counters->dropped_frames);
      return false;
    }
    c.send_frame(payload);
    c.flush();
    return true;
  }

  void close(ConnId id) {
    auto it = conns.find(id);
    if (it != conns.end()) it->second->close("closed by server");
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    asio::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
    for (auto& [id, c] : conns) c->close("listener stopped");
    conns.clear();
    conn_gauge = 0;
  }
};

ClientListener::ClientListener(asio::io_context& io, ClientOptions opts)
    : impl_(std::make_shared<Impl>(io, opts)) {}
ClientListener::~ClientListener() {
  if (impl_) impl_->stop();
}
void ClientListener::on_frame(std::function<void(ConnId, Bytes)> cb) { impl_->on_frame = std::move(cb); }
void ClientListener::on_close(std::function<void(ConnId)> cb) { impl_->on_close = std::move(cb); }
Result<uint16_t> ClientListener::listen(const std::string& host, uint16_t port) { return impl_->listen(host, port); }
bool ClientListener::send(ConnId c, ByteView payload) { return impl_->send(c, payload); }
void ClientListener::close(ConnId c) { impl_->close(c); }
void ClientListener::stop() { impl_->stop(); }
Counters ClientListener::counters() const { return impl_->counters->snapshot(); }
size_t ClientListener::connections() const { return impl_->conn_gauge.load(std::memory_order_relaxed); }

}  // namespace rampart::net
