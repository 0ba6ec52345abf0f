#pragma once
// The PoE replica state machine (sans-IO). Internal to the poe library; the rest of Rampart
// sees it only through make_poe() and the Protocol interface.
//
// Files: replica.cpp (dispatch, submit, timers), normal_case.cpp (PROPOSE/SUPPORT/CERTIFY,
// execution), checkpoint.cpp (CHECKPOINT, stable checkpoints, GC, state transfer hook),
// view_change.cpp (VC-REQUEST, NV-PROPOSE, history selection, rollback), batches.cpp (batch
// bytes by digest across view changes, Want), restart.cpp (the
// durable journal and restart from the replica's own disk; encodings in journal.hpp).
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "consensus/poe/journal.hpp"
#include "consensus/poe/messages.hpp"
#include "consensus/protocol.hpp"

namespace rampart::consensus::poe {

class PoeReplica final : public Protocol {
 public:
  PoeReplica(const Config& cfg, Crypto crypto, Env& env);

  void start() override;
  void submit(Bytes batch) override;
  void withdraw(ByteView batch) override;
  void on_message(NodeId from, ByteView msg) override;
  void on_timer(TimerKind t) override;
  void on_state_transferred(Seq k, const Hash32& head) override;
  void on_proven(Seq k) override;
  void on_restart(const RestartPoint& r) override;
  bool verify_checkpoint(const CheckpointCert& cert) const override;
  bool is_primary() const override { return !in_vc_ && cfg_.primary_of(view_) == cfg_.self; }
  bool has_pending() const override { return !pending_.empty(); }
  void client_waits() override;
  Stats stats() const override;
  std::string name() const override { return cfg_.mac_variant ? "poe-mac" : "poe"; }
  // Journal records a restart found unusable (undecodable, bad certificate or proof): ignored.
  uint64_t journal_ignored() const { return journal_ignored_; }
  // Certified records whose batch the ledger did not hold (the replica stopped before its
  // block of k was durable, so it never answered for k): dropped on restart.
  uint64_t journal_unbacked() const { return journal_unbacked_; }

 private:
  // One sequence number in the current view. Reset on every view change.
  struct Slot {
    bool accepted = false;  // this replica accepted (and supported) a proposal for (view_, k)
    Hash32 digest{};        // ... with this digest
    std::map<Hash32, Bytes> batches;  // batch bytes for the accepted and the certified digest
    std::map<NodeId, std::pair<Hash32, Bytes>> votes;  // SUPPORTs received in view_ (one per sender)
    bool certified = false;  // view-committed in view_
    Hash32 cert_digest{};
    Certificate cert;
    uint32_t ticks = 0;  // retransmit ticks seen while open
    bool sent_unchecked = false;  // the primary sent a CERTIFY before checking it (try_certify)
  };
  struct Executed {
    Hash32 digest{};
    Hash32 head{};  // ledger head after k (ExecResult::head)
  };
  struct CkptVote {
    View v = 0;
    Hash32 head{};
    Bytes sig;
  };
  struct Pending {
    Bytes batch;
    uint64_t order = 0;  // submission order, so re-queued batches keep it
    uint32_t ticks = 0;
    NodeId from = kOurs;  // the backup that forwarded it (FORWARD), or kOurs
  };
  static constexpr NodeId kOurs = ~NodeId{0};
  struct StoredVc {
    VcRequest req;
    Bytes raw;
    uint32_t repeats = 0;  // retransmissions seen while we stayed in view_ (lone requester)
  };
  struct History {
    Seq ckpt = 0;
    View ckpt_view = 0;
    Hash32 ckpt_head{};
    std::vector<SigEntry> ckpt_proof;
    std::vector<CommittedEntry> entries;  // ckpt+1, ckpt+2, ... without gaps
  };

  // replica.cpp
  void reject() { ++stats_.rejected_messages; }
  uint64_t timeout_ms() const;
  void update_progress_timer(bool progressed);
  bool in_window(Seq k) const { return k > stable_ && k <= stable_ + cfg_.window; }
  void on_forward(NodeId from, ByteView msg);
  bool known_batch(const Hash32& d) const;
  bool in_open_slot(const Hash32& d) const;
  void retransmit();

