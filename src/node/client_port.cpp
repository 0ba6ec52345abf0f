#include "node/client_port.hpp"

namespace rampart::node {

ClientPort::ClientPort(asio::io_context& io, std::shared_ptr<net::CounterSet> counters)
    : io_(io), acceptor_(io), counters_(std::move(counters)) {}

ClientPort::~ClientPort() { stop(); }

Result<uint16_t> ClientPort::listen(const std::string& host, uint16_t port) {
  asio::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return err("client port: bad address " + host);
  asio::ip::tcp::endpoint ep(addr, port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return err("client port: cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  accept();
  return acceptor_.local_endpoint().port();
}

void ClientPort::accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket sock) {
    if (stopped_) return;
    if (!ec) {
      if (conns_.size() >= kMaxConnections) {
        asio::error_code ignore;
        sock.close(ignore);
      } else {
        ConnId id = next_++;
        auto c = std::make_shared<net::Connection>(std::move(sock), kMaxFrame, counters_);
        conns_[id] = c;
        net::Connection::Handlers h;
        h.on_frame = [this, id](ByteView frame) {
          if (on_frame_ && !on_frame_(id, frame)) {
            net::CounterSet::add(counters_->bad_frames);
            if (auto it = conns_.find(id); it != conns_.end()) it->second->close("bad client frame");
          }
        };
        h.on_close = [this, id](const std::string&) {
          conns_.erase(id);
        };
        c->start(std::move(h));
      }
    }
    accept();
  });
}

bool ClientPort::send(ConnId id, ByteView frame) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second->closed()) return false;
  if (it->second->pending_bytes() > kMaxPendingBytes) {
    it->second->close("client not reading");
    return false;
  }
  it->second->send_frame(frame);
  it->second->flush();
  return true;
}

void ClientPort::stop() {
  if (stopped_) return;
  stopped_ = true;
  asio::error_code ec;
  acceptor_.close(ec);
  auto conns = std::move(conns_);
  for (auto& [id, c] : conns) c->close("shutdown");
}

}  // namespace rampart::node
