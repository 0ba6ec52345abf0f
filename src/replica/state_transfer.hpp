#pragma once
// State transfer, sans-IO: fetching the state at a stable checkpoint from peers when the
// protocol says this replica lacks it (Env::need_state_transfer), and serving peers that ask.
//
// Asking: one peer at a time, the next one every kRetryMs until the transfer completes, so a
// peer that lies or stays silent costs one retry period. Any peer's answer is taken if it holds
// together: the blocks it offers must link to our last final block and carry valid proofs of
// execution; the checkpoint must be the one the protocol asked for, with a certificate the
// protocol verifies, matching its block; the snapshot must reproduce the certified state digest.
// An answer that stops short of the checkpoint is installed as far as it goes (its blocks
// replayed, each replay checked against the block's state digest) and the rest asked for.
//
// Serving: the exact checkpoint asked for while we still keep its snapshot (CheckpointKeep),
// else our stored one; blocks from the first one asked for up to that checkpoint, at most
// kMaxStateBlocks.
//
// StateTransfer owns no socket, thread, clock or disk: it acts through StateTransferHost, the
// ledger through LedgerStore, and tests drive it with fakes (tests/replica/state_transfer_test.cpp).
#include <cstdint>

#include "common/bytes.hpp"
#include "common/metrics_registry.hpp"
#include "consensus/protocol.hpp"
#include "crypto/interfaces.hpp"
#include "replica/checkpoint_keep.hpp"
#include "replica/executor.hpp"
#include "replica/ledger_store.hpp"
#include "replica/peer_msg.hpp"

namespace rampart::replica {

class StateTransferHost {
 public:
  virtual ~StateTransferHost() = default;
  virtual void send_peer(consensus::NodeId to, Bytes wire) = 0;  // wrapped (replica/peer_msg.hpp)
  // One timer: StateTransfer::on_timer() after `after_ms`; cancel_state_timer() stops it.
  virtual void arm_state_timer(uint64_t after_ms) = 0;
  virtual void cancel_state_timer() = 0;
  // Does the protocol accept this certificate (nf signatures under its own rules)?
  virtual bool verify_checkpoint(const consensus::CheckpointCert& cert) = 0;
  // Does this snapshot restore to exactly that state digest? Checked on a scratch copy of the
  // state machine, before anything of ours changes: the snapshot is the one part of an answer no
  // signature covers.
  virtual bool snapshot_matches(ByteView snapshot, const Hash32& state_digest) = 0;
  // Blocks of ours that no longer count are gone (our speculative ones above the last final one):
  // so is their CART state.
  virtual void old_chain_dropped() = 0;
  // Part of a transfer was installed and replayed up to executed height k.
  virtual void replayed(uint64_t k) = 0;
  // The protocol (and whatever hands it batches) moves on to the state at stable checkpoint k,
  // which this replica holds.
  virtual void protocol_transferred(uint64_t k, const Hash32& head) = 0;
  // The transfer to checkpoint k is installed (ledger, state, snapshot): finality reaches k, and
  // the protocol moves on as in protocol_transferred.
  virtual void installed(uint64_t k, const Hash32& head) = 0;
};

class StateTransfer {
 public:
  struct Params {
    consensus::NodeId self = 0;
    uint32_t n = 4;
  };
  static constexpr uint64_t kRetryMs = 1000;

  StateTransfer(Params p, LedgerStore& store, Executor& exec, CheckpointKeep& keep,
                const crypto::ThresholdVerifier& tv, StateTransferHost& host, metrics::Registry& reg)
      : p_(p), store_(store), exec_(exec), keep_(keep), tv_(tv), host_(host), reg_(reg) {}

  void need(uint64_t k, const Hash32& head);  // Env::need_state_transfer
  void on_request(consensus::NodeId from, uint64_t from_k, uint64_t want_k);
  void on_response(consensus::NodeId from, StateResp r);
  void on_timer() { request(); }

  bool active() const { return active_; }
  uint64_t target() const { return k_; }

 private:
  void request();
  bool final_here(uint64_t k, const Hash32& head);  // k is final here: nothing to fetch
  bool overtaken();  // the transfer's target became final here meanwhile: ends it
  // The checks before anything of ours changes; false: refused (logged, counted).
  bool acceptable(consensus::NodeId from, const StateResp& r, uint64_t base, bool& have_cp);
  void replay_partial();

  Params p_;
  LedgerStore& store_;
  Executor& exec_;
  CheckpointKeep& keep_;
  const crypto::ThresholdVerifier& tv_;
  StateTransferHost& host_;
  metrics::Registry& reg_;

  bool active_ = false;
  uint64_t k_ = 0;
  Hash32 head_{};
  consensus::NodeId peer_ = 0;  // the last one asked
};

}  // namespace rampart::replica