  // batches.cpp: batch bytes by digest across view changes (VC-REQUESTs carry only digests)
  const Bytes* find_batch(const Hash32& d) const;
  void keep_slot_batches();
  void on_want(NodeId from, ByteView msg);
  void take_wanted(const Hash32& d, Bytes batch);

  // normal_case.cpp
  void propose_more();
  bool propose(Seq k, const Bytes& batch);
  void on_propose(NodeId from, ByteView msg);
  void on_support(NodeId from, ByteView msg);
  void on_certify(NodeId from, ByteView msg);
  void on_fetch(NodeId from, ByteView msg);
  void send_support(Seq k, const Slot& s);
  void resend_support(NodeId to, Seq k, const Slot& s);
  void send_stable_to(NodeId to);
  void later_view_support(NodeId from, const Support& m);
  bool later_view_is_news(NodeId from, View v) const;
  void later_view_vote(NodeId from, View v, const char* reason);  // verified by the caller
  void try_certify(Seq k);
  void certify(Seq k, const Hash32& digest, Certificate cert);
  // A certificate of our view contradicts the history we installed for it: follow the
  // certificates (false: it contradicts a final entry, which at most f faults cannot cause).
  bool follow_view_certificate(Seq k, const Hash32& digest);
  void record_committed(Seq k);
  void try_execute();
  void update_attestation();
  void vote_checkpoints();  // CHECKPOINT for what we vouch for in view_ and hold proofs of
  bool verify_certificate(View v, Seq k, const Hash32& d, const Certificate& c) const;

  // checkpoint.cpp
  void send_checkpoint(Seq k, const Hash32& head);
  void on_checkpoint(NodeId from, ByteView msg);
  void on_stable(NodeId from, ByteView msg);
  void check_stable(Seq k);
  void catch_up_if_stuck();
  void make_stable(Seq k, View v, const Hash32& head, std::vector<SigEntry> proof);
  void abandon_view();
  void finalize_stable();
  void undo_to(Seq keep_to);
  void garbage_collect();
  bool verify_checkpoint_proof(Seq k, View v, const Hash32& head,
                               const std::vector<SigEntry>& proof) const;

  // restart.cpp: the durable journal (see journal.hpp)
  void journal_view();
  bool sign_vote(Seq k, const Hash32& d);  // false: we signed another digest at (view_, k)
  bool vote_conflicts(Seq k, const Hash32& d) const;
  void journal_stable();
  void restore_journal(const RestartPoint& r);
  bool resume_own_slots();  // true: as primary we proposed in view_ a batch we no longer hold

  // view_change.cpp
  void start_view_change(View w, const char* reason);
  void relay_view(NodeId to);
  void on_vc_request(NodeId from, ByteView msg);
  void on_nv_propose(NodeId from, ByteView msg);
  bool validate_vc(const VcRequest& m) const;
  void maybe_send_nv(View w);
  void arm_new_view_timer();
  History select_history(const std::vector<VcRequest>& reqs) const;
  std::optional<History> nv_history(const NvPropose& m) const;
  bool adopt(View w, const History& h, ByteView nv_wire);
  bool reenter_view(View v, const Bytes& nv_wire);  // restart.cpp

  Config cfg_;
  Crypto crypto_;
  Env& env_;
  Limits limits_;
  Stats stats_{};

  View view_ = 0;
  bool in_vc_ = false;
  View vc_target_ = 0;
  // Back-off exponent: our own timers that expired (progress, new view) since the backlog was
  // last empty, or since a view change completed with nothing pending.
  uint32_t failures_ = 0;
  bool progress_armed_ = false;
  bool new_view_armed_ = false;
  uint64_t timed_order_ = 0;  // submission order of the oldest pending batch when armed
  Seq exec_at_arm_ = 0;       // last_executed_ when the progress timer was (re-)armed
  uint32_t patience_ = 0;     // expiries forgiven for the same oldest batch (replica.cpp)

