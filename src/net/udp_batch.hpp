#pragma once
// Batched UDP I/O for the broker path: one recvmmsg/sendmmsg system call moves up to
// max_batch datagrams. Wraps an asio UDP socket so the caller can wait for readability on the
// io_context (async_wait_readable), then drain with recv_batch until it returns 0.
//
// Receive buffers are preallocated once (max_batch x max_datagram); a datagram larger than
// max_datagram is dropped and counted as truncated, never delivered cut short.
#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::net {

struct Datagram {
  asio::ip::udp::endpoint peer;  // source on receive, destination on send
  Bytes data;
};

struct UdpCounters {
  uint64_t datagrams_in = 0, datagrams_out = 0, bytes_in = 0, bytes_out = 0;
  uint64_t truncated = 0;    // larger than max_datagram: dropped
  uint64_t send_errors = 0;  // sendmmsg refused a datagram (it is skipped)
};

class UdpBatch {
 public:
  UdpBatch(asio::io_context& io, size_t max_batch = 64, size_t max_datagram = 65507);
  // Binds (port 0 = ephemeral) and makes the socket non-blocking.
  Result<uint16_t> bind(const std::string& host, uint16_t port);

  // Receives up to max_batch datagrams without blocking; appends them to `out` and returns how
  // many were appended (0: nothing waiting, or an error).
  size_t recv_batch(std::vector<Datagram>& out);
  // Sends as many of `batch` as the kernel takes without blocking, in sendmmsg calls of up to
  // max_batch; returns how many were sent (a datagram the kernel refuses with an error is
  // skipped and counted; EAGAIN stops early).
  size_t send_batch(std::span<const Datagram> batch);

  // Calls `cb` once the socket is readable (or with an error, e.g. on close).
  void async_wait_readable(std::function<void(const asio::error_code&)> cb);
  void close();

  const UdpCounters& counters() const { return counters_; }
  asio::ip::udp::socket& socket() { return socket_; }

 private:
  asio::ip::udp::socket socket_;
  size_t max_batch_;
  size_t max_datagram_;
  std::vector<uint8_t> arena_;  // max_batch x (max_datagram + 1): one spare byte detects truncation
  UdpCounters counters_;
};

}  // namespace rampart::net
