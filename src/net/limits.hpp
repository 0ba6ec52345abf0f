#pragma once
// Resource limits shared by the listeners (docs/transport.md, "Limits"): what one connection may
// hold and for how long, how many connections one source address may have, and how much memory
// all partial frames of a listener may hold together. Everything here runs on the io_context
// thread except the gauges, which any thread may read.
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "net/counters.hpp"

namespace rampart::net {

// Per-connection watchdog; zero turns a limit off.
struct ConnLimits {
  // Closed after this long without a complete frame from the other side (the time starts at
  // accept), unless a frame is under way (then frame_timeout governs): an idle connection holds
  // a descriptor and a slot that someone else could use.
  std::chrono::milliseconds idle_timeout{0};
  // A frame whose first byte arrived must be complete this long after: a client that sends a
  // frame a byte at a time would otherwise keep its partial frame's memory forever.
  std::chrono::milliseconds frame_timeout{0};
};

// The bytes that partial frames (a frame split across reads, assembled in its decoder's
// buffer) hold across every connection of a listener. A decoder that would take more than is
// left fails, and its connection is closed: without it, 1,000 clients each sending 1 MiB minus
// one byte grew a replica by ~490 MB.
class BufferBudget {
 public:
  BufferBudget(size_t limit, std::shared_ptr<CounterSet> counters) : limit_(limit), counters_(std::move(counters)) {}
  bool take(size_t n);
  void give(size_t n);
  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_; }

 private:
  size_t limit_;
  std::atomic<size_t> used_{0};
  std::shared_ptr<CounterSet> counters_;  // partial_frame_bytes mirrors used_
};

// The key connections are counted under: an IPv4 address (an IPv4-mapped IPv6 address counts
// as the IPv4 one), or the /64 prefix of an IPv6 address (one host usually holds a whole /64).
std::string source_key(const asio::ip::address& a);

// Raises the soft limit on open descriptors to the hard limit and returns the soft limit now in
// force (0 if it cannot be read). A listener keeps its connection cap below it, so that accept
// never fails for want of descriptors that the peer links and the ledger need too.
uint64_t raise_fd_limit();

}  // namespace rampart::net
