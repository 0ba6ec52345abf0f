// PoE replica: construction, message dispatch, submit, timers and retransmission.
#include "consensus/poe/replica.hpp"

#include <algorithm>

namespace rampart::consensus::poe {
namespace {
// Retransmit ticks an open item is re-sent for; afterwards the view change takes over, so an
// idle cluster stops sending.
constexpr uint32_t kMaxTicks = 8;
// Progress-timer expiries a primary that keeps executing other batches gets for our oldest one.
constexpr uint32_t kPatience = 4;
// Batches one backup may have waiting in our queue at once, in units of max_inflight.
constexpr size_t kForwardQuota = 2;
}  // namespace

PoeReplica::PoeReplica(const Config& cfg, Crypto crypto, Env& env)
    : cfg_(cfg), crypto_(crypto), env_(env), limits_(limits_for(cfg)) {
  // Only checkpoints move the window: one must fit inside it, or the primary stalls for good.
  if (cfg_.window == 0) cfg_.window = 1;
  if (cfg_.checkpoint_interval == 0 || cfg_.checkpoint_interval > cfg_.window) {
    cfg_.checkpoint_interval = cfg_.window;
  }
  if (cfg_.max_inflight == 0) cfg_.max_inflight = 1;
  limits_ = limits_for(cfg_);
  if (env_.tracks_proofs()) proven_ = 0;
}

void PoeReplica::start() {
  env_.set_timer(TimerKind::retransmit, std::max<uint64_t>(1, cfg_.view_timeout_ms / 2));
}

Stats PoeReplica::stats() const {
  Stats s = stats_;
  s.view = view_;
  s.last_executed = last_executed_;
  s.pending = pending_.size();
  s.stable_checkpoint = stable_;
  return s;
}

uint64_t PoeReplica::timeout_ms() const {
  return cfg_.view_timeout_ms << std::min<uint32_t>(failures_, kMaxBackoffShift);
}

// The progress timer runs at a backup while it has batches that are not executed yet: the
// primary might be censoring them. Execution progress restarts it; an empty pending set stops it.
void PoeReplica::update_progress_timer(bool progressed) {
  if (in_vc_) return;
  // Unfinished work is also what we executed and cannot vouch for in this view yet: the
  // primary owes us its certificates of the kept history. One that withholds them would
  // otherwise hold the cluster for good, with nothing pending anywhere (sim poe f=1 seed 286 at
  // a 10 s fault phase: a Byzantine primary certifying to chosen replicas only).
  const bool owed = !in_vc_ && last_executed_ > std::max(stable_, final_) &&
                    (attest_view_ != view_ || attest_upto_ < last_executed_);
  if ((pending_.empty() && !owed) || is_primary()) {
    if (progress_armed_) env_.cancel_timer(TimerKind::view_change);
    progress_armed_ = false;
    return;
  }
  // Progress restarts the timer only if it served the oldest waiting batch: otherwise a
  // primary could censor one batch forever while proposing others.
  uint64_t oldest = UINT64_MAX;
  for (const auto& [d, p] : pending_) oldest = std::min(oldest, p.order);
  if (!progress_armed_ || (progressed && oldest != timed_order_)) {
    env_.set_timer(TimerKind::view_change, timeout_ms());
    progress_armed_ = true;
    timed_order_ = oldest;
    exec_at_arm_ = last_executed_;
    patience_ = 0;
  }
}

// Identical batch bytes seen before: queued or pending, executed recently, kept by the new
// view (re-proposed there), or already in an open slot of this view.
bool PoeReplica::known_batch(const Hash32& d) const {
  if (pending_.count(d) || executed_index_.count(d)) return true;
  for (const auto& [k, fd] : fixed_) {
    if (fd == d) return true;
  }
  return in_open_slot(d);
}

bool PoeReplica::in_open_slot(const Hash32& d) const {
  for (const auto& [k, s] : slots_) {
    if (k > last_executed_ && ((s.accepted && s.digest == d) || (s.certified && s.cert_digest == d))) {
      return true;
    }
  }
  return false;
}

// A pending batch the replica layer gave up on (its requests executed elsewhere): dropped unless
// a slot of ours holds it. Without it the replica layer freed a forwarder's quota while the
// batch stayed pending here, and a flooding peer pushed pending past its bound (sim poe-mac f=1
// seed 2159397098: 258 pending batches, bound 256).
void PoeReplica::withdraw(ByteView batch) {
  const Hash32 d = batch_digest(batch);
  auto it = pending_.find(d);
  if (it == pending_.end() || in_open_slot(d)) return;
  pending_.erase(it);
  queue_.erase(std::remove(queue_.begin(), queue_.end(), d), queue_.end());
  update_progress_timer(false);
}

void PoeReplica::submit(Bytes batch) {
  Hash32 d = batch_digest(batch);
  // A backup keeps its batch pending until it is executed, whatever slot holds it: an open
  // slot an equivocating primary can never certify must not hide it from the progress timer
  // (poe-mac sim seed 443743024: re-submissions were dropped as known, nothing was pending, no
  // timer ran, and the request waited for good). The primary proposes a batch only once.
  if (is_primary() ? known_batch(d) : (pending_.count(d) || executed_index_.count(d))) return;
  pending_[d] = Pending{std::move(batch), next_order_++, 0};
  if (is_primary()) {
    queue_.push_back(d);
    propose_more();
  } else {
    update_progress_timer(false);
  }
}

// A FETCH from where we are to everyone: the primary of our view answers what we lack, and a
// replica in a later view relays its NV-PROPOSE (on_fetch), which brings us there.
void PoeReplica::client_waits() {
  if (in_vc_ || probed_) return;
  probed_ = true;
  env_.broadcast(encode(Fetch{view_, last_executed_ + 1}));
}

void PoeReplica::on_message(NodeId from, ByteView msg) {
  if (from >= cfg_.n || from == cfg_.self) return reject();
  auto t = peek_type(msg);
  if (!t) return reject();
  switch (*t) {
    case MsgType::propose: return on_propose(from, msg);
    case MsgType::support: return on_support(from, msg);
    case MsgType::certify: return on_certify(from, msg);
    case MsgType::checkpoint: return on_checkpoint(from, msg);
    case MsgType::vc_request: return on_vc_request(from, msg);
    case MsgType::nv_propose: return on_nv_propose(from, msg);
    case MsgType::forward: return on_forward(from, msg);
    case MsgType::fetch: return on_fetch(from, msg);
    case MsgType::stable: return on_stable(from, msg);
    case MsgType::want: return on_want(from, msg);
  }
  reject();
}

// A backup's pending batch, re-sent to the primary (after a view change, or when the first
// forward by the replica layer may have been lost). Treated like submit() after validation.
// Also the answer to our Want: a batch of the new view's history, known by its certified
// digest (so not validated here; backups validate it when it is proposed).
void PoeReplica::on_forward(NodeId from, ByteView msg) {
  auto m = decode_forward(msg, limits_);
  if (!m) return reject();
  (void)from;
  const bool nv_primary = in_vc_ && cfg_.primary_of(vc_target_) == cfg_.self;
  if (!is_primary() && wanted_.empty() && !nv_primary) return reject();
  Hash32 d = batch_digest(m->batch);
  if (wanted_.count(d)) return take_wanted(d, std::move(m->batch));
  if (auto it = nv_wanted_.find(d); nv_primary && it != nv_wanted_.end()) {
    // A batch a request for our new view names (maybe_send_nv asked for it).
    if (it->second > stable_) old_batches_[it->second].try_emplace(d, std::move(m->batch));
    nv_wanted_.erase(it);
    return maybe_send_nv(vc_target_);
  }
  if (!is_primary()) return reject();
  if (known_batch(d)) return reject();  // duplicate
  // Each backup gets a bounded share of our queue: different subsets of genuine requests make
  // different valid batches, so without a quota one faulty backup could fill our memory. A
  // correct backup forwards what it waits for, which fits; the rest it forwards again later.
  size_t queued = 0;
  for (const auto& [pd, p] : pending_) queued += p.from == from;
  if (queued >= kForwardQuota * size_t{cfg_.max_inflight}) return reject();
  if (!env_.validate_batch(m->batch)) return reject();
  const uint64_t order = next_order_;
  submit(std::move(m->batch));
  if (auto p = pending_.find(d); p != pending_.end() && p->second.order == order) p->second.from = from;
}

void PoeReplica::on_timer(TimerKind t) {
  switch (t) {
    case TimerKind::view_change: {
      const bool armed = progress_armed_;
      progress_armed_ = false;
      if (in_vc_) break;
      // The primary kept executing, only not our oldest batch: under load a batch can wait in
      // its queue longer than a timeout (a replica back from a pause, whose batches queue
      // behind everyone's, timed out and forced a second view change). As the replica layer
      // does for forwarded batches, such a primary gets kPatience timeouts in all before it is
      // suspected of censoring the batch; one that executes nothing is replaced after one.
      if (armed && last_executed_ > exec_at_arm_ && ++patience_ < kPatience) {
        exec_at_arm_ = last_executed_;
        env_.set_timer(TimerKind::view_change, timeout_ms());
        progress_armed_ = true;
        break;
      }
      // Back-off counts only our own timers' expiries: joining others' requests (f + 1, or a
      // lone one while idle) is no sign of a slow network, and counting joins let one faulty
      // replica double everyone's timeout at will on an idle cluster.
      ++failures_;
      start_view_change(view_ + 1, "progress_timeout");
      break;
    }
    case TimerKind::new_view:
      new_view_armed_ = false;
      if (in_vc_) {
        ++failures_;
        start_view_change(vc_target_ + 1, "new_view_timeout");
      }
      break;
    case TimerKind::retransmit:
      retransmit();
      env_.set_timer(TimerKind::retransmit, std::max<uint64_t>(1, cfg_.view_timeout_ms / 2));
      break;
  }
}

// Re-send this replica's latest messages for unfinished work; each item at most kMaxTicks
// times, skipping the first tick (the original send is probably still in flight).
void PoeReplica::retransmit() {
  probed_ = false;
  relayed_.clear();
  stable_sent_.clear();
  want_answered_.clear();
  fetch_answered_.clear();
  catch_up_if_stuck();
  nv_want_sent_ = false;
  if (in_vc_) {
    if (!own_vc_msg_.empty()) env_.broadcast(own_vc_msg_);
    maybe_send_nv(vc_target_);  // asks again for batches it still lacks
    // Alone in a view change while the others carry on, we may still catch up on stable
    // checkpoints (final state, nothing speculative): the old primary answers with its proof.
    if (cfg_.primary_of(view_) != cfg_.self) {
      env_.send(cfg_.primary_of(view_), encode(Fetch{view_, last_executed_ + 1}));
    }
    return;
  }
  const bool primary = is_primary();
  const NodeId p = cfg_.primary_of(view_);
  if (primary && !wanted_.empty()) {
    Want w;
    for (const auto& [d, k] : wanted_) w.digests.push_back(d);
    env_.broadcast(encode(w));
  }
  for (auto& [k, s] : slots_) {
    // The primary re-sends what it executed too: backups may lack it. Backups re-send votes for
    // what they have not executed yet, and for what they executed in an earlier view and do
    // not hold this view's certificate for (they vouch for it only once they do).
    if (!s.accepted || (!primary && k <= last_executed_ && s.certified)) continue;
    // The primary's own uncertified proposal is unfinished work, not idle chatter: it keeps
    // re-sending it until it is certified (or the view ends). Backups answer a duplicate
    // PROPOSE with their SUPPORT even for a k they already executed (under an earlier view's
    // certificate), and that is the only way such a SUPPORT reaches it again: without this a
    // new primary whose shares from those backups were lost during the faults stayed at its
    // last execution for good (sim seed 3682).
    const bool unfinished = primary && !s.certified;
    if (s.ticks++ == 0 || (s.ticks > kMaxTicks && !unfinished)) continue;
    if (primary) {
      auto b = s.batches.find(s.digest);
      if (b != s.batches.end()) env_.broadcast(encode(Propose{view_, k, s.digest, b->second}));
      if (s.certified && !cfg_.mac_variant) {
        env_.broadcast(encode(Certify{view_, k, s.cert_digest, s.cert.group_sig}));
      }
    }
    if (cfg_.mac_variant || (!primary && !s.certified)) send_support(k, s);
  }
  if (own_ckpt_ && own_ckpt_ticks_++ > 0 && own_ckpt_ticks_ <= kMaxTicks) {
    env_.broadcast(encode(*own_ckpt_));
  }
  // Pull what we miss: the primary's own retransmissions stop after kMaxTicks, a FETCH is
  // answered for as long as we lack something, including this view's certificates for what we
  // executed in an earlier one (without them we vouch for nothing after it).
  const Seq vouched = std::max({attest_view_ == view_ ? attest_upto_ : Seq{0}, stable_, final_});
  if (!primary && last_executed_ >= stable_ &&
      (!pending_.empty() || slots_.upper_bound(last_executed_) != slots_.end() || vouched < last_executed_)) {
    env_.send(p, encode(Fetch{view_, std::min(vouched, last_executed_) + 1}));
  }
  // Re-forward pending batches the primary has not proposed (the replica layer's forward may
  // have been lost), every other tick for as long as they wait.
  if (!primary) {
    for (auto& [d, pb] : pending_) {
      if (++pb.ticks % 2 == 0 && !in_open_slot(d)) env_.send(p, encode(Forward{pb.batch}));
    }
  }
}

}  // namespace rampart::consensus::poe
