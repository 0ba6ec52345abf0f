// PbftReplica: construction, input dispatch, submitted batches and timer bookkeeping.
#include "consensus/pbft/replica.hpp"

#include <algorithm>

#include "consensus/pbft/digest.hpp"

namespace rampart::consensus::pbft {

PbftReplica::PbftReplica(const Config& cfg, Crypto crypto, Env& env)
    : cfg_(cfg), crypto_(crypto), env_(env) {
  // Sanity for the window arithmetic: at least one checkpoint fits in the window.
  if (cfg_.checkpoint_interval == 0) cfg_.checkpoint_interval = 1;
  if (cfg_.window < cfg_.checkpoint_interval) cfg_.window = cfg_.checkpoint_interval;
  if (cfg_.max_inflight == 0) cfg_.max_inflight = 1;
  if (env_.tracks_proofs()) proven_ = 0;
}

void PbftReplica::start() { update_timers(); }

bool PbftReplica::is_primary() const { return !in_vc_ && cfg_.primary_of(view_) == cfg_.self; }

Stats PbftReplica::stats() const {
  Stats s = stats_;
  s.view = view_;
  s.last_executed = last_exec_;
  s.stable_checkpoint = low_;
  s.pending = pending_.size();
  return s;
}

void PbftReplica::reject(Reject r) {
  ++stats_.rejected_messages;
  ++rejects_[static_cast<size_t>(r)];
}

uint64_t PbftReplica::backoff_ms() const {
  return cfg_.view_timeout_ms << std::min<uint32_t>(vc_attempts_, kMaxBackoffShift);
}

uint64_t PbftReplica::retransmit_ms() const { return std::max<uint64_t>(1, cfg_.view_timeout_ms / 4); }

void PbftReplica::submit(Bytes batch) {
  // The empty batch is reserved for null requests; an identical batch is ordered only once.
  if (batch.empty()) return;
  Hash32 d = batch_digest(batch);
  if (pending_.count(d) || executed_set_.count(d)) return;
  uint64_t a = arrival_++;
  pending_.emplace(d, std::make_pair(a, std::make_shared<const Bytes>(std::move(batch))));
  pending_order_.emplace(a, d);
  if (is_primary()) propose_more();
  update_timers();
}

BatchPtr PbftReplica::find_batch(const Hash32& d) const {
  static const BatchPtr null_request = std::make_shared<const Bytes>();
  if (d == null_digest()) return null_request;
  if (auto it = pending_.find(d); it != pending_.end()) return it->second.second;
  for (const auto& [n, s] : slots_) {
    if (s.batch && s.digest == d) return s.batch;
    if (s.pcert && s.pcert->batch && s.pcert->digest == d) return s.pcert->batch;
    if (s.ccert && s.ccert->batch && s.ccert->digest == d) return s.ccert->batch;
  }
  for (const auto& [n, m] : old_batches_) {
    if (auto it = m.find(d); it != m.end()) return it->second;
  }
  return nullptr;
}

void PbftReplica::note_executed(const Hash32& d) {
  if (auto it = pending_.find(d); it != pending_.end()) {
    pending_order_.erase(it->second.first);
    pending_.erase(it);
  }
  inflight_.erase(d);
  if (d == null_digest() || !executed_set_.insert(d).second) return;
  // Remember recent digests so a late duplicate submit() is not ordered again; bounded.
  executed_fifo_.emplace(executed_count_++, d);
  while (executed_fifo_.size() > 4 * cfg_.window) {
    executed_set_.erase(executed_fifo_.begin()->second);
    executed_fifo_.erase(executed_fifo_.begin());
  }
}

void PbftReplica::on_message(NodeId from, ByteView msg) {
  if (from >= cfg_.n || from == cfg_.self) {
    reject(Reject::wrong_sender);
    return;
  }
  auto t = peek_type(msg);
  if (!t.ok()) {
    reject(Reject::decode);
    return;
  }
  switch (*t) {
    case MsgType::pre_prepare: handle_pre_prepare(from, msg); break;
    case MsgType::prepare:
    case MsgType::commit: handle_vote(from, msg); break;
    case MsgType::checkpoint: handle_checkpoint(from, msg); break;
    case MsgType::view_change: handle_view_change(from, msg); break;
    case MsgType::new_view: handle_new_view(from, msg); break;
    case MsgType::status: handle_status(from, msg); break;
    case MsgType::catchup: handle_catchup(from, msg); break;
    case MsgType::stable_proof: handle_stable_proof(from, msg); break;
  }
  update_timers();
}

void PbftReplica::on_timer(TimerKind t) {
  switch (t) {
    case TimerKind::view_change:
      if (!vc_timer_) return;  // cancelled meanwhile
      vc_timer_ = false;
      if (!in_vc_ && !is_primary() && waiting()) start_view_change(view_ + 1, "progress_timeout");
      break;
    case TimerKind::new_view: {
      if (!nv_timer_) return;
      nv_timer_ = false;
      if (!in_vc_) break;
      // Escalate only when nf replicas are known to be in this (or a later) view change and
      // still no valid NEW-VIEW came: otherwise a lone replica would run away through views.
      size_t joined = 0;
      for (const auto& [id, vc] : latest_vc_)
        if (vc.msg.new_view >= vc_target_) ++joined;
      if (joined >= cfg_.nf()) {
        start_view_change(vc_target_ + 1, "new_view_timeout");
      } else {
        env_.set_timer(TimerKind::new_view, backoff_ms());
        nv_timer_ = true;
      }
      break;
    }
    case TimerKind::retransmit:
      if (!rt_timer_) return;
      rt_timer_ = false;
      on_retransmit();
      break;
  }
  update_timers();
}

void PbftReplica::on_state_transferred(Seq k, const Hash32& head) {
  if (k == last_exec_) return;
  if (k < last_exec_) {
    // The transfer we asked for arrived after we caught up by certificates: the Env's state is
    // at k again. Rewind and re-execute k+1.. from the commit certificates we still hold
    // (retained ones go back into slots); anything missing comes from peers via CATCHUP.
    for (Seq n = k + 1; n <= last_exec_; ++n) {
      auto r = retained_.find(n);
      if (r == retained_.end()) continue;
      Slot& s = slots_[n];
      if (!s.ccert) s.ccert = r->second;
      retained_.erase(r);
    }
    last_exec_ = k;
    exec_at_last_rt_ = k;
    try_execute();
    update_timers();
    return;
  }
  // The replica layer installed the state of stable checkpoint k: execution resumes at k + 1.
  last_exec_ = k;
  own_ckpt_[k] = head;
  if (k == low_ && head == stable_proof_.state) report_stable(k, head);
  for (auto it = slots_.begin(); it != slots_.end() && it->first <= k;) {
    if (it->second.ccert) note_executed(it->second.ccert->digest);
    it = slots_.erase(it);
  }
  garbage_collect();
  try_execute();
  update_timers();
}

bool PbftReplica::waiting() const {
  if (!pending_.empty()) return true;
  for (auto it = slots_.upper_bound(last_exec_); it != slots_.end(); ++it)
    if (it->second.has_pp || it->second.ccert) return true;
  return false;
}

bool PbftReplica::unfinished() const {
  if (in_vc_ || last_exec_ < low_ || waiting()) return true;
  // f + 1 peers (one of them correct) report having executed more than we have: keep asking.
  size_t ahead = 0;
  for (const auto& [id, k] : peer_exec_) ahead += k > last_exec_;
  if (ahead >= cfg_.f + 1) return true;
  // An own checkpoint that is not stable yet: peers may have missed our CHECKPOINT or we theirs.
  return own_ckpt_.upper_bound(low_) != own_ckpt_.end();
}

void PbftReplica::update_timers() {
  // Progress timer (PBFT's view-change timer): runs at a backup while it waits for work.
  if (!in_vc_ && !is_primary() && waiting()) {
    if (!vc_timer_) {
      env_.set_timer(TimerKind::view_change, backoff_ms());
      vc_timer_ = true;
    }
  } else if (vc_timer_) {
    env_.cancel_timer(TimerKind::view_change);
    vc_timer_ = false;
  }
  if (!rt_timer_ && unfinished()) {
    env_.set_timer(TimerKind::retransmit, retransmit_ms());
    rt_timer_ = true;
  }
}

std::string PbftReplica::debug_string() const {
  std::string out = "r" + std::to_string(cfg_.self) + " view " + std::to_string(view_) +
                    (in_vc_ ? " vc->" + std::to_string(vc_target_) : "") + " exec " +
                    std::to_string(last_exec_) + " low " + std::to_string(low_) + " next " +
                    std::to_string(next_seq_) + " pending " + std::to_string(pending_.size()) +
                    " inflight " + std::to_string(inflight_.size()) + " slots:";
  for (auto it = slots_.upper_bound(last_exec_); it != slots_.end(); ++it) {
    const Slot& s = it->second;
    out += " " + std::to_string(it->first) + (s.has_pp ? "p" : "") + (s.prepared ? "P" : "") +
           (s.ccert ? "C" : "") + "/" + std::to_string(s.prepares.size()) + "," +
           std::to_string(s.commits.size());
  }
  return out;
}

}  // namespace rampart::consensus::pbft
