// PBFT normal case: PRE-PREPARE from the primary, PREPARE all-to-all (prepared at the
// pre-prepare plus 2f matching prepares), COMMIT all-to-all (committed at nf matching commits),
// execution in sequence order.
#include "consensus/pbft/digest.hpp"
#include "consensus/pbft/replica.hpp"

namespace rampart::consensus::pbft {

void PbftReplica::propose_more() {
  // A primary that lags below the stable checkpoint catches up first: what it would propose
  // may already be ordered in the part it has not executed.
  if (proposing_ || installing_ || !is_primary() || last_exec_ < low_) return;
  proposing_ = true;
  // Snapshot the queue: proposing may execute (f = 0) and so change it.
  std::vector<Hash32> queue;
  for (const auto& [a, d] : pending_order_)
    if (!inflight_.count(d)) queue.push_back(d);
  for (const Hash32& d : queue) {
    // Keep at most max_inflight proposals open, and stay inside the watermark window.
    if (next_seq_ > last_exec_ + cfg_.max_inflight || !in_window(next_seq_)) break;
    auto it = pending_.find(d);
    if (it == pending_.end() || inflight_.count(d) || signed_elsewhere(view_, 0, d)) continue;
    propose(d, it->second.second);
  }
  proposing_ = false;
}

void PbftReplica::propose(const Hash32& d, BatchPtr batch) {
  Seq n = next_seq_++;
  Slot& s = slots_[n];
  s.has_pp = true;
  s.digest = d;
  s.batch = batch;
  journal_vote(view_, n, d, batch);  // never another batch at (view_, n), even after a crash
  s.pp_sig = crypto_.signer->sign(pre_prepare_body(view_, n, d));
  inflight_.insert(d);
  env_.broadcast(encode_pre_prepare({view_, n, d, s.pp_sig, *batch}));
  advance(n);
}

void PbftReplica::send_prepare(Seq n, Slot& s) {
  journal_vote(view_, n, s.digest, s.batch);
  Vote v{MsgType::prepare, view_, n, s.digest, cfg_.self, {}};
  v.sig = crypto_.signer->sign(vote_body(v.type, v.view, n, v.digest, cfg_.self));
  s.prepares[cfg_.self] = {s.digest, v.sig};
  s.sent_prepare = true;
  env_.broadcast(encode_vote(v));
}

void PbftReplica::handle_pre_prepare(NodeId from, ByteView msg) {
  auto m = decode_pre_prepare(msg);
  if (!m.ok()) return reject(Reject::decode);
  if (in_vc_ || m->view != view_) return reject(Reject::wrong_view);
  NodeId primary = cfg_.primary_of(view_);
  if (from != primary) return reject(Reject::wrong_sender);
  if (!in_window(m->seq)) return reject(Reject::out_of_window);
  if (!crypto_.verifier->verify(primary, pre_prepare_body(m->view, m->seq, m->digest), m->sig))
    return reject(Reject::bad_signature);
  if (batch_digest(m->batch) != m->digest) return reject(Reject::invalid);
  auto it = slots_.find(m->seq);
  if (it != slots_.end()) {
    const Slot& s = it->second;
    if (s.has_pp) return reject(s.digest == m->digest ? Reject::duplicate : Reject::conflict);
    if (s.ccert && s.ccert->digest != m->digest) return reject(Reject::conflict);
  }
  // What we signed at (view_, n) before a crash binds us as if the slot still held it.
  if (vote_conflicts(view_, m->seq, m->digest)) return reject(Reject::conflict);
  // A batch is ordered once: a primary that proposes one batch at two sequence numbers of the
  // window is faulty (a correct one dedups by digest). The null request may repeat. What we
  // signed in this view before a crash counts too (the slot itself is gone): back from a
  // whole-cluster crash a primary re-proposed a batch it had pre-prepared at 8 at 10, the
  // replicas that had lost slot 8 prepared it, and both seqs prepared in one view (sim pbft
  // f=1 seed 2010).
  if (m->digest != null_digest()) {
    for (const auto& [n, other] : slots_)
      if (n != m->seq && ((other.has_pp && other.digest == m->digest) ||
                          (other.ccert && other.ccert->digest == m->digest)))
        return reject(Reject::conflict);
    if (signed_elsewhere(view_, m->seq, m->digest)) return reject(Reject::conflict);
  }
  // The empty batch is the null request; anything else must be acceptable to the application.
  if (!m->batch.empty() && !env_.validate_batch(m->batch)) return reject(Reject::invalid);
  Slot& s = slots_[m->seq];
  s.has_pp = true;
  s.digest = m->digest;
  s.batch = std::make_shared<const Bytes>(std::move(m->batch));
  s.pp_sig = std::move(m->sig);
  send_prepare(m->seq, s);
  advance(m->seq);
}

void PbftReplica::handle_vote(NodeId from, ByteView msg) {
  auto m = decode_vote(msg);
  if (!m.ok()) return reject(Reject::decode);
  if (m->replica != from) return reject(Reject::wrong_sender);
  if (in_vc_ || m->view != view_) return reject(Reject::wrong_view);
  // The primary's pre-prepare stands for its prepare; a PREPARE from it is not allowed.
  if (m->type == MsgType::prepare && from == cfg_.primary_of(view_))
    return reject(Reject::wrong_sender);
  if (!in_window(m->seq)) return reject(Reject::out_of_window);
  if (!crypto_.verifier->verify(from, vote_body(m->type, m->view, m->seq, m->digest, from), m->sig))
    return reject(Reject::bad_signature);
  Slot& s = slots_[m->seq];
  auto& votes = m->type == MsgType::prepare ? s.prepares : s.commits;
  if (votes.count(from)) return reject(Reject::duplicate);
  votes[from] = {m->digest, std::move(m->sig)};
  advance(m->seq);
}

void PbftReplica::advance(Seq n) {
  auto it = slots_.find(n);
  if (it == slots_.end()) return;
  Slot& s = it->second;
  if (!s.has_pp) return;
  NodeId primary = cfg_.primary_of(view_);
  if (!s.prepared) {
    std::vector<SigOf> matching;
    for (const auto& [id, v] : s.prepares)
      if (id != primary && v.digest == s.digest) matching.push_back({id, v.sig});
    if (matching.size() >= 2 * static_cast<size_t>(cfg_.f)) {
      s.prepared = true;
      s.pcert = PCert{view_, s.digest, s.batch, s.pp_sig, std::move(matching)};
      // Durable before our COMMIT leaves: after a crash the certificate still goes into our
      // VIEW-CHANGEs, so a batch committed with our vote survives the view change. Once per
      // seq and view (prepared is set once), replacing the certificate of a lower view.
      journal_prepared(n, *s.pcert);
      if (!s.sent_commit) {
        Vote c{MsgType::commit, view_, n, s.digest, cfg_.self, {}};
        c.sig = crypto_.signer->sign(vote_body(c.type, c.view, n, c.digest, cfg_.self));
        s.commits[cfg_.self] = {s.digest, c.sig};
        s.sent_commit = true;
        env_.broadcast(encode_vote(c));
      }
    }
  }
  if (!s.ccert) {
    // nf matching commits include f + 1 correct replicas that prepared: the batch is committed
    // (it survives any view change) even if this replica missed some prepares.
    std::vector<SigOf> matching;
    for (const auto& [id, v] : s.commits)
      if (v.digest == s.digest) matching.push_back({id, v.sig});
    if (matching.size() >= cfg_.nf()) {
      s.ccert = CCert{view_, s.digest, s.batch, s.pp_sig, std::move(matching)};
      try_execute();
    }
  }
}

void PbftReplica::try_execute() {
  if (executing_) return;  // the outer loop continues where we are
  executing_ = true;
  bool progress = false;
  for (;;) {
    auto it = slots_.find(last_exec_ + 1);
    if (it == slots_.end() || !it->second.ccert) break;
    Seq k = it->first;
    CCert c = *it->second.ccert;  // copy: callbacks below may touch slots_
    if (!c.batch) break;  // committed by digest after a NEW-VIEW; the bytes come by CATCHUP
    ExecResult r = env_.execute(k, c.view, *c.batch);
    last_exec_ = k;
    progress = true;
    env_.final(k);  // PBFT executes only committed batches: nothing is ever rolled back
    // Committed batches are never rolled back, whatever the view: we vouch for k in the view
    // of its commit certificate (a replica catching up with another view's certificates joins
    // the replicas that committed there) and, below, in our own view.
    env_.attested(c.view, k);
    note_executed(c.digest);
    after_execute(k, r.head);
  }
  executing_ = false;
  if (progress) env_.attested(view_, last_exec_);
  if (progress) {
    vc_attempts_ = 0;
    if (vc_timer_) {  // restart the progress timer (update_timers re-arms it if still waiting)
      env_.cancel_timer(TimerKind::view_change);
      vc_timer_ = false;
    }
    propose_more();
  }
}

}  // namespace rampart::consensus::pbft
