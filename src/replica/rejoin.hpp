#pragma once
// The restart handshake's driver, sans-IO: what a restarted replica does before its protocol
// runs (replica/restart.hpp explains why it is safe). Until the height to resume from is fixed
// (RestartSync) it says HELLO on every tick; then it fetches the proven blocks it lacks from a
// peer that claimed them, checks them (link, batch, proof of execution), replays them (the
// replay must reproduce each block's state digest, which the proof does not sign) and appends
// them final; once its final height reaches the target it resumes. A peer that claims a height
// but does not serve it loses its claim after kMaxUnanswered requests.
//
// A broken link at our last final block means a peer lies or our chain ends in blocks the
// cluster replaced after a whole-cluster crash: ForkResolver asks every peer in turn, and on
// f + 1 peers' evidence our blocks from the fork on are dropped, the state rebuilt from what
// remains in the ledger, and the catch-up starts again from there.
//
// Rejoin owns no socket, thread, clock or disk: it acts through RejoinHost and the ledger through
// LedgerStore, and tests drive it with fakes (tests/replica/rejoin_test.cpp).
#include <cstdint>
#include <map>
#include <optional>

#include "common/bytes.hpp"
#include "common/metrics_registry.hpp"
#include "consensus/protocol.hpp"
#include "crypto/interfaces.hpp"
#include "replica/checkpoint_keep.hpp"
#include "replica/executor.hpp"
#include "replica/ledger_store.hpp"
#include "replica/restart.hpp"

namespace rampart::replica {

class RejoinHost {
 public:
  virtual ~RejoinHost() = default;
  virtual void send_peer(consensus::NodeId to, Bytes wire) = 0;  // wrapped (replica/peer_msg.hpp)
  virtual void broadcast_peer(Bytes wire) = 0;
  virtual uint64_t now_ms() = 0;  // a monotonic clock
  // One timer: Rejoin::on_timer() after `after_ms`; cancel_sync_timer() stops it.
  virtual void arm_sync_timer(uint64_t after_ms) = 0;
  virtual void cancel_sync_timer() = 0;
  // The ledger reached the height to resume from (target: the handshake's): start the protocol
  // there and hand it what peers sent meanwhile.
  virtual void resume(uint64_t target) = 0;
  // The executed or final height, or the stored checkpoint, changed (gauges).
  virtual void heights_changed() = 0;
  // Our final blocks from d on are about to be dropped: replies kept for retries of them go.
  virtual void abandoning(uint64_t d) = 0;
  // Blocks of ours that no longer count are gone (an abandoned fork): so is their CART state.
  virtual void old_chain_dropped() = 0;
  // The ledger below a fork no longer replays: the disk changed under us; stop the replica.
  virtual void fail_stop() = 0;
};

class Rejoin {
 public:
  struct Params {
    consensus::NodeId self = 0;
    uint32_t n = 4;
    uint32_t f = 1;
  };
  static constexpr uint64_t kHelloMs = 250;          // HELLO and catch-up requests, per tick
  static constexpr uint64_t kRequestGapMs = 500;     // between two catch-up requests
  static constexpr uint64_t kGraceMs = 2000;         // RestartSync's grace after nf answers
  static constexpr uint32_t kMaxUnanswered = 4;      // requests a claiming peer may leave unserved

  // genesis_state: the executor's snapshot before anything executed (a fork's rebuild starts there).
  Rejoin(Params p, LedgerStore& store, Executor& exec, CheckpointKeep& keep, const crypto::ThresholdVerifier& tv,
         Bytes genesis_state, RejoinHost& host, metrics::Registry& reg);

  void start() { tick(); }
  void on_timer() { tick(); }
  void on_hello(consensus::NodeId from);  // a valid HELLO: answer with our STATUS
  void on_status(consensus::NodeId from, const PeerStatus& s);
  void on_blocks_req(consensus::NodeId from, uint64_t from_k);
  void on_blocks_resp(consensus::NodeId from, BlocksResp r);

  // Until this ends, peer messages for the protocol are held back (by the host).
  bool syncing() const { return syncing_; }
  bool resolving_fork() const { return fork_.has_value(); }

 private:
  RestartSync::Clock::time_point now() { return RestartSync::Clock::time_point(std::chrono::milliseconds(host_.now_ms())); }
  void tick();
  // hello: also broadcast our HELLO (the tick does; a STATUS answer must not, or two replicas
  // waiting for the others answer each other's HELLOs with STATUS and back forever).
  void step(bool hello = false);
  void resume();
  void on_fork_blocks(consensus::NodeId from, const BlocksResp& r);
  void abandon_fork(uint64_t d);

  Params p_;
  LedgerStore& store_;
  Executor& exec_;
  CheckpointKeep& keep_;
  const crypto::ThresholdVerifier& tv_;
  Bytes genesis_state_;
  RejoinHost& host_;
  metrics::Registry& reg_;

  bool syncing_ = true;
  RestartSync sync_;
  uint64_t last_req_ms_ = 0;  // 0: ask at once
  std::map<consensus::NodeId, uint32_t> unanswered_;  // catch-up requests per peer since our height last grew
  uint64_t asked_at_final_ = 0;
  std::optional<ForkResolver> fork_;  // our catch-up found a broken link: resolving
  consensus::NodeId fork_peer_ = 0;
};

}  // namespace rampart::replica
