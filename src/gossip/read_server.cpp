#include "gossip/read_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "net/frame.hpp"

namespace rampart::gossip {
namespace {

constexpr size_t kMaxRequestFrame = 1024;         // a read request is under 100 bytes
constexpr size_t kMaxUnsentBytes = 1u << 20;      // answers a client has not read yet

class ReadConn;

}  // namespace

struct ReadServer::Impl : std::enable_shared_from_this<ReadServer::Impl> {
  Impl(asio::io_context& io_, const ObservedState& s, ReadServerOptions o) : io(io_), state(s), opt(o), acceptor(io_) {}
  asio::io_context& io;
  const ObservedState& state;
  ReadServerOptions opt;
  asio::ip::tcp::acceptor acceptor;
  std::unordered_map<uint64_t, std::shared_ptr<ReadConn>> conns;
  uint64_t next_id = 1;
  size_t waiting = 0;
  ReadServerStats stats;
  void accept();
};

namespace {

// Ready to be answered: the state reached the height asked for (genesis has no proof, so at
// least block 1), or the state will never prove anything (an immediate "refused").
bool ready(const ObservedState& s, const client::ReadRequest& r) {
  return s.last() >= std::max<uint64_t>(r.min_k, 1) || !s.serves_reads();
}

// One client connection: framed requests in, answered strictly in order.
class ReadConn : public std::enable_shared_from_this<ReadConn> {
 public:
  ReadConn(asio::ip::tcp::socket s, uint64_t id, std::weak_ptr<ReadServer::Impl> owner)
      : socket_(std::move(s)), timer_(socket_.get_executor()), id_(id), owner_(std::move(owner)) {
    asio::error_code ec;
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  }
  void start() { read_more(); }

  // Answers queued requests from the front while they can be; the front one that cannot waits
  // (with a timer) for advanced() or its deadline (`expired`: answer it as it stands).
  void serve(bool expired = false) {
    auto owner = owner_.lock();
    if (!owner || closed_) return;
    while (!queue_.empty()) {
      const client::ReadRequest& r = queue_.front();
      if (!expired && !ready(owner->state, r)) {
        if (waiting_) return;
        if (owner->waiting < owner->opt.max_waiting) {
          waiting_ = true;
          ++owner->waiting;
          const uint64_t gen = ++timer_gen_;
          timer_.expires_after(owner->opt.max_wait);
          timer_.async_wait([self = shared_from_this(), gen](const asio::error_code& ec) {
            if (!ec && gen == self->timer_gen_) self->serve(true);
          });
          return;
        }
        // Too many reads waiting already: this one is told where the state is, at once.
      }
      stop_waiting(*owner);
      expired = false;
      client::ReadResponse resp = owner->state.answer(r);
      if (owner->opt.rewrite) owner->opt.rewrite(resp);
      switch (resp.status) {
        case client::ReadStatus::ok: ++owner->stats.answered; break;
        case client::ReadStatus::behind: ++owner->stats.behind; break;
        case client::ReadStatus::refused: ++owner->stats.refused; break;
      }
      queue_.pop_front();
      send(net::encode_frame(client::encode_read_response(resp)));
      if (closed_) return;
    }
  }

  void close(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    asio::error_code ec;
    socket_.close(ec);
    timer_.cancel();
    if (auto owner = owner_.lock()) {
      stop_waiting(*owner);
      spdlog::debug("event=read_conn_closed id={} why=\"{}\"", id_, why);
      owner->conns.erase(id_);  // the handler that called us holds a reference
    }
  }

 private:
  void stop_waiting(ReadServer::Impl& owner) {
    if (!waiting_) return;
    waiting_ = false;
    --owner.waiting;
    ++timer_gen_;
    timer_.cancel();
  }

  void bad(const std::string& why) {
    if (auto owner = owner_.lock()) ++owner->stats.malformed;
    close(why);
  }

  void read_more() {
    socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](const asio::error_code& ec, size_t n) {
      if (self->closed_) return;
      if (ec) return self->close(ec.message());
      auto owner = self->owner_.lock();
      if (!owner) return;
      const auto st = self->decoder_.feed(ByteView(self->buf_.data(), n), [&](ByteView frame) {
        if (self->closed_) return;
        auto r = client::decode_read_request(frame);
        if (!r) return self->bad(r.error().message);
        if (self->queue_.size() >= owner->opt.max_queued) return self->bad("too many requests queued");
        self->queue_.push_back(std::move(*r));
      });
      if (self->closed_) return;
      if (!st) return self->bad("bad frame: " + st.error().message);
      self->serve();
      if (!self->closed_) self->read_more();
    });
  }

  void send(Bytes frame) {
    if (fill_.size() + inflight_.size() + frame.size() > kMaxUnsentBytes) return bad("answers not read");
    fill_.insert(fill_.end(), frame.begin(), frame.end());
    flush();
  }
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
  asio::steady_timer timer_;
  uint64_t id_;
  std::weak_ptr<ReadServer::Impl> owner_;
  net::FrameDecoder decoder_{kMaxRequestFrame};
  std::array<uint8_t, 4096> buf_{};
  std::deque<client::ReadRequest> queue_;
  bool waiting_ = false, writing_ = false, closed_ = false;
  uint64_t timer_gen_ = 0;
  Bytes fill_, inflight_;
};

}  // namespace

void ReadServer::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](const asio::error_code& ec, asio::ip::tcp::socket s) {
    if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
    if (!ec) {
      if (self->conns.size() >= self->opt.max_connections) {
        asio::error_code ignored;
        s.close(ignored);
      } else {
        const uint64_t id = self->next_id++;
        auto c = std::make_shared<ReadConn>(std::move(s), id, self);
        self->conns.emplace(id, c);
        c->start();
      }
    }
    self->accept();
  });
}

ReadServer::ReadServer(asio::io_context& io, const ObservedState& state, ReadServerOptions opt)
    : impl_(std::make_shared<Impl>(io, state, opt)) {}

ReadServer::~ReadServer() { stop(); }

Result<uint16_t> ReadServer::listen(const Address& a) {
  asio::error_code ec;
  auto addr = asio::ip::make_address(a.host, ec);
  if (ec) return err("read server: bad address '" + a.host + "'");
  asio::ip::tcp::endpoint ep(addr, a.port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return err("read server: cannot listen on " + a.str() + ": " + ec.message());
  impl_->accept();
  return impl_->acceptor.local_endpoint().port();
}

void ReadServer::advanced() {
  // serve() may close a connection (and erase it): walk a copy.
  std::vector<std::shared_ptr<ReadConn>> conns;
  conns.reserve(impl_->conns.size());
  for (auto& [id, c] : impl_->conns) conns.push_back(c);
  for (auto& c : conns) c->serve();
}

void ReadServer::stop() {
  asio::error_code ec;
  impl_->acceptor.close(ec);
  auto conns = std::move(impl_->conns);
  impl_->conns.clear();
  for (auto& [id, c] : conns) c->close("server stopped");
}

const ReadServerStats& ReadServer::stats() const { return impl_->stats; }
size_t ReadServer::connections() const { return impl_->conns.size(); }
size_t ReadServer::waiting() const { return impl_->waiting; }

}  // namespace rampart::gossip
