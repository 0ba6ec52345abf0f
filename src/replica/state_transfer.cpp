#include "replica/state_transfer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "ledger/block.hpp"
#include "replica/restart.hpp"

namespace rampart::replica {

namespace {
const metrics::Declared kStateTransfers{"rampart_state_transfers_total", "completed state transfers"};
const metrics::Declared kStateServed{"rampart_state_served_total",
                                     "state-transfer snapshots this replica sent to peers"};
}  // namespace

void StateTransfer::need(uint64_t k, const Hash32& head) {
  if (active_ && k_ >= k) return;
  if (final_here(k, head)) return;
  active_ = true;
  k_ = k;
  head_ = head;
  spdlog::info("event=state_transfer_start target={} have_final={}", k, store_.last_final());
  request();
}

// Final here already (recovered from disk, or reached by ordinary execution while the transfer
// was under way): the same history, or our disk disagrees with nf replicas, which only damage
// can explain. The protocol hears it was transferred; re-executions it asks for below our
// height return the stored outcomes (Replica::execute). Restoring the checkpoint's snapshot
// instead would set the executor back below blocks that are final here, and the state machine
// would apply their requests a second time.
bool StateTransfer::final_here(uint64_t k, const Hash32& head) {
  if (k > exec_.last_executed() || store_.last_final() < k) return false;
  auto b = store_.block(k);
  if (b && ledger::block_hash(*b) == head) {
    host_.protocol_transferred(k, head);
  } else {
    spdlog::critical("event=final_block_contradicts_checkpoint k={}", k);
  }
  return true;
}

bool StateTransfer::overtaken() {
  if (!active_ || k_ > exec_.last_executed() || store_.last_final() < k_) return false;
  active_ = false;
  host_.cancel_state_timer();
  spdlog::info("event=state_transfer_overtaken k={} final={}", k_, store_.last_final());
  final_here(k_, head_);
  return true;
}

void StateTransfer::request() {
  if (!active_ || overtaken()) return;
  peer_ = (peer_ + 1) % p_.n;
  if (peer_ == p_.self) peer_ = (peer_ + 1) % p_.n;
  host_.send_peer(peer_, encode_state_req(store_.last_final() + 1, k_));
  host_.arm_state_timer(kRetryMs);
}

void StateTransfer::on_request(consensus::NodeId from, uint64_t from_k, uint64_t want_k) {
  StateResp r;
  auto cp = store_.checkpoint();
  // Serve exactly the requested checkpoint when we still have its snapshot.
  if (auto it = keep_.snapshots.find(want_k); it != keep_.snapshots.end() && store_.last_final() >= want_k) {
    r.checkpoint.k = want_k;
    r.checkpoint.head = it->second.head;
    r.checkpoint.state_digest = it->second.digest;
    if (auto c = keep_.certs.find(want_k); c != keep_.certs.end() && c->second.head == it->second.head) {
      r.checkpoint.view = c->second.view;
      r.checkpoint.signatures = c->second.sigs;
    }
    r.snapshot = it->second.state;
  } else if (cp) {
    auto snap = store_.snapshot();
    if (!snap || !*snap) return;
    r.checkpoint = *cp;
    r.snapshot = (*snap)->state;
  } else {
    return;
  }
  uint64_t to = std::min(r.checkpoint.k, store_.last_final());
  if (from_k == 0) from_k = 1;
  if (from_k <= to) {
    to = std::min(to, from_k + kMaxStateBlocks - 1);
    auto blocks = store_.blocks(from_k, to);
    if (!blocks) return;
    r.blocks = std::move(*blocks);
    for (uint64_t k = from_k; k <= to; ++k) {
      auto b = store_.batch(k);
      if (!b) return;
      r.batches.push_back(std::move(*b));
    }
  }
  reg_[kStateServed]++;
  host_.send_peer(from, encode_state_resp(r));
}

bool StateTransfer::acceptable(consensus::NodeId from, const StateResp& r, uint64_t base, bool& have_cp) {
  // Blocks: each must link to our chain and carry a valid proof of execution.
  if (!r.blocks.empty()) {
    if (r.blocks.front().k != base + 1) return false;
    auto prev = store_.block(base);
    if (!prev) return false;
    if (auto st = check_offered_blocks(*prev, r.blocks, r.batches, tv_); !st) {
      spdlog::warn("event=state_transfer_rejected from={} error=\"{}\"", from, st.error().message);
      return false;
    }
  }
  uint64_t top = r.blocks.empty() ? base : r.blocks.back().k;
  have_cp = r.checkpoint.k == k_ && r.checkpoint.head == head_ && top >= k_;
  if (top < k_) return true;  // partial: install the blocks we got (state follows by replay), ask for more
  if (!have_cp) {
    spdlog::warn("event=state_transfer_mismatch from={} their_checkpoint={} want={}", from, r.checkpoint.k, k_);
    return false;
  }
  // The checkpoint must carry a certificate the protocol verifies (nf signatures on this
  // head), and its block (offered, or ours) must be that head with that state digest, before
  // anything of ours is replaced.
  auto verify = [this](const consensus::CheckpointCert& c) { return host_.verify_checkpoint(c); };
  Status st = check_offered_checkpoint(verify, r.checkpoint, k_, head_);
  if (st) {
    const ledger::Block* at = nullptr;
    for (const auto& b : r.blocks)
      if (b.k == k_) at = &b;
    Result<ledger::Block> own = at ? Result<ledger::Block>(*at) : store_.block(k_);
    if (!own || ledger::block_hash(*own) != head_ || own->state_digest != r.checkpoint.state_digest)
      st = err("checkpoint " + std::to_string(k_) + ": its block does not match its head and state digest");
  }
  // Last, the part no signature covers: a snapshot of another state would otherwise cost us our
  // speculation and leave the executor holding the peer's state until an honest answer came.
  if (st && !host_.snapshot_matches(r.snapshot, r.checkpoint.state_digest))
    st = err("checkpoint " + std::to_string(k_) + ": the snapshot does not restore to the certified state digest");
  if (!st) {
    reg_[kBadPeerMsgs]++;
    spdlog::warn("event=state_transfer_rejected from={} error=\"{}\"", from, st.error().message);
    return false;
  }
  return true;
}

void StateTransfer::on_response(consensus::NodeId from, StateResp r) {
  if (!active_ || overtaken()) return;
  // 1. Check. Speculative blocks of ours above the last final one are replaced.
  const uint64_t base = store_.last_final();
  bool have_cp = false;
  if (!acceptable(from, r, base, have_cp)) return;
  // 2. Install: drop our speculation, append the proven blocks as final.
  if (exec_.last_executed() > base) exec_.rollback(base);
  if (auto st = store_.truncate_above(base, false); !st) return;
  host_.old_chain_dropped();
  for (size_t i = 0; i < r.blocks.size(); ++i) {
    const auto& b = r.blocks[i];
    if (b.k > k_) break;
    if (auto st = store_.append_block(b, r.batches[i], false); !st) {
      spdlog::error("event=state_transfer_append_failed k={} error=\"{}\"", b.k, st.error().message);
      return;
    }
  }
  if (!have_cp) return replay_partial();
  // 3. The snapshot must reproduce the digest nf replicas certified (checked above).
  if (auto st = exec_.restore(r.snapshot); !st) {
    spdlog::warn("event=state_transfer_bad_snapshot from={} error=\"{}\"", from, st.error().message);
    return;
  }
  if (exec_.state_digest() != r.checkpoint.state_digest) {
    spdlog::critical("event=state_transfer_digest_mismatch from={} k={}", from, k_);
    return;
  }
  ledger::CheckpointRecord rec = r.checkpoint;  // with its verified certificate
  keep_.certs[k_] = {k_, rec.view, head_, rec.signatures};
  if (auto st = store_.put_checkpoint(rec, r.snapshot, true); !st) {
    spdlog::error("event=state_transfer_checkpoint_failed error=\"{}\"", st.error().message);
    return;
  }
  keep_.snapshots.clear();
  keep_.snapshots[k_] = {rec.state_digest, head_, r.snapshot};
  active_ = false;
  host_.cancel_state_timer();
  reg_[kStateTransfers]++;
  spdlog::info("event=state_transfer_done k={} from={}", k_, from);
  host_.installed(k_, head_);
}

// Replay what was appended so the executor follows the ledger, then ask for the rest.
void StateTransfer::replay_partial() {
  for (uint64_t k = exec_.last_executed() + 1; k <= store_.last_block(); ++k) {
    auto batch = store_.batch(k);
    if (!batch) return;
    auto out = exec_.execute(k, *batch);
    auto b = store_.block(k);
    if (!b || b->state_digest != out.state_digest) {
      spdlog::critical("event=state_transfer_replay_mismatch k={}", k);
      return;
    }
    exec_.make_final(k);
  }
  host_.replayed(exec_.last_executed());
  request();
}

}  // namespace rampart::replica
