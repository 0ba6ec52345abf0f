#include "broker/udp_front.hpp"

#include <spdlog/spdlog.h>

namespace rampart::broker {
namespace {

ClientAddr pack(const asio::ip::udp::endpoint& ep) {
  return (uint64_t(ep.address().to_v4().to_uint()) << 16) | ep.port();
}

asio::ip::udp::endpoint unpack(ClientAddr a) {
  return {asio::ip::address_v4(static_cast<uint32_t>(a >> 16)), static_cast<uint16_t>(a & 0xffff)};
}

}  // namespace

UdpFront::UdpFront(asio::io_context& io, BrokerConfig cfg, const Directory& dir, const crypto::ThresholdVerifier* group)
    : io_(io), udp_(io, 64, 2048), core_(cfg, dir, group, *this) {}

Result<uint16_t> UdpFront::bind(const std::string& host, uint16_t port) { return udp_.bind(host, port); }

void UdpFront::start() {
  udp_.async_wait_readable([this](const asio::error_code& ec) { on_readable(ec); });
}

void UdpFront::on_readable(const asio::error_code& ec) {
  if (ec) return;  // closed
  // Drain what the kernel holds, in recvmmsg batches, answering as we go.
  for (int rounds = 0; rounds < 64; ++rounds) {
    in_.clear();
    if (udp_.recv_batch(in_) == 0) break;
    pre_.assign(in_.size(), SigCheck::unchecked);
    if (pool_) {
      pool_->run(in_.size(), [this](size_t i) {
        if (in_[i].peer.address().is_v4()) pre_[i] = core_.precheck(pack(in_[i].peer), in_[i].data);
      });
    }
    for (size_t i = 0; i < in_.size(); ++i) {
      auto& d = in_[i];
      if (!d.peer.address().is_v4()) {
        ++counters_.ipv6_dropped;
        continue;
      }
      core_.on_client(pack(d.peer), d.data, pre_[i]);
    }
    flush();
  }
  start();
}

void UdpFront::flush() {
  if (out_.empty() || write_wait_) return;
  // send_batch consumes datagrams it sent or that the kernel refused (counted as errors) and
  // stops at EAGAIN: what is left waits for the socket to drain (a closing 65,536-entry batch
  // answers every client at once, far more than a socket buffer holds).
  const auto& c = udp_.counters();
  const uint64_t before = c.datagrams_out + c.send_errors;
  udp_.send_batch(out_);
  const size_t done = static_cast<size_t>(c.datagrams_out + c.send_errors - before);
  out_.erase(out_.begin(), out_.begin() + static_cast<long>(std::min(done, out_.size())));
  if (out_.empty()) return;
  write_wait_ = true;
  udp_.socket().async_wait(asio::socket_base::wait_write, [this](const asio::error_code& ec) {
    write_wait_ = false;
    if (!ec) flush();
  });
}

void UdpFront::send_client(ClientAddr to, Bytes msg) {
  if (out_.size() >= kMaxQueued) {
    ++counters_.send_dropped;  // the client will retransmit
    return;
  }
  out_.push_back({unpack(to), std::move(msg)});
  if (out_.size() >= 64) flush();
}

void UdpFront::send_replica(uint32_t replica, Bytes msg) {
  ++counters_.replica_sends;
  counters_.replica_bytes += msg.size();
  // kind u8, broker u32, number u64: the number from the header, without decoding the batch.
  uint64_t number = 0;
  for (size_t i = 0; i < 8 && 5 + i < msg.size(); ++i) number |= uint64_t(msg[5 + i]) << (8 * i);
  if (number > logged_number_) {
    logged_number_ = number;
    if (const Batch* b = core_.batch(number)) {
      const auto& d = b->distilled();
      spdlog::info("event=distilled number={} entries={} stragglers={} aggregate={} raise={} bytes={}", number,
                   d.entries.size(), d.stragglers.size(), d.has_aggregate, d.raise, msg.size());
    }
  }
  spdlog::debug("event=to_replica number={} replica={} bytes={}", number, replica, msg.size());
  if (to_replica_) to_replica_(replica, std::move(msg));
}

void UdpFront::on_replica(uint32_t from, ByteView msg) {
  core_.on_replica(from, msg);
  flush();
}

uint64_t UdpFront::now_ms() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_).count());
}

void UdpFront::set_timer(uint64_t token, uint64_t after_ms) {
  auto t = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(after_ms));
  t->async_wait([this, t, token](const asio::error_code& ec) {
    if (ec) return;
    core_.on_timer(token);
    flush();
  });
}

}  // namespace rampart::broker
