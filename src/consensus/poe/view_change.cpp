// PoE view change: VC-REQUEST (stable checkpoint + proof, view-committed proposals with their
// certificates since it), NV-PROPOSE (nf requests), deterministic history selection, rollback
// of speculation the new view does not keep. The safety argument is in docs/protocols.md.
#include <algorithm>
#include <set>

#include "consensus/poe/replica.hpp"

namespace rampart::consensus::poe {
namespace {
// Retransmissions of a lone VC-REQUEST an idle replica waits for before joining it.
constexpr uint32_t kLoneVcRepeats = 3;
}  // namespace

// Someone sent us a message of a view below ours: it missed our view's NV-PROPOSE (e.g. it
// restarted, or an old primary kept proposing alone). Hand it over, once per sender and tick.
void PoeReplica::relay_view(NodeId to) {
  if (in_vc_ || nv_msg_.empty() || !relayed_.insert(to).second) return;
  env_.send(to, nv_msg_);
}

void PoeReplica::start_view_change(View w, const char* reason) {
  if (w <= view_ || (in_vc_ && w <= vc_target_)) return;
  env_.view_change_started(w, reason);
  in_vc_ = true;
  vc_target_ = w;
  nv_wanted_.clear();
  if (progress_armed_) env_.cancel_timer(TimerKind::view_change);
  progress_armed_ = false;

  VcRequest r;
  r.new_view = w;
  r.sender = cfg_.self;
  r.ckpt = stable_;
  r.ckpt_view = stable_view_;
  r.ckpt_head = stable_head_;
  r.ckpt_proof = stable_proof_;
  for (const auto& [k, e] : committed_) {
    // e.v < w always (certificates come from views we were in, all below w); checked because
    // validate_vc refuses a request with any other. Only batches we hold: a certificate we
    // adopted with a history but never got the bytes of is not ours to vouch for. A batch a
    // client accepted was executed by f+1 correct replicas, which hold it, and one of them is
    // in any nf requests, with a certificate of the highest view at k; reporting what nobody
    // can supply only carried one faulty replica's withheld batch from view to view, and no
    // view could re-propose it (sim seed 817299197).
    if (k > stable_ && k <= stable_ + cfg_.window && e.v < w && (!e.batch.empty() || find_batch(e.digest))) {
      r.entries.push_back(CommittedEntry{e.v, e.k, e.digest, {}, e.cert});  // by digest only
    }
  }
  r.body = vc_body(r);
  r.sig = crypto_.signer->sign(vc_statement(r.body));
  own_vc_msg_ = encode(r);
  journal_view();  // the promise (no part in views below w) is durable before the request leaves
  env_.broadcast(own_vc_msg_);
  vc_store_[cfg_.self] = StoredVc{std::move(r), own_vc_msg_};
  new_view_armed_ = false;
  env_.cancel_timer(TimerKind::new_view);
  arm_new_view_timer();
  maybe_send_nv(w);
}

// As in PBFT, the timer for the NV-PROPOSE of w starts only once nf replicas asked for w:
// a replica alone in a view change waits there instead of climbing views on its own (the
// others join once f+1 ask, or when their own progress timers expire).
void PoeReplica::arm_new_view_timer() {
  if (!in_vc_ || new_view_armed_) return;
  size_t n = 0;
  // Requests for a higher view count too: a replica that moved on to a later view replaced
  // its request for ours (vc_store_ keeps the latest per sender), so counting exact matches
  // could leave us waiting forever below a group that already asks for more (sim seed 873).
  for (const auto& [id, s] : vc_store_) n += s.req.new_view >= vc_target_;
  if (n < cfg_.nf()) return;
  new_view_armed_ = true;
  env_.set_timer(TimerKind::new_view, timeout_ms());
}

bool PoeReplica::validate_vc(const VcRequest& m) const {
  if (m.sender >= cfg_.n) return false;
  if (!crypto_.verifier->verify(m.sender, vc_statement(m.body), m.sig)) return false;
  if (!verify_checkpoint_proof(m.ckpt, m.ckpt_view, m.ckpt_head, m.ckpt_proof)) return false;
  Seq prev = m.ckpt;
  for (const auto& e : m.entries) {
    if (e.k <= prev || e.k > m.ckpt + cfg_.window) return false;  // increasing, in window
    if (e.v >= m.new_view) return false;
    if (!verify_certificate(e.v, e.k, e.digest, e.cert)) return false;
    prev = e.k;
  }
  return true;
}

void PoeReplica::on_vc_request(NodeId from, ByteView msg) {
  auto m = decode_vc_request(msg, limits_);
  if (!m) return reject();
  if (m->sender != from) return reject();  // wrong sender
  // A requester behind our stable checkpoint gets its proof, whatever view it asks for: it may
  // wait in its view change for long (alone in a view above ours while we are busy, it is not
  // joined), and may take part in no lower view meanwhile, so checkpoints are how it keeps up.
  // Without it, a replica that missed view 2's NV-PROPOSE and asked for view 3 stayed on its
  // view-1 speculation while a flooded cluster ran thousands of batches ahead, outside the
  // window where it hears checkpoint votes (sim poe f=1 seeds 2584808548, 2584813633).
  if (m->ckpt < stable_) send_stable_to(from);
  if (m->new_view <= view_) {
    // Stale: a replica still waiting for the NV-PROPOSE of our current view, or one that asks
    // for a view we already left behind (it lags, or abandoned a dead view): hand it the
    // NV-PROPOSE that installed our view. It is self-proving (nf signed requests), so any
    // replica in the view may relay it, and the requester can jump to it.
    if (!in_vc_ && !nv_msg_.empty()) env_.send(from, nv_msg_);
    return reject();
  }
  auto old = vc_store_.find(from);
  if (old != vc_store_.end() && old->second.req.new_view >= m->new_view) {
    // A lone requester for view_+1 that keeps retransmitting while we are idle (nothing
    // pending, so we never time out ourselves): it fell behind during faults and, having asked
    // for a new view, may execute nothing more of view_ (its VC-REQUEST must cover what it
    // executed). Only a new view brings it back, so join after a few retransmissions. Idle
    // only: a faulty replica can force at most a cheap view change of an idle cluster, never
    // one while work waits. Idle means nothing pending here *and* nothing executed for a
    // retransmit tick: under load a backup's protocol often has nothing pending (the replica
    // layer forwards its batches to the primary), and a replica back from a pause, still
    // catching up, pulled a busy cluster into a second view change with its lone request.
    if (old->second.req.new_view == m->new_view && m->new_view == view_ + 1 && !in_vc_ &&
        pending_.empty() && stuck_ticks_ > 0 && ++old->second.repeats >= kLoneVcRepeats) {
      start_view_change(view_ + 1, "lone_request");
    }
    return reject();
  }
  if (!validate_vc(*m)) return reject();  // bad signature, proof or certificate
  vc_store_[from] = StoredVc{std::move(*m), Bytes(msg.begin(), msg.end())};

  // Join: f+1 replicas want a higher view, so at least one correct replica timed out.
  View mine = in_vc_ ? vc_target_ : view_;
  std::vector<View> higher;
  for (const auto& [id, s] : vc_store_) {
    if (id != cfg_.self && s.req.new_view > mine) higher.push_back(s.req.new_view);
  }
  if (higher.size() >= cfg_.f + 1) {
    start_view_change(*std::min_element(higher.begin(), higher.end()), "join");
  }
  if (in_vc_) {
    arm_new_view_timer();
    maybe_send_nv(vc_target_);
  }
}

// The primary of w sends NV-PROPOSE once it holds nf valid requests for w, its own first (so
// the chosen checkpoint is at least its own stable checkpoint), whose batches it holds: any nf
// requests make a safe history, so it takes those it can re-propose at once. A request naming
// a batch we lack waits while we ask for it (WANT); a faulty requester that names a batch it
// does not hand over is left out once other requests arrive, instead of stalling every view.
void PoeReplica::maybe_send_nv(View w) {
  if (!in_vc_ || vc_target_ != w || cfg_.primary_of(w) != cfg_.self) return;
  NvPropose nv;
  nv.v = w;
  std::vector<VcRequest> reqs;
  auto own = vc_store_.find(cfg_.self);
  if (own == vc_store_.end() || own->second.req.new_view != w) return;
  nv.requests.push_back(own->second.raw);
  reqs.push_back(own->second.req);
  std::vector<Hash32> lacking;
  for (const auto& [id, s] : vc_store_) {
    if (nv.requests.size() >= cfg_.nf()) break;
    if (id == cfg_.self || s.req.new_view != w) continue;
    bool held = true;
    for (const auto& e : s.req.entries) {
      if (e.k <= stable_ || find_batch(e.digest)) continue;
      held = false;
      if (!nv_wanted_.count(e.digest)) nv_wanted_[e.digest] = e.k;
      lacking.push_back(e.digest);
    }
    if (!held) continue;
    nv.requests.push_back(s.raw);
    reqs.push_back(s.req);
  }
  if (nv.requests.size() < cfg_.nf()) {
    if (!lacking.empty() && !nv_want_sent_) {  // once per retransmit tick
      nv_want_sent_ = true;
      env_.broadcast(encode(Want{std::move(lacking)}));
    }
    return;
  }
  nv_wanted_.clear();
  // Send first: adopting re-proposes in view w, and backups must be in w to accept that.
  Bytes msg = encode(nv);
  env_.broadcast(msg);
  adopt(w, select_history(reqs), msg);
}

void PoeReplica::on_nv_propose(NodeId from, ByteView msg) {
  auto m = decode_nv_propose(msg, limits_);
  if (!m) return reject();
  // Stale or duplicate; and once we asked for view t we never go back to a view below t.
  if (m->v <= view_ || (in_vc_ && m->v < vc_target_)) return reject();
  // From the primary of m->v, or, while we are in a view change ourselves, relayed by a
  // replica already in m->v (on_vc_request answers our VC-REQUEST with it). Either way it is
  // checked on its own: nf validly signed requests for m->v, from which the history follows
  // deterministically. A faulty relayer can only pick another valid set of nf requests, which
  // a faulty primary can do too; the view-change argument holds for any such set.
  const bool relayed = from != cfg_.primary_of(m->v);
  auto h = nv_history(*m);
  if (!h) return reject();
  if (relayed && !in_vc_) {
    // A valid NV-PROPOSE of a later view, relayed because we sent it a stale message: our view
    // is dead. Ask for the next one; the relay to our VC-REQUEST is then accepted (above).
    start_view_change(view_ + 1, "relayed_new_view");
    return reject();
  }
  if (!adopt(m->v, *h, msg)) return reject();
}

// The history an NV-PROPOSE installs, if it holds nf distinct, validly signed requests for its
// view; from a peer or from our own journal (restore_journal), checked the same way.
std::optional<PoeReplica::History> PoeReplica::nv_history(const NvPropose& m) const {
  if (m.requests.size() < cfg_.nf()) return std::nullopt;
  std::vector<VcRequest> reqs;
  std::set<NodeId> senders;
  for (const auto& raw : m.requests) {
    auto r = decode_vc_request(raw, limits_);
    if (!r || r->new_view != m.v || !senders.insert(r->sender).second || !validate_vc(*r)) return std::nullopt;
    reqs.push_back(std::move(*r));
  }
  return select_history(reqs);
}

// Deterministic, so every correct replica computes the same history from the same requests:
// the highest proven checkpoint; above it, per sequence number the certified proposal of the
// highest view (ties, impossible with <= f faults, broken by digest); up to the first gap.
PoeReplica::History PoeReplica::select_history(const std::vector<VcRequest>& reqs) const {
  History h;
  const VcRequest* best_ckpt = nullptr;
  for (const auto& r : reqs) {
    if (!best_ckpt || r.ckpt > best_ckpt->ckpt) best_ckpt = &r;
  }
  if (!best_ckpt) return h;
  h.ckpt = best_ckpt->ckpt;
  h.ckpt_view = best_ckpt->ckpt_view;
  h.ckpt_head = best_ckpt->ckpt_head;
  h.ckpt_proof = best_ckpt->ckpt_proof;
  std::map<Seq, const CommittedEntry*> best;
  for (const auto& r : reqs) {
    for (const auto& e : r.entries) {
      if (e.k <= h.ckpt) continue;
      auto& b = best[e.k];
      if (!b || e.v > b->v || (e.v == b->v && e.digest < b->digest)) b = &e;
    }
  }
  Seq next = h.ckpt + 1;
  for (const auto& [k, e] : best) {
    if (k != next) break;  // first gap: nothing after it can have been accepted by a client
    h.entries.push_back(*e);
    ++next;
  }
  return h;
}

// Enter view w with history h, installed by the NV-PROPOSE nv_wire. Returns false (and changes
// nothing) if adopting would undo a final batch, which cannot happen with at most f faulty
// replicas.
bool PoeReplica::adopt(View w, const History& h, ByteView nv_wire) {
  std::map<Seq, const CommittedEntry*> hist;
  for (const auto& e : h.entries) hist[e.k] = &e;

  // 1. The first executed batch the new history does not keep (absent or different).
  // Final batches are never undone; a restarted replica may be final above its stable_.
  Seq from = std::max({stable_, h.ckpt, final_});
  Seq diverge = 0;
  for (Seq k = from + 1; k <= last_executed_; ++k) {
    auto it = hist.find(k);
    auto ex = executed_.find(k);
    if (it == hist.end() || ex == executed_.end() || ex->second.digest != it->second->digest) {
      diverge = k;
      break;
    }
  }
  // A newer checkpoint than ours: do we hold exactly its state?
  bool ckpt_ok = true;
  if (h.ckpt > stable_) {
    auto ex = executed_.find(h.ckpt);
    ckpt_ok = last_executed_ >= h.ckpt && ex != executed_.end() && ex->second.head == h.ckpt_head;
  }
  if (diverge && diverge <= final_) return false;

  // 2. Roll back speculation the new view does not keep.
  Seq keep_to = diverge ? diverge - 1 : last_executed_;
  if (!ckpt_ok && last_executed_ >= h.ckpt) keep_to = final_;  // our state at the checkpoint differs
  undo_to(keep_to);

  // 3. Enter the view (journaled before any message of w leaves). The old view's batches, and
  //    those of certificates the new history replaces, stay available by digest.
  keep_slot_batches();
  for (auto& [k, e] : committed_) {
    if (k > stable_ && e.v < w && !e.batch.empty()) old_batches_[k].try_emplace(e.digest, std::move(e.batch));
  }
  wanted_.clear();
  nv_wanted_.clear();
  view_ = w;
  in_vc_ = false;
  // The view change completed with nothing waiting: the network delivered in time, and there is
  // no work a short timeout could cut off. (With work waiting, the longer timeout stays until
  // the backlog is gone: a view re-certifying a long history needs it.)
  if (pending_.empty()) failures_ = 0;
  // The NV-PROPOSE first, then the view promise: a restarted replica that finds itself in w
  // re-enters w with this very history. Without it, it asked for w again, and after a
  // whole-cluster crash w's primary built a second history for w from requests that could
  // not report what w had certified (entries of w itself) — a hole there let view w+1 put
  // another batch at a k a client had accepted (sim seed 543712306, poe-mac).
  if (journaled_nv_view_ != w) {
    journaled_nv_view_ = w;
    env_.journal_put(0, static_cast<uint8_t>(JournalKind::new_view), encode_new_view_record(nv_wire));
  }
  journal_view();
  nv_msg_.assign(nv_wire.begin(), nv_wire.end());  // kept to relay to replicas that lag behind w
  ++stats_.view_changes;
  slots_.clear();
  fixed_.clear();
  queue_.clear();
  env_.cancel_timer(TimerKind::new_view);
  new_view_armed_ = false;
  for (auto it = vc_store_.begin(); it != vc_store_.end();) {
    it = it->second.req.new_view <= w ? vc_store_.erase(it) : std::next(it);
  }
  own_vc_msg_.clear();

  // 4. Adopt the checkpoint if newer: final now, or after state transfer.
  if (h.ckpt > stable_) {
    stable_ = h.ckpt;
    stable_view_ = h.ckpt_view;
    stable_head_ = h.ckpt_head;
    stable_proof_ = h.ckpt_proof;
    if (ckpt_ok) {
      finalize_stable();
    } else {
      env_.need_state_transfer(stable_, stable_head_);
    }
    garbage_collect();
  }

  // 5. The kept history: fixed for this view, to be certified again in w before anything
  //    not yet executed is executed (see docs/protocols.md on why re-certification matters).
  //    Certificates of w itself exist here only after a restart inside w (restore_journal):
  //    they are newer than the history's and stay (resume_own_slots puts them in their slots).
  for (auto it = committed_.upper_bound(stable_); it != committed_.end();) {
    it = it->second.v < w ? committed_.erase(it) : std::next(it);
  }
  Seq end = stable_;
  for (const auto& e : h.entries) {
    if (e.k <= stable_) continue;
    // The requests name batches by digest: take the bytes from what we hold (a backup that
    // lacks one gets it with the primary's PROPOSE in w, the primary asks for it below).
    CommittedEntry held = e;
    if (const Bytes* b = find_batch(e.digest)) held.batch = *b;
    if (!held.batch.empty()) slots_[e.k].batches[e.digest] = held.batch;
    committed_.try_emplace(e.k, std::move(held));
    fixed_[e.k] = e.digest;
    end = e.k;
  }
  if (cfg_.primary_of(w) == cfg_.self) next_seq_ = std::max(end, final_) + 1;  // final_ > end only after a restart from disk
  const bool hole = resume_own_slots();  // may move next_seq_ past what we proposed in w before a restart
  env_.view_changed(w, cfg_.primary_of(w));

  // 6. New primary: re-propose the kept history in w, then continue after it with the queue.
  //    Backups: hand pending batches to the new primary.
  std::vector<std::pair<uint64_t, Hash32>> order;
  std::set<Hash32> kept;
  for (const auto& [k, d] : fixed_) kept.insert(d);
  for (const auto& [d, p] : pending_) {
    if (!kept.count(d)) order.push_back({p.order, d});  // kept batches are re-proposed anyway
  }
  std::sort(order.begin(), order.end());
  if (cfg_.primary_of(w) == cfg_.self) {
    Want want;
    for (const auto& e : h.entries) {
      if (e.k <= stable_) continue;
      auto& batches = slots_[e.k].batches;
      auto b = batches.find(e.digest);
      if (b == batches.end()) {
        wanted_[e.digest] = e.k;  // proposed when a replica that holds it answers (take_wanted)
        want.digests.push_back(e.digest);
        continue;
      }
      // Fails only if we proposed another batch at (w, k) before a restart (then k waits for
      // the next view: we can neither repeat that batch nor propose this one).
      propose(e.k, Bytes(b->second));
    }
    if (!want.digests.empty()) env_.broadcast(encode(want));
    for (const auto& [o, d] : order) queue_.push_back(d);
    propose_more();
  } else {
    for (auto& [o, d] : order) {
      Pending& p = pending_[d];
      p.ticks = 0;
      env_.send(cfg_.primary_of(w), encode(Forward{p.batch}));
    }
  }
  update_progress_timer(true);
  try_execute();
  // A primary restarted inside w that proposed a batch it no longer holds can neither finish
  // that slot nor use it for another batch: w cannot complete, so ask for the next view now.
  if (hole && !in_vc_) start_view_change(w + 1, "proposal_hole");
  return true;
}

}  // namespace rampart::consensus::poe
