// PoE checkpoints: every checkpoint_interval batches a replica signs (view, k, ledger head at k)
// once it vouches for 1..k in that view (update_attestation); nf matching signatures of one view
// make the checkpoint stable, which moves the low watermark, makes everything up to it final and
// garbage-collects the state below it. The head, not the state digest, is signed: it binds the
// batches and results that produced the state, so a replica that reached the same state along a
// branch the cluster dropped does not take the checkpoint for its own (issue seeds 928774190,
// 443760938: a dead view's batches of cached retries left the state unchanged).
#include <algorithm>
#include <set>

#include "consensus/poe/replica.hpp"

namespace rampart::consensus::poe {

void PoeReplica::send_checkpoint(Seq k, const Hash32& head) {
  Checkpoint c{view_, k, head, crypto_.signer->sign(checkpoint_statement(view_, k, head))};
  own_ckpt_ = c;
  own_ckpt_ticks_ = 0;
  // The vote vouches for certified entries journaled lazily: it leaves only once they are
  // durable, or a replica that crashes right after could have helped make a checkpoint stable
  // that its disk cannot back.
  env_.journal_barrier();
  env_.broadcast(encode(c));
  ckpt_votes_[k][cfg_.self] = CkptVote{view_, head, c.sig};
  check_stable(k);
}

void PoeReplica::on_checkpoint(NodeId from, ByteView msg) {
  auto m = decode_checkpoint(msg, limits_);
  if (!m) return reject();
  const Seq K = cfg_.checkpoint_interval;
  if (K == 0 || m->k == 0 || m->k % K != 0) return reject();
  // Below the low watermark it is stale; far above it, it cannot be ours to use yet (bounded
  // memory: at most 4 * window / K checkpoints, one vote per sender each).
  // A vote of a later view tells us our view may be dead, wherever its k lies (a cluster that
  // moved on without us runs far past our window: sim poe f=1 seed 2584813633, a replica left in
  // view 2 while the others ran view 4, whose primary withheld everything from it).
  if (m->v > view_ && !in_vc_) {
    if (later_view_is_news(from, m->v) &&
        crypto_.verifier->verify(from, checkpoint_statement(m->v, m->k, m->head), m->sig)) {
      later_view_vote(from, m->v, "later_view_checkpoints");
    }
  }
  if (m->k == stable_ && stable_ > 0) return;  // the vote after the quorum: nothing to do
  if (m->k <= stable_ || m->k > stable_ + 4 * cfg_.window) return reject();
  auto& votes = ckpt_votes_[m->k];
  // One vote per sender, its latest view: a correct replica signs k again in a later view (after
  // the view change re-certified its history), and that vote must count.
  auto old = votes.find(from);
  if (old != votes.end() && old->second.v >= m->v) return reject();  // duplicate or stale
  if (!crypto_.verifier->verify(from, checkpoint_statement(m->v, m->k, m->head), m->sig)) {
    if (votes.empty()) ckpt_votes_.erase(m->k);
    return reject();
  }
  votes[from] = CkptVote{m->v, m->head, std::move(m->sig)};
  check_stable(m->k);
}

namespace {
struct Quorum {
  View v = 0;
  Hash32 head{};
  std::vector<SigEntry> sigs;
};
// nf matching votes for one checkpoint: one view and one head.
template <class Votes>
std::optional<Quorum> quorum(const Votes& votes, uint32_t nf) {
  std::map<std::pair<View, Hash32>, std::vector<SigEntry>> by;
  for (const auto& [id, v] : votes) by[{v.v, v.head}].push_back({id, v.sig});
  for (auto& [key, ss] : by) {
    if (ss.size() < nf) continue;
    ss.resize(nf);
    return Quorum{key.first, key.second, std::move(ss)};
  }
  return std::nullopt;
}
}  // namespace

void PoeReplica::check_stable(Seq k) {
  // Also during a view change: a stable checkpoint is final, adopting it speculates nothing.
  if (k <= stable_) return;
  auto it = ckpt_votes_.find(k);
  if (it == ckpt_votes_.end()) return;
  auto q = quorum(it->second, cfg_.nf());
  if (!q) return;
  if (last_executed_ < k) {
    // Usually we are just a little behind (the checkpoint quorum overtook our last
    // certificates): wait, our own execution of k completes it. Only when two checkpoints
    // above our low watermark are stable at nf do we give up and ask for the newest state.
    size_t quorate = 0;
    Seq newest = 0;
    for (const auto& [j, votes] : ckpt_votes_) {
      if (j <= stable_) continue;
      if (auto qj = quorum(votes, cfg_.nf())) {
        ++quorate;
        newest = j;
        q = std::move(qj);
      }
    }
    if (quorate < 2) return;
    k = newest;
  }
  make_stable(k, q->v, q->head, std::move(q->sigs));
}

// Called every retransmit tick. check_stable waits for our own execution to reach a quorate
// checkpoint (cheaper than a state transfer), but that can wait forever: the certificates we
// lack may lie below every other replica's low watermark (they no longer support or re-send
// them), e.g. a new primary that re-proposes history the others already executed. So when we
// have not executed anything for two ticks and nf replicas signed a checkpoint above our
// execution, adopt it and fetch its state.
void PoeReplica::catch_up_if_stuck() {
  if (last_executed_ != exec_at_last_tick_) {
    exec_at_last_tick_ = last_executed_;
    stuck_ticks_ = 0;
    return;
  }
  if (++stuck_ticks_ < 2) return;
  for (auto it = ckpt_votes_.rbegin(); it != ckpt_votes_.rend(); ++it) {
    if (it->first <= stable_ || it->first <= last_executed_) break;
    if (auto q = quorum(it->second, cfg_.nf())) {
      stuck_ticks_ = 0;
      return make_stable(it->first, q->v, q->head, std::move(q->sigs));
    }
  }
}

bool PoeReplica::verify_checkpoint_proof(Seq k, View v, const Hash32& head,
                                         const std::vector<SigEntry>& proof) const {
  if (k == 0) return v == 0 && head == Hash32{} && proof.empty();  // genesis
  if (cfg_.checkpoint_interval == 0 || k % cfg_.checkpoint_interval != 0) return false;
  Bytes stmt = checkpoint_statement(v, k, head);
  std::set<NodeId> ok;
  for (const auto& e : proof) {
    if (e.signer >= cfg_.n || ok.count(e.signer)) continue;
    if (crypto_.verifier->verify(e.signer, stmt, e.sig)) ok.insert(e.signer);
  }
  return ok.size() >= cfg_.nf();
}

// Move the low watermark to k. If this replica executed k along the same history (same ledger
// head), k becomes final at once. Otherwise it is behind or diverged: it undoes its unstable
// speculation and asks the replica layer for the state (Env::need_state_transfer); execution
// resumes in on_state_transferred.
void PoeReplica::make_stable(Seq k, View v, const Hash32& head, std::vector<SigEntry> proof) {
  if (k <= stable_) return;
  if (k < final_) {
    // Only after a restart from disk (final_ > stable_): our final history covers k. Adopt the
    // checkpoint if it is one we executed (on_restart listed its head), else ignore it.
    auto ex = executed_.find(k);
    if (ex == executed_.end() || ex->second.head != head) return;
  }
  auto ex = executed_.find(k);
  bool have_state = last_executed_ >= k && ex != executed_.end() && ex->second.head == head;
  // We executed k, but nf replicas signed another history: a later view replaced our
  // speculation, so the cluster is past view_ and view_'s certificates above k belong to a
  // dead branch. Executing them after the state transfer would put results at k+1.. that
  // differ from what clients accepted in the later view (sim seeds 1398, 1787). Comparing
  // heads rather than states also catches a dead branch that reached the cluster's state.
  const bool diverged = !have_state && last_executed_ >= k;
  if (!have_state && last_executed_ > final_) {
    // Our execution up to k differs from what nf replicas signed: it was speculation that
    // the cluster did not keep.
    if (last_executed_ >= k) undo_to(final_);
  }
  stable_ = k;
  stable_view_ = v;
  stable_head_ = head;
  stable_proof_ = std::move(proof);
  if (have_state) {
    finalize_stable();
  } else {
    env_.need_state_transfer(k, head);
  }
  garbage_collect();
  if (diverged) abandon_view();
  update_attestation();  // the entries up to k are final now: we vouch from k on
  // Certificates waiting for this view's certificates of a prefix that is now below the stable
  // checkpoint can run (try_execute; sim poe-mac f=1 seed 513914668: a new primary whose kept
  // k = 1 was never certified again waited at k = 10 after checkpoint 8 had become stable).
  try_execute();
  propose_more();
}

// Stop using view_ (see make_stable): drop its slots and fixed history, and ask for the next
// view. Replicas already past it answer the VC-REQUEST with the NV-PROPOSE of their view
// (on_vc_request), which this replica adopts; certificates it holds stay in committed_ for
// its VC-REQUEST (the view change picks the highest view per k).
void PoeReplica::abandon_view() {
  keep_slot_batches();
  slots_.clear();
  fixed_.clear();
  queue_.clear();
  if (!in_vc_) start_view_change(view_ + 1, "checkpoint_diverged");
}

// A stable checkpoint proven by nf signatures (the primary's answer to a FETCH from a
// replica behind it): adopt it, with state transfer if we do not hold that state.
void PoeReplica::on_stable(NodeId from, ByteView msg) {
  auto m = decode_stable(msg, limits_);
  if (!m) return reject();
  (void)from;
  if (m->k <= stable_) return reject();  // stale or duplicate
  if (!verify_checkpoint_proof(m->k, m->v, m->head, m->proof)) return reject();
  make_stable(m->k, m->v, m->head, std::move(m->proof));
}

void PoeReplica::finalize_stable() {
  env_.checkpoint_stable(stable_, stable_head_);
  CheckpointCert cert{stable_, stable_view_, stable_head_, {}};
  for (const auto& e : stable_proof_) cert.sigs.push_back({e.signer, e.sig});
  env_.checkpoint_certified(cert);
  env_.final(stable_);
  final_ = std::max(final_, stable_);  // a restarted replica may be final above the checkpoint
}

bool PoeReplica::verify_checkpoint(const CheckpointCert& cert) const {
  if (cert.k == 0) return false;  // genesis needs no certificate and proves nothing
  std::vector<SigEntry> proof;
  for (const auto& s : cert.sigs) proof.push_back({s.signer, s.sig});
  return verify_checkpoint_proof(cert.k, cert.view, cert.head, proof);
}

void PoeReplica::garbage_collect() {
  slots_.erase(slots_.begin(), slots_.upper_bound(stable_));
  committed_.erase(committed_.begin(), committed_.upper_bound(stable_));
  executed_.erase(executed_.begin(), executed_.lower_bound(stable_));
  // The dedup index reaches further back than the window: a lagging backup may still forward
  // a batch the cluster executed a while ago.
  Seq horizon = stable_ > 4 * cfg_.window ? stable_ - 4 * cfg_.window : 0;
  for (auto it = executed_index_.begin(); it != executed_index_.end();) {
    it = it->second <= horizon ? executed_index_.erase(it) : std::next(it);
  }
  // Keep executed_[stable_] (its state digest proves the checkpoint to ourselves).
  fixed_.erase(fixed_.begin(), fixed_.upper_bound(stable_));
  old_batches_.erase(old_batches_.begin(), old_batches_.upper_bound(stable_));
  for (auto it = wanted_.begin(); it != wanted_.end();) {
    it = it->second <= stable_ ? wanted_.erase(it) : std::next(it);
  }
  ckpt_votes_.erase(ckpt_votes_.begin(), ckpt_votes_.upper_bound(stable_));
  if (next_seq_ <= stable_) next_seq_ = stable_ + 1;
  journal_stable();
}

void PoeReplica::on_state_transferred(Seq k, const Hash32& head) {
  if (k > 0 && stable_ == 0 && last_executed_ == 0 && executed_.empty() && final_ == 0) {
    // A fresh replica (restart) whose replica layer restored the last stable checkpoint from
    // its own disk: the state is final, we just lack its proof. Resume after it; the proof
    // (or a newer checkpoint) comes with the next stable checkpoint or a STABLE.
    last_executed_ = k;
    final_ = k;
    if (proven_ != ~Seq{0}) proven_ = std::max(proven_, k);  // final on our disk: proven
    executed_[k] = Executed{Hash32{}, head};
    pending_.clear();
    queue_.clear();
    if (next_seq_ <= k) next_seq_ = k + 1;
    return;
  }
  if (k != stable_ || head != stable_head_ || last_executed_ >= k) return;
  last_executed_ = k;
  executed_.clear();
  executed_[k] = Executed{Hash32{}, head};
  // We cannot tell which pending batches the installed state contains: forget them; the
  // replica layer re-submits requests that are still unanswered.
  pending_.clear();
  queue_.clear();
  update_progress_timer(false);
  finalize_stable();
  try_execute();
}

}  // namespace rampart::consensus::poe

namespace rampart::consensus::poe {

// Undo every execution above keep_to. The undone batches become pending again (their bytes
// are in committed_), so a batch the new view does not keep is proposed again, not lost.
void PoeReplica::undo_to(Seq keep_to) {
  if (keep_to >= last_executed_) return;
  env_.rollback(keep_to);
  ++stats_.rollbacks;
  for (auto it = executed_.upper_bound(keep_to); it != executed_.end();) {
    const Hash32& d = it->second.digest;
    executed_index_.erase(d);
    auto c = committed_.find(it->first);
    if (c != committed_.end() && c->second.digest == d && !pending_.count(d)) {
      pending_[d] = Pending{c->second.batch, next_order_++, 0};
    }
    it = executed_.erase(it);
  }
  last_executed_ = keep_to;
}

}  // namespace rampart::consensus::poe
