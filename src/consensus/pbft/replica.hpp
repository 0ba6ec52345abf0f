#pragma once
// One PBFT replica as a sans-IO state machine (Castro & Liskov). Inputs: submit(), on_message(),
// on_timer(), on_state_transferred(); outputs only through Env. See docs/protocols-pbft.md.
//
// The member functions are spread over files by concern: replica.cpp (dispatch, batches,
// timers), normal_case.cpp (pre-prepare/prepare/commit/execute), checkpoints.cpp,
// view_change.cpp, retransmit.cpp (status, catch-up), restart.cpp (durable journal, restart).
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "consensus/pbft/certificates.hpp"
#include "consensus/pbft/journal.hpp"
#include "consensus/pbft/messages.hpp"
#include "consensus/protocol.hpp"

namespace rampart::consensus::pbft {

// Why a message was rejected (all of them also count in Stats::rejected_messages).
enum class Reject : uint8_t {
  decode,         // undecodable bytes, trailing bytes, unknown type
  wrong_view,     // not for the current view, or arrived during a view change
  wrong_sender,   // sender is not who the message says / not allowed to send it
  bad_signature,  // a signature or a certificate does not verify
  out_of_window,  // sequence number outside (low, low + window]
  duplicate,      // already have it
  conflict,       // contradicts what this replica accepted (e.g. 2nd pre-prepare for (v,n))
  invalid,        // well-formed and signed, but wrong (batch digest, validate_batch, O-set)
  kCount
};

using BatchPtr = std::shared_ptr<const Bytes>;

class PbftReplica final : public Protocol {
 public:
  PbftReplica(const Config& cfg, Crypto crypto, Env& env);

  void start() override;
  void submit(Bytes batch) override;
  void on_message(NodeId from, ByteView msg) override;
  void on_timer(TimerKind t) override;
  void on_state_transferred(Seq k, const Hash32& head) override;
  void on_proven(Seq k) override;
  void on_restart(const RestartPoint& r) override;
  bool verify_checkpoint(const CheckpointCert& cert) const override;
  bool is_primary() const override;
  bool has_pending() const override { return !pending_.empty(); }
  Stats stats() const override;
  std::string name() const override { return "pbft"; }

  // Introspection for tests and the simulator.
  uint64_t rejected(Reject r) const { return rejects_[static_cast<size_t>(r)]; }
  bool in_view_change() const { return in_vc_; }
  View view_change_target() const { return vc_target_; }
  Seq low_watermark() const { return low_; }
  size_t live_slots() const { return slots_.size(); }
  size_t retained_certificates() const { return retained_.size(); }
  // Journal records on_restart could not use: undecodable, or a certificate or checkpoint
  // proof that does not verify.
  uint64_t journal_ignored() const { return journal_ignored_; }
  // One line of internal state for traces (view, watermarks, slots above last_executed).
  std::string debug_string() const;

 private:
  struct VoteRec {
    Hash32 digest{};
    Bytes sig;
  };
  struct PCert {  // prepared certificate, internal form
    View view = 0;
    Hash32 digest{};
    BatchPtr batch;
    Bytes pp_sig;
    std::vector<SigOf> prepares;
  };
  struct CCert {  // commit certificate, internal form
    View view = 0;
    Hash32 digest{};
    BatchPtr batch;
    Bytes pp_sig;
    std::vector<SigOf> commits;
  };
  // Everything known about one sequence number. The pre-prepare and the votes belong to the
  // current view and are cleared when a new view is installed; the certificates survive.
  struct Slot {
    bool has_pp = false;
    Hash32 digest{};
    BatchPtr batch;
    Bytes pp_sig;
    std::map<NodeId, VoteRec> prepares, commits;
    bool sent_prepare = false, sent_commit = false, prepared = false;
    std::optional<PCert> pcert;  // highest-view prepared certificate
    std::optional<CCert> ccert;  // set once committed (locally or by a received certificate)
  };
  struct StoredVc {
    ViewChange msg;
    Bytes wire;
  };

  // replica.cpp
  void reject(Reject r);
  uint64_t backoff_ms() const;
  uint64_t retransmit_ms() const;
  bool waiting() const;     // work a backup expects the primary to finish
  bool unfinished() const;  // anything retransmission could still help with
  void update_timers();
  bool in_window(Seq n) const { return n > low_ && n <= low_ + cfg_.window; }
  void note_executed(const Hash32& d);
  BatchPtr find_batch(const Hash32& d) const;  // bytes held for digest d, or null

  // normal_case.cpp
  void propose_more();
  void propose(const Hash32& d, BatchPtr batch);
  void send_prepare(Seq n, Slot& s);
  void handle_pre_prepare(NodeId from, ByteView msg);
  void handle_vote(NodeId from, ByteView msg);
  void advance(Seq n);
  void try_execute();

