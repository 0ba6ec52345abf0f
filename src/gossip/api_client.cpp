#include "gossip/api_client.hpp"

namespace rampart::gossip {

struct ApiClient::Impl : std::enable_shared_from_this<ApiClient::Impl> {
  explicit Impl(asio::io_context& io_) : io(io_), socket(io_) {}
  asio::io_context& io;
  asio::ip::tcp::socket socket;
  ApiStreamDecoder decoder;
  std::array<uint8_t, 64 * 1024> buf{};
  Bytes fill, inflight;
  bool writing = false, open = false;
  std::function<void(const Notification&)> on_notification;
  std::function<void(const std::string&)> on_close;

  void read_more() {
    socket.async_read_some(asio::buffer(buf), [w = weak_from_this()](const asio::error_code& ec, size_t n) {
      auto me = w.lock();
      if (!me || !me->open) return;
      if (ec) return me->shut(ec == asio::error::eof ? "module closed the connection" : ec.message());
      Status st = me->decoder.feed(ByteView(me->buf.data(), n), [&](ByteView m) {
        auto msg = decode_api(m);
        if (!msg || !std::holds_alternative<Notification>(*msg)) {
          me->shut(msg ? "module sent something other than NOTIFICATION" : msg.error().message);
          return false;
        }
        if (me->on_notification) me->on_notification(std::get<Notification>(*msg));
        return me->open;
      });
      if (!me->open) return;
      if (!st) return me->shut(st.error().message);
      me->read_more();
    });
  }

  void send(ByteView b) {
    if (!open) return;
    fill.insert(fill.end(), b.begin(), b.end());
    flush();
  }
  void flush() {
    if (!open || writing || fill.empty()) return;
    std::swap(fill, inflight);
    fill.clear();
    writing = true;
    asio::async_write(socket, asio::buffer(inflight), [w = weak_from_this()](const asio::error_code& ec, size_t) {
      auto me = w.lock();
      if (!me) return;
      me->writing = false;
      if (!me->open) return;
      if (ec) return me->shut(ec.message());
      me->inflight.clear();
      me->flush();
    });
  }
  void shut(const std::string& why) {
    if (!open) return;
    open = false;
    asio::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    if (on_close) asio::post(io, [cb = on_close, why] { cb(why); });
  }
};

ApiClient::ApiClient(asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}
ApiClient::~ApiClient() {
  impl_->on_close = nullptr;
  impl_->shut("client destroyed");
}

Status ApiClient::connect(const Address& a) {
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(impl_->io);
  auto results = resolver.resolve(a.host, std::to_string(a.port), ec);
  if (ec || results.empty()) return err("cannot resolve " + a.str() + ": " + ec.message());
  asio::connect(impl_->socket, results, ec);
  if (ec) return err("cannot connect to gossip API at " + a.str() + ": " + ec.message());
  impl_->socket.set_option(asio::ip::tcp::no_delay(true), ec);
  impl_->open = true;
  impl_->read_more();
  return {};
}

void ApiClient::on_notification(std::function<void(const Notification&)> cb) { impl_->on_notification = std::move(cb); }
void ApiClient::on_close(std::function<void(const std::string&)> cb) { impl_->on_close = std::move(cb); }

void ApiClient::notify(uint16_t data_type) { impl_->send(*encode_api(Notify{data_type})); }

Status ApiClient::announce(uint8_t ttl, uint16_t data_type, ByteView data) {
  auto m = encode_api(Announce{ttl, data_type, Bytes(data.begin(), data.end())});
  if (!m) return m.error();
  if (!impl_->open) return err("gossip API connection is closed");
  impl_->send(*m);
  return {};
}

void ApiClient::validate(uint16_t message_id, bool valid) { impl_->send(*encode_api(Validation{message_id, valid})); }
void ApiClient::send_raw(ByteView bytes) { impl_->send(bytes); }
void ApiClient::close() { impl_->shut("closed by client"); }
bool ApiClient::connected() const { return impl_->open; }

}  // namespace rampart::gossip
