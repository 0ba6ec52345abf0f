#include "replica/batcher.hpp"

#include <algorithm>

#include "replica/batch.hpp"
#include "replica/peer_msg.hpp"

namespace rampart::replica {

namespace {
const metrics::Declared kBatchesBuilt{"rampart_batches_built_total", "batches this replica's batcher closed"};
const metrics::Declared kBundles{"rampart_bundles_total",
                                 "slots this replica proposed as a bundle of several replicas' batches"};
const metrics::Declared kBundledParts{"rampart_bundled_parts_total", "batches ordered inside those bundles"};
const metrics::Declared kForwardFallbacks{
    "rampart_forward_fallbacks_total",
    "forwarded batches the primary did not order within view_timeout_ms, submitted to the protocol"};
const metrics::Declared kOriginShareFull{
    "rampart_forwarded_parts_over_origin_share_total",
    "forwarded batches the primary did not queue: their forwarder already held its 1/n share of the queue"};
const metrics::Declared kSaltedSlots{
    "rampart_salted_slots_total",
    "slots the primary salted because the same bytes were ordered lately (retries of lone requests)"};
const metrics::Declared kBadParts{
    "rampart_bad_forwarded_parts_total",
    "forwarded batches the primary dropped: no witnesses in time and its own check failed"};
}  // namespace

void Batcher::add(Request r) {
  if (!has_work()) pending_since_ = host_.now_ms();
  if (timeline_ && pending_.empty()) oldest_own_us_ = host_.now_us();
  pending_.push_back(std::move(r));
  if (pending_.size() >= p_.batch_size ||
      (returned() && own_inflight_.size() < max_own_inflight())) {
    close();
  } else {
    arm();
  }
}

size_t Batcher::ready_requests(uint64_t now) const {
  size_t n = 0;
  const uint64_t bound = witness_bound();
  for (const auto& q : parts_queue_)
    if (!p_.witnesses || auth_.certified(q.d) || now - q.since_ms >= bound)
      n += claimed_requests(q.bytes);
  return n;
}

size_t Batcher::gathered() const {
  size_t n = pending_.size();
  if (primary_ == p_.self)
    for (const auto& q : parts_queue_) n += claimed_requests(q.bytes);
  return n;
}

// A light slot of ours was answered (or executed, at a backup): the clients it answered come
// back about together, so the next one waits for them, beside those waiting already, at most one
// batch timeout from now. (Leaving as soon as the waiting ones were as many as the last slot kept
// two groups of clients alternating: bench wallet --f 0, 8 threads.) A slot that would not be
// light leaves at once.
void Batcher::gather_or_close() {
  if (expected_ == 0 || gathered() * kLightFraction >= p_.batch_size) return close();
  target_ = std::min(p_.batch_size, gathered() + expected_);
  if (timer_armed_) host_.cancel_batch_timer();
  timer_armed_ = false;
  arm();
}

void Batcher::arm() {
  if (timer_armed_) return;
  timer_armed_ = true;
  host_.arm_batch_timer(p_.batch_timeout_ms);
}

void Batcher::on_timer() {
  timer_armed_ = false;
  if (!has_work()) return;
  const uint64_t now = host_.now_ms();
  std::erase_if(own_inflight_, [&](const auto& e) { return now - e.second > kOwnBatchExpiryMs; });
  std::erase_if(light_, [&](const Hash32& d) { return !own_inflight_.count(d); });  // slots that never executed
  if (own_inflight_.size() < max_own_inflight() || now - pending_since_ >= kMaxBatchHoldMs) {
    forcing_ = true;  // the gathering's bound: what is ready leaves now
    close();
    forcing_ = false;
  } else {
    arm();  // poll: an execution of ours closes it sooner (executed())
  }
}

void Batcher::close() {
  if (!has_work() || !open_) return;
  if (timer_armed_) {
    host_.cancel_batch_timer();
    timer_armed_ = false;
  }
  const uint64_t now = host_.now_ms();
  Bytes own;
  if (!pending_.empty()) {
    Batch b;
    b.requests = std::move(pending_);
    pending_.clear();
    if (primary_ != p_.self)
      target_ = expected_ =
          b.requests.size() * kLightFraction < p_.batch_size ? b.requests.size() : 0;
    own = encode_batch(b);
    reg_[kBatchesBuilt]++;
    const Hash32 digest = batch_digest(own);
    note_closed(digest, true);
    auth_.remember(digest);  // every request in it passed its check on arrival
    if (p_.witnesses) {
      // Every batch, the primary's too, goes to every replica with our witness, so its other f
      // witnesses check it while the current slot is in flight and the rest need not.
      host_.broadcast_peer(wrap(PeerTag::forward, own));
      host_.vouch(digest);
    }
    if (primary_ != p_.self) {
      own_inflight_[digest] = now;
      // With client signatures, every replica gets the batch now, not only the primary: each
      // checks it while the current slot is in flight, so when the bundle holding it arrives
      // the backups find it already checked (by digest) and support at once. Sent to the
      // primary alone, its signatures were checked by the other backups on the bundle's
      // critical path, while the primary, waiting for their support, sat idle.
      if (!p_.witnesses) {  // with witnesses, broadcast above
        if (p_.forward_to_all) host_.broadcast_peer(wrap(PeerTag::forward, own));
        else host_.send_peer(primary_, wrap(PeerTag::forward, own));
      }
      forwarded_[digest] = {std::move(own), now, false};
      return;
    }
    if (p_.witnesses) {
      // Waits in the queue for its witnesses like a forwarded batch (not bounded by the queue's
      // limit: the requests are ours). Only the slot holding it counts as in flight.
      if (queued_parts_.insert(digest).second) parts_queue_.push_back({digest, std::move(own), now, true, p_.self});
      own.clear();
    } else {
      own_inflight_[digest] = now;
    }
  }
  // With witnesses a light round's parts become ready one by one as their witnesses come: the
  // slot waits (until the timer) for as many ready requests as the last one carried, or the
  // first part certified would leave alone and the others wait for the next slot.
  if (p_.witnesses && target_ > 0 && !forcing_ && ready_requests(now) < target_) {
    arm();
    return;
  }
  // The primary: our own batch and the batches forwarded to us since the last bundle go into
  // one slot, up to the bundle limits; whatever does not fit waits for the next one.
  std::vector<Bytes> parts;
  size_t requests = 0;
  if (!own.empty()) {
    requests = claimed_requests(own);
    parts.push_back(std::move(own));
  }
  for (auto& p : take_parts(now, kMaxBundleParts - parts.size(), requests)) parts.push_back(std::move(p));
  // Parts still waiting for witnesses: polled, since the bound passes without any event.
  if (!parts_queue_.empty()) arm();
  if (parts.empty()) return;
  size_t slot_requests = 0;
  for (const auto& p : parts) slot_requests += claimed_requests(p);
  if (parts.size() > 1) {
    reg_[kBundles]++;
    reg_[kBundledParts] += parts.size();
  }
  Bytes slot = parts.size() == 1 ? std::move(parts.front()) : encode_bundle(parts);
  Hash32 slot_digest = batch_digest(slot);
  if (ordered_lately_.count(slot_digest)) {
    // These very bytes were ordered already (a client's retry of a lone request forms the same
    // batch as its first one): the protocol would drop them as a duplicate and the retry would
    // never be answered. Salted, they are new bytes; the executor answers from its reply cache.
    if (parts.size() == 1) parts.front() = std::move(slot);
    do {
      slot = encode_bundle(parts, ++salt_counter_);
      slot_digest = batch_digest(slot);
    } while (ordered_lately_.count(slot_digest));
    reg_[kSaltedSlots]++;
  }
  own_inflight_[slot_digest] = now;
  const bool light = slot_requests * kLightFraction < p_.batch_size;
  if (light) light_.insert(slot_digest);
  target_ = expected_ = light ? slot_requests : 0;
  note_closed(slot_digest, false);  // our own batch's wait was noted when it closed, above
  auth_.remember(slot_digest);  // every part is authentic: checked (on arrival, when forwarded) or witnessed
  if (!parts_queue_.empty()) pending_since_ = now;
  host_.submit(std::move(slot));
}

// A prebuilt part (a broker's distilled batch we checked): it travels as a batch of our own
// would, to every replica with our witness and, at a backup, to the primary with the fallback.
void Batcher::add_part(Bytes part, const Hash32& d) {
  if (!open_) return;  // the restart handshake: the broker re-sends it
  const uint64_t now = host_.now_ms();
  auth_.remember(d);
  if (forwarded_.count(d) || queued_parts_.count(d)) return;  // handed on already
  if (p_.witnesses) {
    host_.broadcast_peer(wrap(PeerTag::forward, part));
    host_.vouch(d);
  }
  // Not in own_inflight_: that paces this replica's own requests, which need not wait for it.
  if (primary_ != p_.self) {
    if (!p_.witnesses) {
      if (p_.forward_to_all) host_.broadcast_peer(wrap(PeerTag::forward, part));
      else host_.send_peer(primary_, wrap(PeerTag::forward, part));
    }
    forwarded_[d] = {std::move(part), now, false};
    return;
  }
  queued_parts_.insert(d);
  if (!has_work()) pending_since_ = now;
  parts_queue_.push_back({d, std::move(part), now, true, p_.self});
  if (own_inflight_.size() < max_own_inflight()) close();
  else arm();
}

void Batcher::note_closed(const Hash32& d, bool own_requests) {
  if (!timeline_) return;
  const uint64_t now = host_.now_us();
  own_closed_us_[d] = now;
  if (primary_ == p_.self) timeline_->seen(d, now);  // a slot we propose: its ordering starts
  while (own_closed_us_.size() > 4 * kMaxQueuedParts) own_closed_us_.erase(own_closed_us_.begin());
  if (own_requests) timeline_->batch_closed(now - oldest_own_us_);
}

// Ready parts first in queue order: those with their certificate, or waiting longer than the
// bound (checked here, so a correct primary never proposes a part with a bad signature).
// Without witnesses every queued part is ready and was checked on arrival.
std::vector<Bytes> Batcher::take_parts(uint64_t now, size_t room, size_t requests) {
  std::vector<Bytes> taken;
  std::deque<QueuedPart> keep;
  const uint64_t bound = witness_bound();
  for (auto& q : parts_queue_) {
    const bool certified = p_.witnesses && auth_.certified(q.d);
    const bool ready = !p_.witnesses || certified || now - q.since_ms >= bound;
    const size_t r = claimed_requests(q.bytes);
    if (!ready || taken.size() >= room || requests + r > kMaxBatchRequests) {
      keep.push_back(std::move(q));
      continue;
    }
    queued_parts_.erase(q.d);
    if (p_.witnesses && !auth_.authentic(q.bytes, q.d)) {
      reg_[kBadParts]++;
      continue;
    }
    requests += r;
    taken.push_back(std::move(q.bytes));
  }
  parts_queue_ = std::move(keep);
  return taken;
}

// Under load a witness's check of a large batch waits behind other work, so a fixed bound would
// give up on witnesses exactly when their saving matters most (and the fallback adds checks at
// every backup). The bound follows how long certificates take lately, with a floor and a cap:
// withheld witnesses cost each part at most view_timeout_ms / 4.
uint64_t Batcher::witness_bound() const {
  const uint64_t cap = std::max<uint64_t>(p_.witness_wait_ms, p_.view_timeout_ms / 4);
  return std::clamp<uint64_t>(4 * witness_delay_ms_, p_.witness_wait_ms, cap);
}

void Batcher::on_certified(const Hash32& d) {
  if (primary_ != p_.self || !queued_parts_.count(d)) return;
  const uint64_t now = host_.now_ms();
  for (const auto& q : parts_queue_)
    if (q.d == d) witness_delay_ms_ = (7 * witness_delay_ms_ + (now - q.since_ms)) / 8;
  if (own_inflight_.size() < max_own_inflight()) close();
}

void Batcher::on_forwarded(ByteView part, const Hash32& d, consensus::NodeId origin) {
  if (primary_ != p_.self) return;  // the sender re-sends it to the primary it learns of
  queue_part(Bytes(part.begin(), part.end()), d, origin);
}

void Batcher::queue_part(Bytes part, const Hash32& d, consensus::NodeId origin) {
  if (parts_queue_.size() >= kMaxQueuedParts || queued_parts_.count(d)) return;
  if (parts_queue_.size() >= origin_share()) {  // counted only when it could matter
    size_t from_origin = 0;
    for (const auto& q : parts_queue_) from_origin += q.origin == origin ? 1 : 0;
    if (from_origin >= origin_share()) {
      reg_[kOriginShareFull]++;
      return;  // the forwarder re-sends it (view change) or submits it itself (tick)
    }
  }
  queued_parts_.insert(d);
  if (!has_work()) pending_since_ = host_.now_ms();
  parts_queue_.push_back({d, std::move(part), host_.now_ms(), false, origin});
  if (own_inflight_.size() < max_own_inflight() && (target_ == 0 || returned())) {
    close();
  } else {
    arm();
  }
}

void Batcher::executed(ByteView slot, const Hash32& d, uint64_t k) {
  last_execution_ms_ = host_.now_ms();
  if (ordered_lately_.insert(d).second) {
    ordered_fifo_.push_back(d);
    if (ordered_fifo_.size() > ordered_max_) {
      ordered_lately_.erase(ordered_fifo_.front());
      ordered_fifo_.pop_front();
    }
  }
  bool ours = false;
  if (light_.erase(d) && k > 0 && own_inflight_.count(d)) {
    held_[k] = d;  // still in flight: released by proven(k)
  } else {
    ours = own_inflight_.erase(d) > 0;
  }
  forwarded_.erase(d);
  note_executed(d);
  if (is_bundle(slot)) {
    if (auto parts = batch_parts(slot)) {
      for (ByteView p : *parts) {
        const Hash32 pd = batch_digest(p);
        forwarded_.erase(pd);
        note_executed(pd);
        ours = own_inflight_.erase(pd) > 0 || ours;
      }
    }
  }
  if (ours) close_soon();  // one of our batches is done: the requests that gathered meanwhile go next
}

// Deferred, since close() submits to the protocol, which may be calling us right now.
void Batcher::close_soon() {
  if (own_inflight_.size() >= max_own_inflight() || !has_work() || close_deferred_) return;
  close_deferred_ = true;
  host_.defer([this] {
    close_deferred_ = false;
    gather_or_close();
  });
}

void Batcher::answered(uint64_t k) { release(held_.begin(), held_.upper_bound(k)); }

void Batcher::rolled_back(uint64_t k) { release(held_.upper_bound(k), held_.end()); }

void Batcher::release(std::map<uint64_t, Hash32>::iterator from, std::map<uint64_t, Hash32>::iterator to) {
  if (from == to) return;
  for (auto it = from; it != to; ++it) own_inflight_.erase(it->second);
  held_.erase(from, to);
  close_soon();
}

void Batcher::note_executed(const Hash32& d) {
  if (!timeline_) return;
  auto it = own_closed_us_.find(d);
  if (it == own_closed_us_.end()) return;
  timeline_->own_batch_executed(host_.now_us() - it->second);
  own_closed_us_.erase(it);
}

void Batcher::view_changed(consensus::NodeId primary) {
  primary_ = primary;
  target_ = expected_ = 0;  // what our last batch carried says nothing about our next role's
  for (const auto& [k, d] : held_) own_inflight_.erase(d);
  held_.clear();
  light_.clear();
  // Batches we handed to the old primary that were not executed go to the new one. Batches
  // others forwarded to us as the old primary are theirs to re-send.
  const uint64_t now = host_.now_ms();
  for (auto& q : parts_queue_) {
    // Our own batch, queued as the old primary (witnesses on): ours to hand to the new one.
    if (q.own && primary != p_.self) forwarded_[q.d] = {std::move(q.bytes), now, false};
  }
  std::vector<QueuedPart> requeue;
  if (primary == p_.self)
    for (auto& q : parts_queue_)
      if (q.own) requeue.push_back(std::move(q));
  parts_queue_.clear();
  queued_parts_.clear();
  for (auto& q : requeue) {
    queued_parts_.insert(q.d);
    parts_queue_.push_back(std::move(q));
  }
  if (primary == p_.self) {
    // Ours to order now: no longer in flight elsewhere (left counted, they held our first slot
    // back for kMaxBatchHoldMs).
    for (const auto& [d, f] : forwarded_) own_inflight_.erase(d);
    for (auto& [d, f] : forwarded_) queue_part(std::move(f.bytes), d, p_.self);
    forwarded_.clear();
  } else {
    for (auto& [d, f] : forwarded_) {
      host_.send_peer(primary, wrap(PeerTag::forward, f.bytes));
      f.sent_ms = now;
    }
  }
}

void Batcher::state_transferred() {
  const uint64_t now = host_.now_ms();
  for (auto& [d, f] : forwarded_) {
    if (!f.submitted) continue;
    f.submitted = false;
    f.sent_ms = now;
  }
}

// A primary that orders nothing for view_timeout_ms while our batch waits is suspect at once; one
// that keeps ordering other slots is probably just loaded (under load a batch can wait longer
// than view_timeout_ms in its queue, and submitting it then would only order it twice), so it
// gets 8x as long before our batch goes to the protocol, which also catches a primary that
// orders everyone's batches but ours.
void Batcher::tick() {
  const uint64_t now = host_.now_ms();
  const uint64_t stall = p_.view_timeout_ms;
  const uint64_t patience = now - last_execution_ms_ < stall ? 8 * stall : stall;
  for (auto& [d, f] : forwarded_) {
    if (f.submitted || now - f.sent_ms < patience) continue;
    f.submitted = true;
    reg_[kForwardFallbacks]++;
    host_.submit(f.bytes);
  }
}

}  // namespace rampart::replica
