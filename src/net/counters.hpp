#pragma once
// Transport counters for metrics. Updated on the io_context thread, readable from any thread
// (a metrics HTTP server may run elsewhere), hence atomics with relaxed ordering.
#include <atomic>
#include <cstdint>

namespace rampart::net {

// A snapshot. "frames" are wire frames (handshake frames included); "bytes" include headers.
struct Counters {
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t dropped_frames = 0;      // not sent: queue full (oldest dropped) or message too big
  uint64_t bad_frames = 0;          // oversize length, malformed, or failed authentication
  uint64_t reconnects = 0;          // dial retries scheduled after a failure or a lost link
  uint64_t handshakes = 0;          // authenticated peer connections established
  uint64_t handshake_failures = 0;  // timeouts, unknown or unexpected node ids
  uint64_t connections_rejected = 0;  // refused at accept: too many pending connections
};

class CounterSet {
 public:
  std::atomic<uint64_t> frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0},
      dropped_frames{0}, bad_frames{0}, reconnects{0}, handshakes{0}, handshake_failures{0},
      connections_rejected{0};

  static void add(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

  Counters snapshot() const {
    auto g = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
    Counters s;
    s.frames_in = g(frames_in);
    s.frames_out = g(frames_out);
    s.bytes_in = g(bytes_in);
    s.bytes_out = g(bytes_out);
    s.dropped_frames = g(dropped_frames);
    s.bad_frames = g(bad_frames);
    s.reconnects = g(reconnects);
    s.handshakes = g(handshakes);
    s.handshake_failures = g(handshake_failures);
    s.connections_rejected = g(connections_rejected);
    return s;
  }
};

}  // namespace rampart::net
