// Batch bytes by digest. VC-REQUESTs and NV-PROPOSEs name batches only by digest, so a replica
// keeps the bytes of every batch it accepted or saw certified until the stable checkpoint
// passes its k, across view changes (old_batches_), and hands them to a new primary that asks
// (Want). Why this suffices: a certified batch was accepted by nf replicas, f+1 of them correct,
// and each of those keeps it; a batch below the stable checkpoint is never re-proposed.
#include "consensus/poe/replica.hpp"

namespace rampart::consensus::poe {

const Bytes* PoeReplica::find_batch(const Hash32& d) const {
  if (auto p = pending_.find(d); p != pending_.end()) return &p->second.batch;
  for (const auto& [k, s] : slots_) {
    if (auto b = s.batches.find(d); b != s.batches.end()) return &b->second;
  }
  for (const auto& [k, e] : committed_) {
    if (e.digest == d && !e.batch.empty()) return &e.batch;
  }
  for (const auto& [k, m] : old_batches_) {
    if (auto b = m.find(d); b != m.end()) return &b->second;
  }
  return nullptr;
}

// The view's slots are about to be dropped (view change): their batches stay available.
void PoeReplica::keep_slot_batches() {
  for (auto& [k, s] : slots_) {
    if (k <= stable_) continue;
    for (auto& [d, b] : s.batches) old_batches_[k].try_emplace(d, std::move(b));
  }
}

void PoeReplica::on_want(NodeId from, ByteView msg) {
  auto m = decode_want(msg, limits_);
  if (!m) return reject();
  // Only a new primary needs batches (the primary of our view, or of the view we asked for),
  // and answering costs bandwidth: once per retransmit tick, at most as many batches as a
  // FETCH answer; the primary asks again for the rest on its next tick.
  const bool primary = from == cfg_.primary_of(view_) || (in_vc_ && from == cfg_.primary_of(vc_target_));
  if (!primary || !want_answered_.insert(from).second) return reject();
  size_t budget = 2 * size_t{cfg_.max_inflight};
  for (const auto& d : m->digests) {
    const Bytes* b = find_batch(d);
    if (!b) continue;
    env_.send(from, encode(Forward{*b}));
    if (--budget == 0) break;
  }
}

// A batch the new view's history needs, by its certified digest (the caller hashed it): the
// primary proposes it in its slot; otherwise it is kept like any other.
void PoeReplica::take_wanted(const Hash32& d, Bytes batch) {
  auto it = wanted_.find(d);
  const Seq k = it->second;
  wanted_.erase(it);
  if (k <= stable_) return;
  auto fx = fixed_.find(k);
  if (is_primary() && fx != fixed_.end() && fx->second == d && !slots_[k].accepted && propose(k, batch)) {
    return;
  }
  old_batches_[k].try_emplace(d, std::move(batch));
}

}  // namespace rampart::consensus::poe
