// The durable journal (journal.hpp) and restart from the replica's own disk. A replica journals
// what it signed or promised before the message that depends on it leaves (the Env holds
// messages back until the record is durable); a restarted replica reads the journal back, so it
// never signs a second digest at a (view, seq), never takes part in a view below one it
// promised, and still reports its prepared certificates in its VIEW-CHANGEs.
#include <algorithm>

#include "consensus/pbft/digest.hpp"
#include "consensus/pbft/replica.hpp"

namespace rampart::consensus::pbft {

void PbftReplica::journal_view(const ViewRecord& r) {
  if (r == journaled_view_) return;
  journaled_view_ = r;
  env_.journal_put(0, static_cast<uint8_t>(JournalKind::view), encode_view_record(r));
}

bool PbftReplica::signed_elsewhere(View v, Seq n, const Hash32& d) const {
  if (d == null_digest()) return false;
  for (const auto& [m, rec] : signed_)
    if (m != n && rec.view == v && rec.digest == d) return true;
  return false;
}

// The batch is written with the vote: a PREPARE (or PRE-PREPARE) may help form a prepared
// certificate we never see, which a Byzantine replica can report in a VIEW-CHANGE after a
// whole-cluster crash; the NEW-VIEW must then re-propose its digest, and only the f + 1 correct
// replicas among its signers can supply the bytes (sim pbft f=1 seed 361197688: nobody could,
// and every later view stalled on that seq).
void PbftReplica::journal_vote(View v, Seq n, const Hash32& d, const BatchPtr& batch) {
  VoteRecord rec{v, d};
  auto it = signed_.find(n);
  if (it != signed_.end() && it->second == rec) return;  // the same vote again (retransmission)
  const bool with_batch = batch && !batch->empty();
  // The prepared record of n borrows this record's batch: before it is replaced by one without
  // that batch, the prepared record is written again whole.
  if (prepared_leans_on_vote_.count(n) && !(with_batch && it != signed_.end() && it->second.digest == d)) {
    if (auto s = slots_.find(n); s != slots_.end() && s->second.pcert) journal_prepared(n, *s->second.pcert, false);
    prepared_leans_on_vote_.erase(n);
  }
  signed_[n] = rec;
  if (with_batch) {
    vote_has_batch_.insert(n);
  } else {
    vote_has_batch_.erase(n);
  }
  env_.journal_put(n, static_cast<uint8_t>(JournalKind::vote),
                   encode_vote_record(n, rec, with_batch ? ByteView(*batch) : ByteView{}));
}

bool PbftReplica::vote_conflicts(View v, Seq n, const Hash32& d) const {
  auto it = signed_.find(n);
  return it != signed_.end() && it->second.view == v && it->second.digest != d;
}

// The batch (~220 KB) is written once per seq: when the vote record of n already holds it (we
// pre-prepared or prepared it in this view), the prepared record leaves it out and restore
// takes it from there.
void PbftReplica::journal_prepared(Seq n, const PCert& c, bool may_lean) {
  auto v = signed_.find(n);
  const bool lean = may_lean && c.batch && vote_has_batch_.count(n) && v != signed_.end() && v->second.digest == c.digest;
  if (lean) {
    prepared_leans_on_vote_.insert(n);
  } else {
    prepared_leans_on_vote_.erase(n);
  }
  env_.journal_put(n, static_cast<uint8_t>(JournalKind::prepared),
                   encode_prepared_record(n, c.view, c.digest, c.pp_sig, c.prepares,
                                          c.batch && !lean ? ByteView(*c.batch) : ByteView{}));
}

void PbftReplica::journal_stable(const CheckpointProof& p) {
  if (p.seq <= journaled_stable_) return;
  journaled_stable_ = p.seq;
  // Lazy (no message waits for it): the prune that follows is ordered behind it in the same
  // write-ahead log, so records are never pruned without it.
  env_.journal_put_lazy(0, static_cast<uint8_t>(JournalKind::stable), encode_stable_record(p));
}

// Restart from the replica's own disk (possibly the whole cluster at once): 1..r.k are final
// here, so nothing at or below r.k is ordered again. The stored checkpoint, if its proof
// verifies, becomes the low watermark; the newest checkpoint we executed above it is signed
// again, so that after a whole-cluster restart nf replicas make it stable and the window moves.
// Then the journal: the view promise, the votes and the prepared certificates (re-verified).
void PbftReplica::on_restart(const RestartPoint& r) {
  if (last_exec_ != 0 || low_ != 0) return;   // not fresh
  if (r.k == 0 && r.journal.empty()) return;  // nothing recovered
  CheckpointProof p{r.checkpoint.k, r.checkpoint.head, {}};
  for (const auto& s : r.checkpoint.sigs) p.sigs.push_back({s.signer, s.sig});
  if (p.seq > 0 && p.seq <= r.k && verify_checkpoint_proof(cfg_, *crypto_.verifier, p)) {
    low_ = p.seq;
    stable_proof_ = p;
    own_ckpt_[low_] = p.state;
  }
  last_exec_ = r.k;
  if (proven_ != ~Seq{0}) proven_ = std::max(proven_, r.k);  // final on our disk: proven
  exec_at_last_rt_ = r.k;
  if (next_seq_ <= r.k) next_seq_ = r.k + 1;
  restore_journal(r);
  Seq newest = 0;
  for (const auto& [j, st] : r.checkpoint_heads) {
    if (j <= low_ || j > r.k || j % cfg_.checkpoint_interval != 0) continue;
    own_ckpt_[j] = st;
    newest = std::max(newest, j);
  }
  if (newest > 0 && in_window(newest)) {
    const Hash32 st = own_ckpt_[newest];
    Checkpoint c{newest, st, cfg_.self, {}};
    c.sig = crypto_.signer->sign(checkpoint_body(newest, st, cfg_.self));
    ckpt_votes_[newest][cfg_.self] = {st, c.sig};
    env_.broadcast(encode_checkpoint(c));
    check_stable(newest);
  }
  // We were in a view change: send the VIEW-CHANGE again (with the restored certificates).
  if (journaled_view_.in_view_change) start_view_change(journaled_view_.target, "restart");
  garbage_collect();
  update_timers();
}

void PbftReplica::restore_journal(const RestartPoint& r) {
  if (r.journal.empty()) return;
  DecodedJournal j = decode_journal(r.journal);
  journal_ignored_ += j.ignored;
  // The stable checkpoint the journal was pruned to: it stands for the records below it, so
  // it is our low watermark even if the snapshot on disk is older (we then catch up).
  if (j.stable && j.stable->seq > 0) {
    if (!verify_checkpoint_proof(cfg_, *crypto_.verifier, *j.stable)) {
      ++journal_ignored_;
    } else {
      journaled_stable_ = journal_pruned_ = j.stable->seq;
      if (j.stable->seq > low_) {
        low_ = j.stable->seq;
        stable_proof_ = std::move(*j.stable);
        if (low_ == last_exec_) own_ckpt_[low_] = r.head;
      }
    }
  }
  // The view promise: no part in any view below it.
  if (j.view) {
    view_ = j.view->view;
    journaled_view_ = *j.view;
    if (view_ > 0) env_.view_changed(view_, cfg_.primary_of(view_));
    // The NEW-VIEW that installed it, to relay (receivers check it in full).
    if (j.new_view && view_ > 0) {
      auto nv = decode_new_view(*j.new_view);
      if (nv && nv->view == view_) {
        nv_wire_ = std::move(*j.new_view);
      } else {
        ++journal_ignored_;
      }
    }
  }
  std::map<Seq, BatchPtr> voted;  // the batches our vote records hold (checked: a damaged disk)
  for (auto& [n, v] : j.votes) {
    if (n <= low_) continue;
    signed_[n] = v.vote;
    if (v.batch.empty() || batch_digest(v.batch) != v.vote.digest) continue;
    vote_has_batch_.insert(n);
    voted[n] = std::make_shared<const Bytes>(std::move(v.batch));
    // The bytes we voted for, should a NEW-VIEW re-propose the digest.
    old_batches_[n].try_emplace(v.vote.digest, voted[n]);
  }
  const bool primary = cfg_.primary_of(view_) == cfg_.self;
  const bool in_view = !journaled_view_.in_view_change;
  std::vector<Seq> rejoined;
  for (auto& [n, c] : j.prepared) {
    if (n <= low_) continue;
    // A damaged disk must not make us vouch for garbage: every certificate is checked again.
    // An empty batch with another digest than the null request's: prepared by digest after a
    // NEW-VIEW, the bytes never arrived (null pointer, as before the crash).
    // The batch left out because our vote record of n holds it (journal_prepared).
    BatchPtr lent;
    if (c.batch.empty() && c.digest != null_digest()) {
      if (auto v = voted.find(n); v != voted.end() && signed_[n].digest == c.digest) {
        lent = v->second;
        prepared_leans_on_vote_.insert(n);
      }
    }
    const bool without_batch = !lent && c.batch.empty() && c.digest != null_digest();
    if (!verify_prepared(cfg_, *crypto_.verifier, c) || (!without_batch && !lent && batch_digest(c.batch) != c.digest)) {
      ++journal_ignored_;
      continue;
    }
    Slot& s = slots_[n];
    BatchPtr batch = lent ? lent : without_batch ? nullptr : std::make_shared<const Bytes>(std::move(c.batch));
    s.pcert = PCert{c.view, c.digest, batch, std::move(c.pp_sig), std::move(c.prepares)};
    if (!in_view || c.view != view_ || vote_conflicts(view_, n, c.digest)) continue;
    // Prepared in the view we are still in: back in the slot as before the crash.
    s.has_pp = true;
    s.digest = c.digest;
    s.batch = batch;
    s.pp_sig = s.pcert->pp_sig;
    for (const auto& sig : s.pcert->prepares) s.prepares[sig.id] = {c.digest, sig.sig};
    if (primary) {
      if (n > last_exec_) inflight_.insert(c.digest);
    } else {
      journal_vote(view_, n, c.digest, batch);  // no-op unless the vote record was lost
      if (!s.prepares.count(cfg_.self))
        s.prepares[cfg_.self] = {c.digest, crypto_.signer->sign(vote_body(MsgType::prepare, view_,
                                                                          n, c.digest, cfg_.self))};
      s.sent_prepare = true;
    }
    s.prepared = true;
    rejoined.push_back(n);
  }
  // As primary of the view we are in, never pre-prepare again at a seq we signed in it.
  if (primary && in_view)
    for (const auto& [n, v] : signed_)
      if (v.view == view_) next_seq_ = std::max(next_seq_, n + 1);
  // Our COMMITs for the slots we are back in (the certificate is on disk: they may leave).
  for (Seq n : rejoined) {
    Slot& s = slots_[n];
    Vote c{MsgType::commit, view_, n, s.digest, cfg_.self, {}};
    c.sig = crypto_.signer->sign(vote_body(c.type, c.view, n, c.digest, cfg_.self));
    s.commits[cfg_.self] = {s.digest, c.sig};
    s.sent_commit = true;
    env_.broadcast(encode_vote(c));
  }
}

}  // namespace rampart::consensus::pbft
