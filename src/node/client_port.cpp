#include "node/client_port.hpp"

namespace rampart::node {

net::ClientOptions ClientPort::default_options() {
  net::ClientOptions o;
  o.max_frame = kMaxFrame;
  o.max_send_buffer_bytes = kMaxPendingBytes;
  o.close_when_send_buffer_full = true;
  return o;
}

ClientPort::ClientPort(asio::io_context& io, std::shared_ptr<net::CounterSet> counters, net::ClientOptions opts)
    : counters_(counters), listener_(io, std::move(opts), counters) {}

ClientPort::~ClientPort() { stop(); }

Result<uint16_t> ClientPort::listen(const std::string& host, uint16_t port) {
  asio::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) return err("client port: bad address " + host);
  auto r = listener_.listen(host, port);
  if (!r) return err("client port: " + r.error().message);
  return r;
}

}  // namespace rampart::node
