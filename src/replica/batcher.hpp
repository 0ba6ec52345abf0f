#pragma once
// Ingress batching, forwarding and bundles (docs/decisions: adaptive batching, bundles), sans-IO.
//
// Adaptive batching: a batch closes when it is full, or when the batch timeout passed and no
// batch of ours is still waiting to be executed. While one is in flight, requests keep
// accumulating, so under load batches grow to what arrives per round trip and the per-batch
// cost (threshold signatures, pairings, sync) is spread over many requests; when idle, a
// request waits at most batch_timeout_ms. A batch of ours that never executes (dropped by a
// view change) stops counting after kOwnBatchExpiryMs, and nothing waits longer than
// kMaxBatchHoldMs, so a lost batch can delay requests but never strand them.
//
// A backup forwards its batch to the primary (to every replica with client signatures, so each
// checks it off the critical path); the primary orders its own batch and the batches forwarded
// to it as one slot, a bundle. A forwarded batch the primary does not order in time is handed to
// the backup's own protocol (fallback), which arms its progress timer and forwarding, so a faulty
// primary is still replaced.
//
// With witnesses (replica/witness.hpp; on with client signatures), every batch, the primary's
// too, is broadcast and vouched for by its builder; the primary bundles first the parts whose
// f + 1 witnesses it holds, so backups accept them on the certificate instead of checking. A
// part waits for its witnesses at most witness_wait_ms; then the primary checks it itself (a
// part failing the check is dropped: it never reaches a proposal) and bundles it, and the
// backups check it too, as without witnesses.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "common/bytes.hpp"
#include "common/metrics_registry.hpp"
#include "consensus/protocol.hpp"
#include "replica/batch.hpp"
#include "replica/batch_auth.hpp"
#include "replica/request.hpp"
#include "replica/timeline.hpp"

namespace rampart::replica {

class BatcherHost {
 public:
  virtual ~BatcherHost() = default;
  virtual void send_peer(consensus::NodeId to, Bytes wire) = 0;  // wrapped (replica/peer_msg.hpp)
  virtual void broadcast_peer(Bytes wire) = 0;
  virtual void submit(Bytes slot) = 0;  // to the protocol
  virtual uint64_t now_ms() = 0;
  virtual uint64_t now_us() { return now_ms() * 1000; }
  virtual void defer(std::function<void()> f) = 0;  // after the current event
  // One timer: Batcher::on_timer() after `after_ms`; cancel_batch_timer() stops it.
  virtual void arm_batch_timer(uint64_t after_ms) = 0;
  virtual void cancel_batch_timer() = 0;
  // With witnesses: sign and broadcast our witness for a batch we built (its requests were
  // checked on arrival).
  virtual void vouch(const Hash32& /*d*/) {}
};

class Batcher {
 public:
  // How long the primary holds a part back for its witnesses at least (witness_bound(): longer
  // when certificates take longer lately). One check of a batch and a round trip normally; far
  // below view_timeout_ms, so a withheld witness costs latency, never liveness.
  static constexpr uint64_t kWitnessWaitMs = 50;
  struct Params {
    consensus::NodeId self = 0;
    size_t batch_size = 100;
    uint64_t batch_timeout_ms = 2;
    uint64_t view_timeout_ms = 1000;
    uint64_t window = 256;
    uint32_t n = 4;  // replicas: each origin's share of the primary's queue
    bool forward_to_all = true;  // client signatures on: every replica checks a batch early
    bool witnesses = false;      // f + 1 replicas check a batch, the rest accept their certificate
    uint64_t witness_wait_ms = kWitnessWaitMs;
  };
  Batcher(Params p, BatchAuth& auth, BatcherHost& host, metrics::Registry& reg)
      : p_(p), auth_(auth), host_(host), reg_(reg), ordered_max_(8 * p.window) {}

  void add(Request r);                               // a client request that passed its check
  // A part built elsewhere and checked here (a broker's distilled batch), digest d.
  void add_part(Bytes part, const Hash32& d);
  // A backup's batch (kept as primary): authentic, or with witnesses possibly not checked yet.
  void on_forwarded(ByteView part, const Hash32& d, consensus::NodeId origin);
  void on_certified(const Hash32& d);  // the part's f + 1 witnesses are in (witnesses on)
  void on_timer();
  void executed(ByteView slot, const Hash32& d, uint64_t k = 0);  // any slot, ours or not; k: its block
  // Block k's replies went out here (a light slot of ours up to k no longer holds the next).
  void answered(uint64_t k);
  void rolled_back(uint64_t k);  // blocks above k are gone
  void view_changed(consensus::NodeId primary);
  void state_transferred();  // the protocol forgot what we had handed it
  void tick();               // the fallback for forwarded batches the primary ignores
  // While closed (the restart handshake) nothing is submitted; open() closes a batch at once.
  void open() {
    open_ = true;
    close();
  }
  void close();  // close a batch now if there is work
  void set_timeline(Timeline* t) { timeline_ = t; }

  size_t pending() const { return pending_.size(); }
  size_t forwarded_pending() const { return forwarded_.size() + parts_queue_.size(); }

