// PBFT view change: VIEW-CHANGE(v+1, stable checkpoint proof, P-set) to all; the new primary
// sends NEW-VIEW with nf VIEW-CHANGEs and the O-set it computed from them; every replica
// recomputes the O-set and accepts only an exact match.
#include <algorithm>

#include "consensus/pbft/digest.hpp"
#include "consensus/pbft/replica.hpp"

namespace rampart::consensus::pbft {

void PbftReplica::start_view_change(View target, const char* reason) {
  if (target <= (in_vc_ ? vc_target_ : view_)) return;
  env_.view_change_started(target, reason);
  in_vc_ = true;
  vc_target_ = target;
  ++vc_attempts_;
  // The VIEW-CHANGE promises no part in views below `target`: durable before it leaves.
  journal_view({view_, true, target});
  if (vc_timer_) {
    env_.cancel_timer(TimerKind::view_change);
    vc_timer_ = false;
  }
  ViewChange m;
  m.new_view = target;
  m.replica = cfg_.self;
  m.stable = stable_proof_;
  for (const auto& [n, s] : slots_) {
    if (!s.pcert || !in_window(n)) continue;
    const PCert& c = *s.pcert;
    m.prepared.push_back(PreparedCert{c.view, n, c.digest, {}, c.pp_sig, c.prepares});  // by digest
  }
  own_vc_wire_ = encode_view_change(m, *crypto_.signer);
  m.signed_len = 0;  // not needed for our own copy
  latest_vc_[cfg_.self] = StoredVc{std::move(m), own_vc_wire_};
  env_.broadcast(own_vc_wire_);
  env_.set_timer(TimerKind::new_view, backoff_ms());
  nv_timer_ = true;
  maybe_send_new_view();
}

void PbftReplica::handle_view_change(NodeId from, ByteView msg) {
  auto m = decode_view_change(msg);
  if (!m.ok()) return reject(Reject::decode);
  if (m->replica != from) return reject(Reject::wrong_sender);
  if (m->new_view <= view_) {
    // The sender missed the NEW-VIEW of our view: hand it over (any replica may relay it).
    if (!in_vc_ && m->new_view == view_ && !nv_wire_.empty()) env_.send(from, nv_wire_);
    return reject(Reject::wrong_view);
  }
  auto prev = latest_vc_.find(from);
  if (prev != latest_vc_.end() && prev->second.msg.new_view >= m->new_view)
    return reject(Reject::duplicate);
  if (!check_view_change(cfg_, *crypto_.verifier, *m, msg).ok()) return reject(Reject::bad_signature);
  View nv = m->new_view;
  latest_vc_[from] = StoredVc{std::move(*m), Bytes(msg.begin(), msg.end())};

  // Join: f + 1 replicas (one of them correct) want a later view than ours.
  View mine = in_vc_ ? vc_target_ : view_;
  std::vector<View> higher;
  for (const auto& [id, vc] : latest_vc_)
    if (id != cfg_.self && vc.msg.new_view > mine) higher.push_back(vc.msg.new_view);
  if (higher.size() >= cfg_.f + 1) {
    std::sort(higher.begin(), higher.end(), std::greater<>());
    start_view_change(higher[cfg_.f], "join");  // the highest view at least f + 1 of them reached
  }
  // As the primary of `nv`, with nf - 1 others already there, go straight to it.
  mine = in_vc_ ? vc_target_ : view_;
  if (nv > mine && cfg_.primary_of(nv) == cfg_.self) {
    size_t there = 0;
    for (const auto& [id, vc] : latest_vc_)
      if (id != cfg_.self && vc.msg.new_view == nv) ++there;
    if (there + 1 >= cfg_.nf()) start_view_change(nv, "join_as_new_primary");
  }
  maybe_send_new_view();
}

void PbftReplica::maybe_send_new_view() {
  if (!in_vc_ || cfg_.primary_of(vc_target_) != cfg_.self) return;
  std::vector<ViewChange> vcs;
  std::vector<Bytes> wires;
  // Our own first, then by replica id: deterministic.
  auto take = [&](const StoredVc& s) {
    if (vcs.size() < cfg_.nf() && s.msg.new_view == vc_target_) {
      vcs.push_back(s.msg);
      wires.push_back(s.wire);
    }
  };
  if (auto own = latest_vc_.find(cfg_.self); own != latest_vc_.end()) take(own->second);
  for (const auto& [id, s] : latest_vc_)
    if (id != cfg_.self) take(s);
  if (vcs.size() < cfg_.nf()) return;
  NewViewPlan plan = compute_new_view(vcs);
  NewView nv;
  nv.view = vc_target_;
  nv.view_changes = std::move(wires);
  // Durable before the NEW-VIEW leaves: after a crash we are in view vc_target_ (no second,
  // different NEW-VIEW for it) and never pre-prepare another batch at an O-set seq.
  journal_view({vc_target_, false, 0});
  std::vector<Bytes> sigs;
  for (const auto& e : plan.entries) {
    if (e.seq > low_) journal_vote(nv.view, e.seq, e.digest, find_batch(e.digest));
    Bytes sig = crypto_.signer->sign(pre_prepare_body(nv.view, e.seq, e.digest));
    nv.entries.push_back({e.seq, e.digest, sig});
    sigs.push_back(std::move(sig));
  }
  Bytes wire = encode_new_view(nv, *crypto_.signer);
  env_.broadcast(wire);
  install_new_view(nv.view, plan, sigs, std::move(wire));
}

void PbftReplica::handle_new_view(NodeId /*from: any replica may relay*/, ByteView msg) {
  auto m = decode_new_view(msg);
  if (!m.ok()) return reject(Reject::decode);
  if (m->view <= view_) return reject(m->view == view_ ? Reject::duplicate : Reject::wrong_view);
  // Our VIEW-CHANGE for vc_target_ promised that we take no part in any view below it (it
  // carries our prepared certificates only up to now): a NEW-VIEW for a lower view is refused.
  if (in_vc_ && m->view < vc_target_) return reject(Reject::wrong_view);
  NodeId primary = cfg_.primary_of(m->view);
  if (primary == cfg_.self) return reject(Reject::wrong_sender);  // we would have made it
  if (!crypto_.verifier->verify(primary, msg.subspan(0, m->signed_len), m->sig))
    return reject(Reject::bad_signature);
  // nf valid VIEW-CHANGEs for this view from distinct replicas.
  std::vector<ViewChange> vcs;
  std::set<NodeId> senders;
  for (const auto& w : m->view_changes) {
    auto vc = decode_view_change(w);
    if (!vc.ok()) return reject(Reject::decode);
    if (vc->new_view != m->view || !senders.insert(vc->replica).second) return reject(Reject::invalid);
    if (!check_view_change(cfg_, *crypto_.verifier, *vc, w).ok()) return reject(Reject::bad_signature);
    vcs.push_back(std::move(*vc));
  }
  if (vcs.size() < cfg_.nf()) return reject(Reject::invalid);
  // Recompute the O-set; the primary's must be exactly it, each pre-prepare signed by it.
  NewViewPlan plan = compute_new_view(vcs);
  if (plan.entries.size() != m->entries.size()) return reject(Reject::invalid);
  std::vector<Bytes> sigs;
  for (size_t i = 0; i < plan.entries.size(); ++i) {
    const auto& want = plan.entries[i];
    const auto& got = m->entries[i];
    if (got.seq != want.seq || got.digest != want.digest) return reject(Reject::invalid);
    if (!crypto_.verifier->verify(primary, pre_prepare_body(m->view, got.seq, got.digest), got.pp_sig))
      return reject(Reject::bad_signature);
    sigs.push_back(got.pp_sig);
  }
  install_new_view(m->view, plan, sigs, Bytes(msg.begin(), msg.end()));
}

void PbftReplica::install_new_view(View v, const NewViewPlan& plan, const std::vector<Bytes>& pp_sigs,
                                   Bytes wire) {
  journal_view({v, false, 0});  // before the PREPAREs below
  // The NEW-VIEW too: after a whole-cluster crash a replica still asking for v gets it relayed
  // (nobody could otherwise: it held the view's history, and the primary would need nf new
  // VIEW-CHANGEs for v, which replicas already in v never send).
  env_.journal_put(0, static_cast<uint8_t>(JournalKind::new_view), encode_new_view_record(wire));
  view_ = v;
  in_vc_ = false;
  vc_target_ = 0;
  nv_wire_ = std::move(wire);
  own_vc_wire_.clear();
  ++stats_.view_changes;
  if (nv_timer_) {
    env_.cancel_timer(TimerKind::new_view);
    nv_timer_ = false;
  }
  // No proposals until the O-set is in place and next_seq_ is past it (adopt_stable would
  // otherwise propose at stale sequence numbers: two pre-prepares for one (v, n)).
  installing_ = true;
  if (plan.stable.seq > low_) adopt_stable(plan.stable);
  // Pre-prepares and votes belong to a view; certificates survive it, and so do the batches.
  for (auto& [n, s] : slots_) {
    s.has_pp = s.sent_prepare = s.sent_commit = s.prepared = false;
    if (s.batch && n > low_) old_batches_[n].try_emplace(s.digest, s.batch);
    s.batch.reset();
    s.pp_sig.clear();
    s.prepares.clear();
    s.commits.clear();
  }
  inflight_.clear();
  for (auto it = latest_vc_.begin(); it != latest_vc_.end();)
    it = it->second.msg.new_view <= v ? latest_vc_.erase(it) : std::next(it);
  bool primary = cfg_.primary_of(v) == cfg_.self;
  std::vector<Seq> installed;
  for (size_t i = 0; i < plan.entries.size(); ++i) {
    const auto& e = plan.entries[i];
    if (e.seq <= low_) continue;  // already covered by a stable checkpoint here
    Slot& s = slots_[e.seq];
    s.has_pp = true;
    s.digest = e.digest;
    // Null when this replica never had the batch: it still prepares and commits by digest, and
    // gets the bytes by CATCHUP from one that executed it (retransmit.cpp).
    s.batch = find_batch(e.digest);
    s.pp_sig = pp_sigs[i];
    if (primary) {
      if (e.seq > last_exec_) inflight_.insert(e.digest);
    } else if (!vote_conflicts(v, e.seq, e.digest)) {  // (only a damaged journal could say so)
      send_prepare(e.seq, s);
    }
    installed.push_back(e.seq);
  }
  next_seq_ = std::max({plan.max_seq, low_, last_exec_}) + 1;  // last_exec_ wins only after a restart
  installing_ = false;
  env_.view_changed(v, cfg_.primary_of(v));
  for (Seq n : installed) advance(n);
  try_execute();
  env_.attested(view_, last_exec_);  // what we executed is committed: vouched for in the new view too
  if (primary) propose_more();
}

}  // namespace rampart::consensus::pbft
