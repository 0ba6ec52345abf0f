// The durable journal (journal.hpp) and restart from the replica's own disk. A replica journals
// what it signed or promised before the message that depends on it is handed to the Env (which
// holds messages back until the record is durable); a restarted replica reads the journal back,
// so it never supports a second digest at a (view, k), never takes part in a view below one it
// promised, and still reports its view-committed entries in its VC-REQUESTs. See
// docs/protocols.md ("Durable journal").
#include <algorithm>

#include "consensus/poe/replica.hpp"

namespace rampart::consensus::poe {

// The view promise: called before the VC-REQUEST leaves (start_view_change) and when a view is
// installed (adopt), before any message of the new view.
void PoeReplica::journal_view() {
  ViewRecord r{view_, in_vc_, in_vc_ ? vc_target_ : 0};
  if (r == journaled_view_) return;
  journaled_view_ = r;
  env_.journal_put(0, static_cast<uint8_t>(JournalKind::view), encode_view_record(r));
}

// Before this replica signs (view_, k, d), as a backup's SUPPORT or the primary's PROPOSE: one
// record per k and view (a retransmission finds it and writes nothing). False if we signed
// another digest at (view_, k) (before a restart): then we sign nothing.
bool PoeReplica::sign_vote(Seq k, const Hash32& d) {
  auto it = signed_.find(k);
  if (it != signed_.end()) {
    if (it->second.view == view_) return it->second.digest == d;
    if (it->second.view > view_) return false;  // cannot happen: the view promise comes first
  }
  SupportRecord rec{view_, d};
  signed_[k] = rec;
  env_.journal_put(k, static_cast<uint8_t>(JournalKind::support), encode_support_record(k, rec));
  return true;
}

bool PoeReplica::vote_conflicts(Seq k, const Hash32& d) const {
  auto it = signed_.find(k);
  if (it == signed_.end() || it->second.view < view_) return false;
  return it->second.view > view_ || it->second.digest != d;
}

// The stable checkpoint moved (garbage_collect): record it with its proof, then drop the
// records it covers. A crash between the two leaves extra records, never missing ones.
void PoeReplica::journal_stable() {
  signed_.erase(signed_.begin(), signed_.upper_bound(stable_));
  if (stable_ <= journaled_stable_) return;
  journaled_stable_ = stable_;
  // Lazy: it only lets a restart start from this checkpoint; the prune after it is ordered
  // behind it in the same write-ahead log, so records are never pruned without it.
  env_.journal_put_lazy(0, static_cast<uint8_t>(JournalKind::stable),
                        encode_stable_record(StableRecord{stable_, stable_view_, stable_head_, stable_proof_}));
  env_.journal_prune(stable_);
}

// Restart from the replica's own disk (possibly the whole cluster at once): 1..r.k are final
// here, so we never order below r.k + 1. The stored checkpoint, if its proof verifies, becomes
// the low watermark; checkpoints we executed above it are signed again, so that after a
// whole-cluster restart (nobody holds them stable) nf replicas make the newest one stable and
// the window moves past r.k. Then the journal (restore_journal), which may come with r.k = 0.
void PoeReplica::on_restart(const RestartPoint& r) {
  if (stable_ != 0 || last_executed_ != 0 || final_ != 0 || !executed_.empty()) return;  // not fresh
  if (r.k == 0 && r.journal.empty()) return;  // nothing recovered
  if (r.k > 0) {
    std::vector<SigEntry> proof;
    for (const auto& s : r.checkpoint.sigs) proof.push_back({s.signer, s.sig});
    if (r.checkpoint.k > 0 && r.checkpoint.k <= r.k &&
        verify_checkpoint_proof(r.checkpoint.k, r.checkpoint.view, r.checkpoint.head, proof)) {
      stable_ = r.checkpoint.k;
      stable_view_ = r.checkpoint.view;
      stable_head_ = r.checkpoint.head;
      stable_proof_ = std::move(proof);
      executed_[stable_] = Executed{Hash32{}, stable_head_};
    }
    last_executed_ = r.k;
    final_ = r.k;
    if (proven_ != ~Seq{0}) proven_ = std::max(proven_, r.k);  // final on our disk: proven
    executed_[r.k] = Executed{Hash32{}, r.head};
    for (const auto& [j, head] : r.checkpoint_heads) {
      if (j <= stable_ || j > r.k || cfg_.checkpoint_interval == 0 || j % cfg_.checkpoint_interval != 0) continue;
      executed_[j] = Executed{Hash32{}, head};
    }
  }
  pending_.clear();
  queue_.clear();
  if (next_seq_ <= r.k) next_seq_ = r.k + 1;
  exec_at_last_tick_ = r.k;
  restore_journal(r);
  // Our checkpoint votes above the stable checkpoint go out once we are in a view again
  // (update_attestation signs the newest final one in it).
  if (!in_vc_) try_execute();
}

void PoeReplica::restore_journal(const RestartPoint& r) {
  if (r.journal.empty()) return;
  DecodedJournal j = decode_journal(r.journal, limits_);
  journal_ignored_ += j.ignored;

  // 1. The stable checkpoint the journal was pruned to: the records below it are gone, so it is
  //    our low watermark even if the snapshot on disk is older (we then ask for its state).
  if (j.stable) {
    const StableRecord& s = *j.stable;
    if (s.k == 0 || !verify_checkpoint_proof(s.k, s.v, s.head, s.proof)) {
      ++journal_ignored_;
    } else {
      journaled_stable_ = s.k;
      auto ex = executed_.find(s.k);
      const bool consistent = s.k > last_executed_ || (ex != executed_.end() && ex->second.head == s.head);
      // Not consistent: our own disk is final past it with heads it does not list; keep ours.
      if (s.k > stable_ && consistent) make_stable(s.k, s.v, s.head, s.proof);
    }
  }

  // 2. What we signed: never another digest at that (view, k). Signing in a view means we had
  //    installed it, so the votes also bound the view promise from below (if its record is lost).
  View installed = j.view ? j.view->view : 0;
  for (const auto& [k, v] : j.supports) {
    installed = std::max(installed, v.view);
    if (k > stable_) signed_[k] = v;
  }

  // 3. What we view-committed, for our next VC-REQUEST. Checked again like a peer's: a damaged
  //    disk must not make us vouch for a batch no quorum certified.
  for (auto& [k, c] : j.certified) {
    if (k <= stable_) continue;
    CommittedEntry& e = c.entry;
    if (!c.with_batch) {
      // Named by digest: the batch we executed at k, from our ledger. None there: we stopped
      // before the block was durable, so we never answered for k (replies wait for that
      // fsync) and forget the entry, like a replica the CERTIFY never reached.
      for (const auto& b : r.batches) {
        if (b.k == k && batch_digest(b.batch) == e.digest) {
          e.batch = b.batch;
          break;
        }
      }
      if (e.batch.empty()) {
        ++journal_unbacked_;
        continue;
      }
    }
    if ((c.with_batch && batch_digest(e.batch) != e.digest) || !verify_certificate(e.v, k, e.digest, e.cert)) {
      ++journal_ignored_;
      continue;
    }
    installed = std::max(installed, e.v);
    // Not executed yet: pending again (as after a rollback), so the progress timer watches it
    // and a view that does not keep it proposes it anew. Without this a whole-cluster restart
    // deadlocked: every replica held certified slots above a k whose batch nobody held any more
    // (supported, never certified, so not journaled with its batch), the clients' re-submitted
    // batches were known (in those slots), so nothing was pending and no timer ever ran.
    if (k > last_executed_ && !pending_.count(e.digest)) pending_[e.digest] = Pending{e.batch, next_order_++, 0};
    committed_[k] = std::move(e);
  }

  // 4. The view promise. No part in any view below it.
  journaled_view_ = j.view.value_or(ViewRecord{});
  const View target = j.view && j.view->in_view_change ? j.view->target : 0;
  if (target > installed) {
    // We had asked for `target`: resume that view change (our VC-REQUEST again, with the
    // restored entries; new_view timer and joins as before the crash).
    view_ = installed;
    if (view_ > 0) env_.view_changed(view_, cfg_.primary_of(view_));
    start_view_change(target, "restart");
  } else if (installed > 0) {
    // We were in view `installed`: re-enter it with the NV-PROPOSE that installed it (adopt
    // journaled it before the view promise). adopt() then puts back the certificates of that
    // view we journaled (resume_own_slots), and we go on where we stopped, alone or after a
    // whole-cluster crash. A view must never get a second history: our own requests for it
    // could not report its certificates (a request for w carries views below w only).
    // Without a usable record (a damaged disk) we ask for the next view, whose requests
    // report everything we hold.
    if (!(j.new_view && reenter_view(installed, *j.new_view))) {
      view_ = installed;
      env_.view_changed(view_, cfg_.primary_of(view_));
      start_view_change(installed + 1, "restart");
    }
  } else {
    // View 0 keeps no history: we are back in it as before the crash.
    const bool hole = resume_own_slots();
    try_execute();
    update_progress_timer(false);
    if (hole && !in_vc_) start_view_change(1, "proposal_hole");  // as in adopt(): view 0 cannot complete
  }
}

// Back into view v after a restart, with the history of the NV-PROPOSE that installed it,
// checked like a received one. False (nothing changed) if the record does not install v.
bool PoeReplica::reenter_view(View v, const Bytes& nv_wire) {
  auto m = decode_nv_propose(nv_wire, limits_);
  if (!m || m->v != v) {
    ++journal_ignored_;
    return false;
  }
  auto h = nv_history(*m);
  if (!h) {
    ++journal_ignored_;
    return false;
  }
  journaled_nv_view_ = v;  // already on disk
  view_ = v - 1;
  return adopt(v, *h, nv_wire);
}

// Entering view_ after a restart (or any adopt; it finds nothing then): our journaled
// certificates of view_ go back into their slots, to be executed in turn. As primary, every k we
// proposed in view_ is ours again with the digest we signed, so we never propose another batch
// there. A proposal above our execution whose batch we do not hold any more (only certificates
// carry batches in the journal) is a hole: we cannot re-send it, nor execute it if the backups'
// SUPPORTs still certify it (our own share is back in the slot for that), so the caller asks
// for the next view (returns true).
bool PoeReplica::resume_own_slots() {
  for (const auto& [k, e] : committed_) {
    if (e.v != view_ || k <= stable_) continue;
    Slot& s = slots_[k];
    s.certified = true;
    s.cert_digest = e.digest;
    s.cert = e.cert;
    s.batches[e.digest] = e.batch;
  }
  if (cfg_.primary_of(view_) != cfg_.self) return false;
  bool hole = false;
  for (const auto& [k, v] : signed_) {
    if (v.view != view_ || k <= stable_) continue;
    next_seq_ = std::max(next_seq_, k + 1);
    if (k <= last_executed_) continue;
    Slot& s = slots_[k];
    if (!s.accepted) {
      s.accepted = true;
      s.digest = v.digest;
      Bytes stmt = support_statement(view_, k, v.digest);
      s.votes[cfg_.self] = {v.digest, cfg_.mac_variant ? crypto_.signer->sign(stmt) : crypto_.tsigner->sign_share(stmt)};
    }
    if (!s.certified && !s.batches.count(s.digest)) hole = true;
  }
  return hole;
}

}  // namespace rampart::consensus::poe
