#include "broker/udp_client.hpp"

namespace rampart::broker {

UdpClient::UdpClient(asio::io_context& io, std::vector<asio::ip::udp::endpoint> brokers, ClientConfig cfg,
                     crypto::ed25519::KeyPair ed, crypto::bls::SecretKey bls, const crypto::ThresholdVerifier* group)
    : io_(io), sock_(io), brokers_(std::move(brokers)), core_(cfg, std::move(ed), std::move(bls), group, *this) {
  const bool v6 = !brokers_.empty() && brokers_.front().address().is_v6();
  sock_.open(v6 ? asio::ip::udp::v6() : asio::ip::udp::v4());
  sock_.bind({v6 ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::address(asio::ip::address_v4::any()), 0});
  receive();
}

UdpClient::~UdpClient() {
  *alive_ = false;
  asio::error_code ec;
  sock_.close(ec);
}

void UdpClient::receive() {
  sock_.async_receive_from(asio::buffer(buf_), from_, [this, alive = alive_](const asio::error_code& ec, size_t n) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    if (!ec) {
      ++counters_.datagrams_in;
      // Only the brokers speak to a client; anything else is ignored before the core sees it.
      for (uint32_t b = 0; b < brokers_.size(); ++b) {
        if (brokers_[b] != from_) continue;
        core_.on_message(b, ByteView(buf_.data(), n));
        break;
      }
    }
    receive();
  });
}

void UdpClient::send_broker(uint32_t broker, Bytes msg) {
  if (broker >= brokers_.size()) return;
  asio::error_code ec;
  sock_.send_to(asio::buffer(msg), brokers_[broker], 0, ec);  // a datagram lost here is retransmitted by the core
  if (ec) ++counters_.send_errors;
  else ++counters_.datagrams_out;
}

uint64_t UdpClient::now_ms() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_).count());
}

void UdpClient::set_timer(uint64_t token, uint64_t after_ms) {
  auto t = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(after_ms));
  t->async_wait([this, t, token, alive = alive_](const asio::error_code& ec) {
    if (!ec && *alive) core_.on_timer(token);
  });
}

}  // namespace rampart::broker
