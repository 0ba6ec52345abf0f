#pragma once
// The safety and liveness invariants the simulator checks. The simulator reports every
// execution, rollback, finalisation, stable checkpoint and client acceptance as it happens, so
// a violation is caught at the step that causes it. Kept separate from the simulator so tests
// can feed it broken histories directly and prove that each check fires.
//
//  1. agreement   no two correct replicas hold different batches (or results) at k as final;
//  2. durability  no result a client accepted (nf matching replies) is ever replaced: a correct
//                 replica never executes a different result at an accepted k (one executed in a
//                 view below the accepted result's, a dead view, must instead be rolled back by the
//                 end and never become final: see on_execute), the final batch at
//                 k is the accepted one, and every correct replica's history still holds it at
//                 the end (a rollback that is not followed by the identical re-execution fails);
//  3. at-most-once every (client, seq) executes at most once in a correct replica's final history;
//  4. checkpoints correct replicas' stable checkpoint heads agree at every k, and equal the
//                 ledger head (history 1..k, ExecResult::head) each of them computed at k;
//  5. liveness    (checked by the simulator at the end) every request completes after faults stop;
//  6. broker path every (client, payload) a broker's batch carried executes at most once over the
//                 whole run: in the agreed final history it sits at one k only (whatever crashes,
//                 replays and resubmissions happen); and no correct replica ever executes, even
//                 speculatively, a payload of a batch that had to be refused (forbid).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.hpp"

namespace rampart::sim {

using Seq = uint64_t;
using ReplicaId = uint32_t;

class InvariantChecker {
 public:
  explicit InvariantChecker(uint32_t n) : replicas_(n) {}

  // Byzantine replicas are not checked (they may claim anything); crash-faulty ones are.
  void set_correct(ReplicaId r, bool correct) { replicas_.at(r).correct = correct; }

  // executed: the (client, seq) pairs this batch actually executed (not cache answers).
  // view: the view the replica executed it in. A different result at an accepted k fails at
  // once, unless it was executed in a view below every view a correct replica executed the
  // accepted result in: that is speculation of a dead view (a replica that has not learnt of
  // the later view yet, e.g. after a restart, executing an old view's certificate the new
  // view dropped), which it must roll back; like a contradiction executed before the client
  // accepted, it keeps the run going (unsettled) and fails if final or still held at the end.
  void on_execute(ReplicaId r, Seq k, const Hash32& batch, const Hash32& root, const Hash32& head,
                  std::vector<std::pair<uint64_t, uint64_t>> executed, uint64_t view = 0,
                  std::vector<std::pair<uint64_t, Hash32>> brokered = {});
  // brokered: the broker path's entries the batch executed, as (client, hash of the payload).
  // A payload only a forged batch carried (wrong aggregate, forged straggler, ...): never to run.
  void forbid(uint64_t client, const Hash32& payload) { forbidden_.emplace(client, payload); }
  void on_rollback(ReplicaId r, Seq k);
  void on_final(ReplicaId r, Seq k);
  // The replica installed a verified snapshot of stable checkpoint k (state transfer/restart).
  void on_state_installed(ReplicaId r, Seq k, const Hash32& head);
  // The replica lost its volatile state (crash): history restarts empty at `from`.
  void on_reset(ReplicaId r, Seq from);
  void on_checkpoint_stable(ReplicaId r, Seq k, const Hash32& digest);
  // view: the view the result was proven in (~0: unknown; the lowest view a correct replica
  // executed it in stands for it).
  void on_accept(uint64_t client, uint64_t seq, Seq k, const Hash32& root, uint64_t view = ~uint64_t{0});
  // A proof of execution formed for results root at k (nf shares of one view): any client could
  // hold it, so it is checked as if one accepted it.
  void on_proof(Seq k, const Hash32& root, uint64_t view = ~uint64_t{0});
  void note_proof_view(Seq k, const Hash32& root, uint64_t view);
  // End-of-run checks (durability of accepted results in every correct history).
  void check_end();
  // Some correct replica rolled back an accepted result and has not executed it again (nor
  // installed a checkpoint covering it) yet, or still holds a speculative (not final) result
  // at an accepted k that differs from the accepted one (it executed a dropped branch and has
  // not learnt of the later view yet, so it has not rolled it back). The simulator keeps
  // running while this holds, up to the liveness bound, so that a replica that merely lags
  // when the clients finish is given the time to roll back and re-execute; check_end then
  // fails whatever is still outstanding.
  bool unsettled() const;
  // Liveness and other simulator-level findings.
  void report(std::string violation) { violations_.push_back(std::move(violation)); }

  bool ok() const { return violations_.empty(); }
  const std::vector<std::string>& violations() const { return violations_; }
  size_t accepted() const { return accepted_.size(); }
  Seq max_final() const { return final_.empty() ? 0 : final_.rbegin()->first; }
  // The batch digest final at k (as first finalised by a correct replica), if any is.
  std::optional<Hash32> final_batch(Seq k) const {
    auto it = final_.find(k);
    return it == final_.end() ? std::nullopt : std::optional<Hash32>(it->second.first);
  }

 private:
  struct Rec {
    Hash32 batch, root, head;
    std::vector<std::pair<uint64_t, uint64_t>> executed;
    std::vector<std::pair<uint64_t, Hash32>> brokered;
  };
  struct ReplicaView {
    bool correct = true;
    std::map<Seq, Rec> history;  // executed, not yet pruned; rollback erases above k
    Seq last = 0;
    Seq final_point = 0;  // final(k) seen up to here
    Seq checked_final = 0;  // history up to here was checked as final
    std::set<std::pair<uint64_t, uint64_t>> final_requests;
    std::set<Seq> rolled_back_accepted;  // accepted k rolled back, not yet re-executed
  };
  void check_final_upto(ReplicaId r);
  void accept(Seq k, const Hash32& root, const std::string& who);
  void fail(std::string v);

  std::vector<ReplicaView> replicas_;
  std::map<Seq, std::pair<Hash32, Hash32>> final_;  // k -> (batch, root) as first finalised
  std::map<Seq, Hash32> accepted_;                  // k -> results root a client accepted
  // (k, results root) -> lowest view a correct replica executed that result at k in.
  std::map<std::pair<Seq, Hash32>, uint64_t> result_views_;
  std::map<std::pair<Seq, Hash32>, uint64_t> proof_views_;  // lowest view an accepted result was proven in
  std::map<Seq, Hash32> checkpoints_;               // k -> stable digest
  std::set<std::pair<uint64_t, Hash32>> forbidden_;
  std::map<std::pair<uint64_t, Hash32>, Seq> brokered_final_;  // (client, payload) -> the final k it ran at
  std::vector<std::string> violations_;
};

std::string short_hex(const Hash32& h);

}  // namespace rampart::sim
