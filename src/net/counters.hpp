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
  uint64_t connections_rejected = 0;  // refused at accept (pending-handshake cap, per-source cap)
  uint64_t evicted = 0;               // closed to make room for a newer connection (limits.hpp)
  uint64_t idle_timeouts = 0;         // closed: no complete frame for idle_timeout
  uint64_t frame_timeouts = 0;        // closed: a frame not complete within frame_timeout
  uint64_t budget_exceeded = 0;       // closed: its partial frame did not fit the listener's budget
  uint64_t accept_errors = 0;         // accept failed (out of descriptors...): retried after a pause
  uint64_t partial_frame_bytes = 0;   // gauge: bytes held by partial frames now
};

class CounterSet {
 public:
  std::atomic<uint64_t> frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0},
      dropped_frames{0}, bad_frames{0}, reconnects{0}, handshakes{0}, handshake_failures{0},
      connections_rejected{0}, evicted{0}, idle_timeouts{0}, frame_timeouts{0}, budget_exceeded{0},
      accept_errors{0}, partial_frame_bytes{0};

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
    s.evicted = g(evicted);
    s.idle_timeouts = g(idle_timeouts);
    s.frame_timeouts = g(frame_timeouts);
    s.budget_exceeded = g(budget_exceeded);
    s.accept_errors = g(accept_errors);
    s.partial_frame_bytes = g(partial_frame_bytes);
    return s;
  }
};

}  // namespace rampart::net