  // Own batches (the primary: slots) waiting to execute before the next one closes. A backup
  // may forward a second batch while its first waits in the primary's queue, so a request skips
  // one round of waiting there; the primary still proposes one bundle at a time. Backups at 2
  // against 1: 8,332 / 7,995 / 8,042 against 7,655 / 7,799 / 7,940 ops/s (--auth ed25519, 8,000
  // clients), 69.6k / 75.2k against 66.2k / 72.8k (--auth none), alternating.
  static constexpr size_t kMaxOwnInflight = 1;
  static constexpr size_t kMaxOwnInflightBackup = 2;
  static constexpr uint64_t kOwnBatchExpiryMs = 1000;
  static constexpr uint64_t kMaxBatchHoldMs = 250;
  static constexpr size_t kMaxQueuedParts = 4 * kMaxBundleParts;
  // Light load (docs/decisions/006-light-slots.md): a slot of the primary's with fewer than
  // batch_size / kLightFraction requests holds the next one until its replies go out here
  // (007), not only until it executes. Every slot costs the same threshold signatures and
  // pairings however few requests it carries, so at light load overlapping slots only split the
  // same requests over more of that work, and on a loaded CPU each one then waits behind the
  // others'.
  static constexpr size_t kLightFraction = 4;

 private:
  bool has_work() const { return !pending_.empty() || (primary_ == p_.self && !parts_queue_.empty()); }
  size_t max_own_inflight() const { return primary_ == p_.self ? kMaxOwnInflight : kMaxOwnInflightBackup; }
  void arm();
  void queue_part(Bytes part, const Hash32& d, consensus::NodeId origin);
  // Primary: the queued parts for the next slot (those ready first), each authentic here.
  std::vector<Bytes> take_parts(uint64_t now, size_t room, size_t requests);
  uint64_t witness_bound() const;  // how long a queued part waits for its witnesses now
  void note_closed(const Hash32& d, bool own_requests);  // the timeline's clocks
  void note_executed(const Hash32& d);
  void release(std::map<uint64_t, Hash32>::iterator from, std::map<uint64_t, Hash32>::iterator to);
  void close_soon();  // close() after the current event, if a slot of ours may start
  // Light load, closed loop (docs/decisions/007-returning-requests.md): once the clients the
  // last light batch answered are back (as many requests as it carried, beside those that were
  // waiting at its release), the next one closes without waiting out batch_timeout_ms.
  // gathered(): requests the next batch would carry now (the primary: its own and the queued
  // parts'); returned(): the clients we wait for are in (target_ == 0: not light, no early close).
  size_t gathered() const;
  bool returned() const { return target_ > 0 && gathered() >= target_; }
  void gather_or_close();  // at light load, wait (one batch timeout) for the rest to come back
  size_t ready_requests(uint64_t now) const;  // the primary: requests in parts that may leave now

  Params p_;
  BatchAuth& auth_;
  BatcherHost& host_;
  metrics::Registry& reg_;
  bool open_ = false;
  consensus::NodeId primary_ = 0;

  std::vector<Request> pending_;
  uint64_t pending_since_ = 0;  // when the oldest pending request came
  // For the timeline (µs): the oldest pending request of ours; batches of ours, closed when.
  Timeline* timeline_ = nullptr;
  uint64_t oldest_own_us_ = 0;
  std::map<Hash32, uint64_t> own_closed_us_;
  bool timer_armed_ = false;
  bool forcing_ = false;  // closing from the timer: the gathering is over
  size_t expected_ = 0;   // requests in our last batch (the primary: slot), if it was light
  // Close early once this many are in: expected_ after a close; at a release (gather_or_close)
  // those waiting then plus the expected_ coming back.
  size_t target_ = 0;
  bool close_deferred_ = false;
  std::map<Hash32, uint64_t> own_inflight_;  // batches we built, not yet executed (ms sent)
  std::set<Hash32> light_;                   // slots of ours closed light: in flight until answered
  std::map<uint64_t, Hash32> held_;          // light slots executed as block k, not answered yet
  // Batches we handed to the primary, not yet executed. They are not submitted to our protocol
  // (the primary orders them inside its bundles, whose digest the protocol would never match);
  // one still unexecuted after the patience of tick() is.
  struct Forwarded {
    Bytes bytes;
    uint64_t sent_ms = 0;
    bool submitted = false;
  };
  std::map<Hash32, Forwarded> forwarded_;
  uint64_t last_execution_ms_ = 0;
  // Primary: forwarded batches waiting for our next bundle, by digest too, so a batch forwarded
  // twice waits once. Bounded: a part dropped when full is the forwarder's to re-send.
  struct QueuedPart {
    Hash32 d;
    Bytes bytes;
    uint64_t since_ms = 0;
    bool own = false;  // the primary's own batch (witnesses on): its requests are ours to re-send
    consensus::NodeId origin = 0;  // who forwarded it
  };
  // A faulty replica may forward well-formed batches with bad signatures as fast as it likes:
  // each origin holds at most its 1/n share of the queue, so the others' parts always fit.
  size_t origin_share() const { return std::max<size_t>(4, kMaxQueuedParts / std::max<uint32_t>(p_.n, 1)); }
  std::deque<QueuedPart> parts_queue_;
  uint64_t witness_delay_ms_ = 0;  // moving average: queued until certified
  std::set<Hash32> queued_parts_;
  // Digests of slots executed lately, oldest first: the primary salts a slot whose bytes are
  // among them. Longer than the protocols' duplicate horizons (4 windows).
  std::set<Hash32> ordered_lately_;
  std::deque<Hash32> ordered_fifo_;
  size_t ordered_max_;
  uint64_t salt_counter_ = 0;
};

}  // namespace rampart::replica
