#include "gossip/api_server.hpp"

#include <spdlog/spdlog.h>

#include <unordered_map>

namespace rampart::gossip {
namespace {

// One API connection: a read loop through ApiStreamDecoder and a double-buffered writer.
class ApiConn : public std::enable_shared_from_this<ApiConn> {
 public:
  ApiConn(asio::ip::tcp::socket s, ConnId id, std::weak_ptr<ApiServer::Impl> owner)
      : socket_(std::move(s)), id_(id), owner_(std::move(owner)) {
    asio::error_code ec;
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  }
  void start() { read_more(); }
  void send(ByteView m) {
    fill_.insert(fill_.end(), m.begin(), m.end());
    flush();
  }
  size_t pending() const { return fill_.size() + inflight_.size(); }
  void close(const std::string& why);
  bool closed() const { return closed_; }

 private:
  void read_more();
  void flush() {
    if (closed_ || writing_ || fill_.empty()) return;
    std::swap(fill_, inflight_);
    fill_.clear();
    writing_ = true;
    asio::async_write(socket_, asio::buffer(inflight_), [self = shared_from_this()](const asio::error_code& ec, size_t) {
      self->writing_ = false;
      if (self->closed_) return;
      if (ec) return self->close(ec.message());
      self->inflight_.clear();
      self->flush();
    });
  }

  asio::ip::tcp::socket socket_;
  ConnId id_;
  std::weak_ptr<ApiServer::Impl> owner_;
  ApiStreamDecoder decoder_;
  std::array<uint8_t, 64 * 1024> buf_{};
  Bytes fill_, inflight_;
  bool writing_ = false, closed_ = false;
};

}  // namespace

struct ApiServer::Impl : std::enable_shared_from_this<ApiServer::Impl> {
  Impl(asio::io_context& io_, Handlers h_, ApiServerOptions o) : io(io_), h(std::move(h_)), opt(o), acceptor(io_) {}
  asio::io_context& io;
  Handlers h;
  ApiServerOptions opt;
  asio::ip::tcp::acceptor acceptor;
  std::unordered_map<ConnId, std::shared_ptr<ApiConn>> conns;
  ConnId next_id = 1;
  bool stopped = false;

  void accept_loop() {
    acceptor.async_accept([w = weak_from_this()](const asio::error_code& ec, asio::ip::tcp::socket s) {
      auto me = w.lock();
      if (!me || me->stopped || ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (me->conns.size() >= me->opt.max_connections) {
          asio::error_code ignored;
          s.close(ignored);
        } else {
          ConnId id = me->next_id++;
          auto c = std::make_shared<ApiConn>(std::move(s), id, w);
          me->conns[id] = c;
          if (me->h.on_open) me->h.on_open(id);
          c->start();
        }
      }
      me->accept_loop();
    });
  }

  void closed(ConnId id) {
    conns.erase(id);
    asio::post(io, [w = weak_from_this(), id] {
      auto me = w.lock();
      if (me && !me->stopped && me->h.on_closed) me->h.on_closed(id);
    });
  }
};

void ApiConn::read_more() {
  if (closed_) return;
  socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](const asio::error_code& ec, size_t n) {
    if (self->closed_) return;
    if (ec) return self->close(ec == asio::error::eof ? "client closed" : ec.message());
    auto owner = self->owner_.lock();
    if (!owner || owner->stopped) return self->close("server stopped");
    Status st = self->decoder_.feed(ByteView(self->buf_.data(), n), [&](ByteView m) {
      if (owner->h.on_message) owner->h.on_message(self->id_, m);
      return !self->closed_;  // the engine may have closed us
    });
    if (self->closed_) return;
    if (!st) {
      if (owner->h.on_malformed) owner->h.on_malformed(self->id_, st.error().message);
      if (!self->closed_) self->close(st.error().message);
      return;
    }
    self->read_more();
  });
}

void ApiConn::close(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  spdlog::debug("event=gossip_api_close conn={} why=\"{}\"", id_, why);
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  if (auto owner = owner_.lock()) owner->closed(id_);
}

ApiServer::ApiServer(asio::io_context& io, Handlers h, ApiServerOptions opt)
    : impl_(std::make_shared<Impl>(io, std::move(h), opt)) {}
ApiServer::~ApiServer() { stop(); }

Result<uint16_t> ApiServer::listen(const Address& a) {
  auto& acc = impl_->acceptor;
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(impl_->io);
  auto results = resolver.resolve(a.host, std::to_string(a.port), ec);
  if (ec || results.empty()) return err("cannot resolve API address " + a.str() + ": " + ec.message());
  auto ep = results.begin()->endpoint();
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    asio::error_code ignored;
    acc.close(ignored);
    return err("cannot listen on API address " + a.str() + ": " + ec.message());
  }
  impl_->accept_loop();
  return acc.local_endpoint().port();
}

bool ApiServer::send(ConnId c, ByteView message) {
  auto it = impl_->conns.find(c);
  if (impl_->stopped || it == impl_->conns.end()) return false;
  auto conn = it->second;  // close() below erases the map entry
  if (conn->pending() + message.size() > impl_->opt.max_send_bytes) {
    conn->close("API client does not read: send buffer over " + std::to_string(impl_->opt.max_send_bytes) + " bytes");
    return false;
  }
  conn->send(message);
  return true;
}

void ApiServer::close(ConnId c, const std::string& why) {
  auto it = impl_->conns.find(c);
  if (it == impl_->conns.end()) return;
  auto conn = it->second;
  conn->close(why);
}

void ApiServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  asio::error_code ignored;
  impl_->acceptor.close(ignored);
  auto conns = std::move(impl_->conns);
  impl_->conns.clear();
  for (auto& [id, c] : conns) c->close("server stopped");
}

size_t ApiServer::connections() const { return impl_->conns.size(); }

}  // namespace rampart::gossip
