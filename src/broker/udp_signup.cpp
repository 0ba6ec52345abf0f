#include "broker/udp_signup.hpp"

#include <array>

namespace rampart::broker {

Status hand_signup_certificate(const asio::ip::udp::endpoint& broker, ByteView certificate, ClientId id,
                               std::chrono::milliseconds timeout) {
  if (certificate.size() > kMaxSignupCert) return err("sign-up certificate too large for one datagram");
  asio::io_context io;
  asio::ip::udp::socket sock(io, asio::ip::udp::v4());
  const Bytes msg = encode_signup_cert(certificate);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<uint8_t, 256> buf;
  while (std::chrono::steady_clock::now() < deadline) {
    asio::error_code ec;
    sock.send_to(asio::buffer(msg), broker, 0, ec);
    if (ec) return err("sending the sign-up certificate: " + ec.message());
    const auto resend_at = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    while (std::chrono::steady_clock::now() < resend_at) {
      asio::ip::udp::endpoint from;
      bool done = false;
      size_t n = 0;
      asio::error_code rec;
      sock.async_receive_from(asio::buffer(buf), from, [&](const asio::error_code& e, size_t m) {
        rec = e;
        n = m;
        done = true;
      });
      io.restart();
      io.run_until(resend_at);
      if (!done) {
        sock.cancel(ec);
        io.restart();
        io.run();  // the cancelled handler
        break;
      }
      if (rec || from != broker) continue;
      auto got = decode_signed_up(ByteView(buf.data(), n));
      if (got && *got == id) return {};
    }
  }
  return err("the broker did not acknowledge the sign-up of client " + std::to_string(id));
}

}  // namespace rampart::broker