  // checkpoints.cpp
  void after_execute(Seq k, const Hash32& state);
  void handle_checkpoint(NodeId from, ByteView msg);
  void handle_stable_proof(NodeId from, ByteView msg);
  void check_stable(Seq k);
  void adopt_stable(const CheckpointProof& proof);
  void report_stable(Seq k, const Hash32& state);  // Env::checkpoint_stable + checkpoint_certified
  void garbage_collect();

  // view_change.cpp
  void start_view_change(View target, const char* reason);
  void handle_view_change(NodeId from, ByteView msg);
  void handle_new_view(NodeId from, ByteView msg);
  void maybe_send_new_view();
  void install_new_view(View v, const NewViewPlan& plan, const std::vector<Bytes>& pp_sigs,
                        Bytes wire);

  // restart.cpp: the durable journal (journal.hpp). Each writes before the caller sends what
  // depends on it; unchanged records are not written again.
  void journal_view(const ViewRecord& r);  // the view promise
  // About to sign (v, n, d) as pre-prepare/prepare; the batch's bytes go with it when we hold them.
  void journal_vote(View v, Seq n, const Hash32& d, const BatchPtr& batch);
  bool vote_conflicts(View v, Seq n, const Hash32& d) const;  // signed another digest at (v, n)
  bool signed_elsewhere(View v, Seq n, const Hash32& d) const;  // signed d in v at a seq other than n
  // may_lean: leave the batch out when our vote record of n holds it.
  void journal_prepared(Seq n, const PCert& c, bool may_lean = true);
  void journal_stable(const CheckpointProof& p);
  void restore_journal(const RestartPoint& r);

  // retransmit.cpp
  void on_retransmit();
  void handle_status(NodeId from, ByteView msg);
  void handle_catchup(NodeId from, ByteView msg);
  const CCert* find_commit_cert(Seq k) const;

  Config cfg_;
  Crypto crypto_;
  Env& env_;

  View view_ = 0;
  bool in_vc_ = false;
  View vc_target_ = 0;
  uint32_t vc_attempts_ = 0;  // consecutive view changes without execution progress

  Seq low_ = 0;  // stable checkpoint = low watermark
  CheckpointProof stable_proof_;
  Seq last_exec_ = 0;
  Seq next_seq_ = 1;  // primary: next sequence number to assign

  std::map<Seq, Slot> slots_;
  std::map<Seq, CCert> retained_;  // executed and garbage-collected, kept to help laggards
  // Pre-prepared batches of views left behind, by seq and digest, until the stable checkpoint
  // passes them. A prepared batch was pre-prepared at 2f + 1 replicas, f + 1 of them correct;
  // each keeps the bytes, so a NEW-VIEW that names it by digest can be executed and passed on
  // (CATCHUP) to replicas that lack it.
  std::map<Seq, std::map<Hash32, BatchPtr>> old_batches_;
  std::map<Seq, Hash32> own_ckpt_;  // own state digest at checkpoint seqs >= low_
  // Checkpoints are signed only up to the proven prefix (Protocol::on_proven), so a stable
  // checkpoint implies its batches' proofs exist; unproven ones wait here.
  Seq proven_ = ~Seq{0};  // set in the constructor when the Env tracks proofs
  std::map<Seq, Hash32> unsigned_ckpt_;
  void sign_checkpoint(Seq k, const Hash32& state);
  std::map<Seq, std::map<NodeId, VoteRec>> ckpt_votes_;

  // Submitted batches not yet executed, in arrival order; deduplicated by digest.
  uint64_t arrival_ = 0;
  std::map<uint64_t, Hash32> pending_order_;
  std::map<Hash32, std::pair<uint64_t, BatchPtr>> pending_;
  std::set<Hash32> inflight_;  // primary: proposed in this view, not yet executed
  std::set<Hash32> executed_set_;
  std::map<uint64_t, Hash32> executed_fifo_;
  uint64_t executed_count_ = 0;

  std::map<NodeId, StoredVc> latest_vc_;  // highest valid VIEW-CHANGE per sender
  Bytes own_vc_wire_;
  Bytes nv_wire_;  // the NEW-VIEW that installed view_, relayed to replicas left behind

  bool vc_timer_ = false, nv_timer_ = false, rt_timer_ = false;
  bool executing_ = false, proposing_ = false, installing_ = false;
  Seq exec_at_last_rt_ = 0;
  std::map<NodeId, Seq> peer_exec_;  // last_executed each peer reported in its STATUS
  uint32_t stuck_rounds_ = 0;
  Seq transfer_requested_ = 0;

  // What this replica signed per seq (highest view): mirror of the journal's vote records.
  std::map<Seq, VoteRecord> signed_;
  // Seqs whose vote record holds its digest's batch, and those whose prepared record was written
  // without its batch because the vote record holds the same one (the batch is written once).
  std::set<Seq> vote_has_batch_, prepared_leans_on_vote_;
  ViewRecord journaled_view_;
  Seq journaled_stable_ = 0, journal_pruned_ = 0;
  uint64_t journal_ignored_ = 0;

  Stats stats_;
  std::array<uint64_t, static_cast<size_t>(Reject::kCount)> rejects_{};
};

}  // namespace rampart::consensus::pbft
