#pragma once
// Journal gating: a consensus message sent after a journal record was written leaves only once
// a sync covers that record, so a vote never leaves before the record that makes a restarted
// replica remember it (docs/protocols.md, "Durable journal"). Each message waits only for the
// records written before it: with a record per slot, waiting for the newest one instead held
// every message one sync longer than it needed. A record that cannot be written stops the
// replica's voting for good (fail-stop): it could no longer keep its word after a crash.
#include <cstdint>
#include <deque>
#include <optional>

#include "common/bytes.hpp"
#include "consensus/protocol.hpp"

namespace rampart::replica {

class JournalHost {
 public:
  virtual ~JournalHost() = default;
  virtual bool write_record(consensus::Seq seq, uint8_t kind, ByteView body) = 0;  // unsynced; false: failed
  virtual uint64_t request_sync() = 0;  // JournalGate::synced(gen) once done (gens increase)
  virtual void send_now(std::optional<consensus::NodeId> to, Bytes wire) = 0;  // nullopt: to all
};

class JournalGate {
 public:
  explicit JournalGate(JournalHost& host) : host_(host) {}

  void put(consensus::Seq seq, uint8_t kind, ByteView body) {
    if (write(seq, kind, body)) gen_ = host_.request_sync();
  }
  void put_lazy(consensus::Seq seq, uint8_t kind, ByteView body) { write(seq, kind, body); }
  void barrier() { gen_ = host_.request_sync(); }  // messages from now on wait for everything written
  void send(std::optional<consensus::NodeId> to, Bytes wire);
  // The simulator's self-test of its crash model (sim::Weaken::ungated_votes): messages leave
  // before the records they rest on are durable. Never set in the process.
  void unsafe_ungate() { ungated_ = true; }
  void synced(uint64_t gen);
  bool failed() const { return failed_; }
  size_t held() const { return held_.size(); }

 private:
  bool write(consensus::Seq seq, uint8_t kind, ByteView body);

  JournalHost& host_;
  uint64_t gen_ = 0, synced_ = 0;
  bool ungated_ = false;
  bool failed_ = false;
  struct Held {
    uint64_t gen;
    std::optional<consensus::NodeId> to;
    Bytes wire;
  };
  std::deque<Held> held_;  // gens non-decreasing: released from the front
};

}  // namespace rampart::replica
