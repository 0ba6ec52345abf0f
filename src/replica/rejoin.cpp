#include "replica/rejoin.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "replica/peer_msg.hpp"

namespace rampart::replica {

namespace {
const metrics::Declared kBlocksAbandoned{
    "rampart_blocks_abandoned_total",
    "own final blocks dropped because f + 1 peers hold a different proven chain (after a whole-cluster crash)"};
}  // namespace

Rejoin::Rejoin(Params p, LedgerStore& store, Executor& exec, CheckpointKeep& keep, const crypto::ThresholdVerifier& tv,
               Bytes genesis_state, RejoinHost& host, metrics::Registry& reg)
    : p_(p),
      store_(store),
      exec_(exec),
      keep_(keep),
      tv_(tv),
      genesis_state_(std::move(genesis_state)),
      host_(host),
      reg_(reg),
      sync_(p.n, p.f, p.self, store.last_final(), std::chrono::milliseconds(kGraceMs)) {}

void Rejoin::tick() {
  if (!syncing_) return;
  step(true);
  if (!syncing_) return;
  host_.arm_sync_timer(kHelloMs);
}

void Rejoin::step(bool hello) {
  const auto t = now();
  if (!sync_.decided(t)) {
    if (hello) host_.broadcast_peer(wrap(PeerTag::hello, encode_hello(store_.last_final())));
    return;
  }
  uint64_t target = sync_.target();
  if (!fork_ && store_.last_final() >= target) return resume();
  const uint64_t now_ms = host_.now_ms();
  if (now_ms - last_req_ms_ < kRequestGapMs) return;
  // Resolving a fork needs f + 1 different peers' evidence: ask every peer in turn (the
  // handshake may have heard from just one serving peer).
  std::optional<consensus::NodeId> src;
  if (fork_) {
    fork_peer_ = (fork_peer_ + 1) % p_.n;
    if (fork_peer_ == p_.self) fork_peer_ = (fork_peer_ + 1) % p_.n;
    src = fork_peer_;
  } else {
    src = sync_.source_for(target);
  }
  if (!src) {
    fork_.reset();
    return resume();
  }
  if (!fork_) {
    // A peer that claimed the target height but does not serve it (a faulty peer can claim any
    // height) loses its claim after a few unanswered requests: the target falls to the highest
    // claim left, which a correct peer serves.
    if (store_.last_final() > asked_at_final_) unanswered_.clear();
    asked_at_final_ = store_.last_final();
    if (++unanswered_[*src] > kMaxUnanswered) {
      spdlog::warn("event=catch_up_source_unreachable peer={} claimed_at_least={}", *src, target);
      sync_.unreachable(*src);
      unanswered_.erase(*src);
      return;
    }
  }
  last_req_ms_ = now_ms;
  uint64_t from = fork_ ? fork_->from() : store_.last_final() + 1;
  host_.send_peer(*src, wrap(PeerTag::blocks_req, encode_blocks_req(from)));
}

void Rejoin::resume() {
  syncing_ = false;
  host_.cancel_sync_timer();
  host_.resume(sync_.target());
}

void Rejoin::on_hello(consensus::NodeId from) {
  host_.send_peer(from, wrap(PeerTag::status, encode_status({store_.last_final(), !syncing_})));
}

void Rejoin::on_status(consensus::NodeId from, const PeerStatus& s) {
  if (!syncing_) return;
  sync_.on_status(from, s, now());
  step();
}

void Rejoin::on_blocks_req(consensus::NodeId from, uint64_t from_k) {
  BlocksResp r;
  size_t bytes = 0;
  for (uint64_t k = std::max<uint64_t>(from_k, 1); k <= store_.last_final() && r.blocks.size() < kMaxBlocksPerResponse;
       ++k) {
    auto b = store_.block(k);
    auto batch = store_.batch(k);
    if (!b || !batch) break;
    bytes += batch->size() + 300;
    r.blocks.push_back(std::move(*b));
    r.batches.push_back(std::move(*batch));
    if (bytes > (4u << 20)) break;  // well under the transport's frame limit
  }
  host_.send_peer(from, wrap(PeerTag::blocks_resp, encode_blocks_resp(r)));
}

void Rejoin::on_blocks_resp(consensus::NodeId from, BlocksResp r) {
  if (!syncing_ || r.blocks.empty()) return;
  if (fork_) return on_fork_blocks(from, r);
  uint64_t base = store_.last_final();
  if (r.blocks.front().k != base + 1 || store_.last_block() != base) return;
  auto prev = store_.block(base);
  if (!prev) return;
  if (base > 0 && r.blocks.front().prev_hash != ledger::block_hash(*prev)) {
    // Their next block does not follow our last one: either this peer lies or our chain ends
    // in blocks the cluster replaced after a whole-cluster crash. Find out (ForkResolver).
    spdlog::warn("event=fork_suspected from={} at={}", from, base + 1);
    fork_.emplace(p_.f, base);
    last_req_ms_ = 0;
    return step();
  }
  if (auto st = check_offered_blocks(*prev, r.blocks, r.batches, tv_); !st) {
    reg_[kBadPeerMsgs]++;
    spdlog::warn("event=catch_up_rejected from={} error=\"{}\"", from, st.error().message);
    return;
  }
  for (size_t i = 0; i < r.blocks.size(); ++i) {
    const auto& b = r.blocks[i];
    auto out = exec_.execute(b.k, r.batches[i]);
    if (out.state_digest != b.state_digest) {
      exec_.rollback(b.k - 1);
      reg_[kBadPeerMsgs]++;
      spdlog::warn("event=catch_up_rejected from={} k={} error=\"replay does not reproduce the state digest\"", from, b.k);
      break;
    }
    if (auto st = store_.append_block(b, r.batches[i], false); !st) {
      exec_.rollback(b.k - 1);
      spdlog::error("event=catch_up_append_failed k={} error=\"{}\"", b.k, st.error().message);
      break;
    }
    exec_.make_final(b.k);
  }
  if (auto st = store_.sync(); !st) spdlog::error("event=ledger_sync_failed error=\"{}\"", st.error().message);
  host_.heights_changed();
  spdlog::info("event=caught_up height={} from={} target={}", store_.last_final(), from, sync_.target());
  last_req_ms_ = 0;
  step();
}

void Rejoin::on_fork_blocks(consensus::NodeId from, const BlocksResp& r) {
  auto own = [this](uint64_t k) { return store_.block(k); };
  uint64_t asked = fork_->from();
  auto verdict = fork_->on_blocks(from, r.blocks, r.batches, own, tv_);
  spdlog::info("event=fork_probe from={} asked={} offered={}..{} fork_at={} next={}", from, asked, r.blocks.front().k,
               r.blocks.back().k, fork_->height(), fork_->from());
  switch (verdict) {
    case ForkResolver::Verdict::more:
      last_req_ms_ = 0;
      return step();
    case ForkResolver::Verdict::bad_peer:
      reg_[kBadPeerMsgs]++;
      spdlog::warn("event=catch_up_rejected from={} error=\"blocks offered while resolving a fork do not verify\"", from);
      return;  // the next tick asks another peer
    case ForkResolver::Verdict::not_a_fork:
      spdlog::info("event=fork_refuted at={} (f + 1 peers hold our chain)", fork_->height());
      fork_.reset();
      return;
    case ForkResolver::Verdict::abandon:
      return abandon_fork(fork_->height());
  }
}

// f + 1 peers hold a proven chain that leaves ours at d: our blocks from d on were never durable
// at n - f replicas (replica/restart.hpp), so drop them, rebuild the state from what remains in
// the ledger and catch up from d like any lagging replica.
void Rejoin::abandon_fork(uint64_t d) {
  uint64_t had = store_.last_final();
  fork_.reset();
  host_.abandoning(d);
  if (auto st = store_.abandon_above(d - 1); !st) {
    spdlog::critical("event=fork_abandon_failed at={} error=\"{}\"", d, st.error().message);
    return;
  }
  Status rebuilt = exec_.restore(genesis_state_);
  Result<uint64_t> h = rebuilt ? recover_from_disk(store_, exec_, tv_) : Result<uint64_t>(rebuilt.error());
  if (!h) {
    // The ledger below d verified at start-up; failing now means the disk changed under us.
    spdlog::critical("event=fork_rebuild_failed at={} error=\"{}\"", d, h.error().message);
    host_.fail_stop();
    return;
  }
  keep_.snapshots.erase(keep_.snapshots.lower_bound(d), keep_.snapshots.end());
  keep_.certs.erase(keep_.certs.lower_bound(d), keep_.certs.end());
  host_.old_chain_dropped();
  reg_[kBlocksAbandoned] += had - (d - 1);
  host_.heights_changed();
  auto cp = store_.checkpoint();
  spdlog::warn("event=fork_abandoned first={} count={} checkpoint={} (f + 1 peers hold another proven chain there)", d,
               had - (d - 1), cp ? cp->k : 0);
  last_req_ms_ = 0;
  step();
}

}  // namespace rampart::replica
