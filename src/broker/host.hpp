#pragma once
// What the sans-IO broker and client cores ask of their host: sending, the clock and timers.
// The process (UDP front end, replica links) and the tests' fake I/O implement these; the cores
// never touch sockets, threads or the wall clock (as src/consensus).
#include <cstdint>

#include "common/bytes.hpp"

namespace rampart::broker {

// Opaque to the core: the front end maps it to the client's UDP endpoint.
using ClientAddr = uint64_t;

class BrokerHost {
 public:
  virtual ~BrokerHost() = default;
  virtual void send_client(ClientAddr to, Bytes msg) = 0;
  virtual void send_replica(uint32_t replica, Bytes msg) = 0;
  virtual uint64_t now_ms() = 0;
  // Call Broker::on_timer(token) once, after_ms from now. Timers are never cancelled: the core
  // recognises a stale token and ignores it.
  virtual void set_timer(uint64_t token, uint64_t after_ms) = 0;
  // Batch `number` is about to be announced: a host that survives restarts makes sure the next
  // run starts above it (broker/broker_disk.hpp). Nothing to do by default (tests, benchmarks).
  virtual void taking_number(uint64_t /*number*/) {}
};

class ClientHost {
 public:
  virtual ~ClientHost() = default;
  virtual void send_broker(uint32_t broker, Bytes msg) = 0;
  virtual uint64_t now_ms() = 0;
  // Call Client::on_timer(token) once, after_ms from now (stale tokens are ignored).
  virtual void set_timer(uint64_t token, uint64_t after_ms) = 0;
};

}  // namespace rampart::broker
