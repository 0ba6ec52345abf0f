#pragma once
// One broker-path client over UDP (I/O, asio; library rampart_broker_udp): the sans-IO client
// core (client.hpp) on its own socket, its timers on asio steady timers. Its own socket because
// a broker knows a client by its address: the Reduction must come from where the Submit did.
// Used by `rampart broker-client` (many of these on one io_context) and the process tests.
#include <asio.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "broker/client.hpp"

namespace rampart::broker {

struct UdpClientCounters {
  uint64_t datagrams_in = 0, datagrams_out = 0, send_errors = 0;
};

class UdpClient final : public ClientHost {
 public:
  // brokers[b] is broker b's UDP endpoint (ClientConfig::brokers must not exceed its size).
  UdpClient(asio::io_context& io, std::vector<asio::ip::udp::endpoint> brokers, ClientConfig cfg,
            crypto::ed25519::KeyPair ed, crypto::bls::SecretKey bls, const crypto::ThresholdVerifier* group);
  ~UdpClient() override;
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;

  Client& core() { return core_; }
  const Client& core() const { return core_; }
  const UdpClientCounters& counters() const { return counters_; }

  void send_broker(uint32_t broker, Bytes msg) override;
  uint64_t now_ms() override;
  void set_timer(uint64_t token, uint64_t after_ms) override;

 private:
  void receive();

  asio::io_context& io_;
  asio::ip::udp::socket sock_;
  std::vector<asio::ip::udp::endpoint> brokers_;
  Client core_;
  std::array<uint8_t, 65536> buf_{};
  asio::ip::udp::endpoint from_;
  UdpClientCounters counters_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  // Set false by the destructor: timers and receives that complete later find the client gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rampart::broker