  Seq stable_ = 0;  // low watermark: latest stable checkpoint (proof held)
  View stable_view_ = 0;
  Hash32 stable_head_{};
  std::vector<SigEntry> stable_proof_;
  Seq final_ = 0;  // highest k passed to Env::final (never rolled back)
  Seq last_executed_ = 0;  // < stable_ only while waiting for state transfer

  std::map<Seq, Slot> slots_;                 // current view
  std::map<Seq, CommittedEntry> committed_;   // highest-view certificate per k > stable_
  std::map<Seq, Executed> executed_;          // k in (stable_, last_executed_]
  std::map<Hash32, Seq> executed_index_;      // digest -> k, for dedup (4 windows deep)
  std::map<Seq, Hash32> fixed_;               // new-view history the current view must keep
  // Checkpoint votes per k, the latest (highest view) per sender: a correct replica signs k again
  // in each view it attests k in, and a vote of a later view replaces the earlier one.
  std::map<Seq, std::map<NodeId, CkptVote>> ckpt_votes_;
  // How far this replica vouches (Env::attested): every k <= attest_upto_ is executed and, above
  // the stable checkpoint, certified in view attest_view_ (== view_ outside a view change).
  View attest_view_ = ~View{0};  // none yet
  Seq attest_upto_ = 0;
  // Checkpoints are signed up to min(attest_upto_, proven_), each once per view.
  Seq proven_ = ~Seq{0};  // set in the constructor when the Env tracks proofs
  View ckpt_voted_view_ = ~View{0};
  Seq ckpt_voted_upto_ = 0;
  std::optional<Checkpoint> own_ckpt_;        // latest own CHECKPOINT, for retransmission
  Seq exec_at_last_tick_ = 0;                 // last_executed_ at the previous retransmit tick
  uint32_t stuck_ticks_ = 0;                  // ticks without execution progress
  uint32_t own_ckpt_ticks_ = 0;

  // Primary side.
  Seq next_seq_ = 1;
  std::deque<Hash32> queue_;
  std::map<Hash32, Pending> pending_;  // submitted, not yet executed (every replica)
  uint64_t next_order_ = 0;

  // View change.
  std::map<NodeId, StoredVc> vc_store_;  // latest valid VC-REQUEST per sender
  Bytes own_vc_msg_;
  std::set<NodeId> relayed_;  // senders handed nv_msg_ since the last retransmit tick
  Bytes nv_msg_;  // the NV-PROPOSE that installed view_ (new primary keeps it to resend)
  std::set<NodeId> stable_sent_;  // sent our STABLE proof since the last retransmit tick
  std::map<NodeId, View> later_views_;  // highest later view each sender validly voted in (SUPPORT, CHECKPOINT)
  // Senders of a SUPPORT share found bad: left out of the primary's unchecked combinations
  // (try_certify), so a Byzantine backup cannot make every slot's first CERTIFY a dud.
  std::set<NodeId> bad_share_senders_;

  // Batches by digest (batches.cpp). A certified batch was accepted by f+1 correct replicas;
  // each keeps its bytes until the stable checkpoint passes k, whatever views come between,
  // so a new primary that lacks a batch of its history can get it from one of them.
  std::map<Seq, std::map<Hash32, Bytes>> old_batches_;  // from slots and certificates of left views
  std::map<Hash32, Seq> wanted_;  // the primary's kept history it holds no batch for yet
  std::map<Hash32, Seq> nv_wanted_;  // batches requests for our new view name, which we lack
  bool nv_want_sent_ = false;        // asked for them since the last retransmit tick
  std::set<NodeId> want_answered_;  // answered a Want since the last retransmit tick
  std::set<NodeId> fetch_answered_;  // answered a Fetch since the last retransmit tick
  bool probed_ = false;  // sent a client_waits() FETCH since the last retransmit tick

  // Durable journal (restart.cpp).
  ViewRecord journaled_view_;
  View journaled_nv_view_ = 0;  // view of the journaled NV-PROPOSE (0: none)
  Seq journaled_stable_ = 0;
  std::map<Seq, SupportRecord> signed_;  // k > stable_ -> latest (view, digest) signed at k
  uint64_t journal_ignored_ = 0;
  uint64_t journal_unbacked_ = 0;
};

}  // namespace rampart::consensus::poe
