// The replica core's execution and finality: a batch the protocol delivers becomes block k
// (speculative) with our CART share; a block whose proof is synced here, with every block below
// it, becomes final; a view change may roll speculative blocks back.
#include <spdlog/spdlog.h>

#include "replica/replica.hpp"

namespace rampart::replica {

namespace {
using metrics::Declared;
const Declared kBatchesExecuted{"rampart_batches_executed_total", "batches executed"};
const Declared kOpsExecuted{"rampart_ops_executed_total", "operations executed (throughput)"};
const Declared kRollbacks{"rampart_rollbacks_total", "speculative rollbacks"};
const Declared kRequestsOnCertificate{
    "rampart_requests_executed_on_certificate_total",
    "requests executed from a batch this replica did not check itself: it arrived with a commit certificate (catch-up)"};
const Declared kBrokeredSkipped{
    "rampart_brokered_entries_skipped_total",
    "distilled-batch entries skipped on execution: their client id was not in the directory as executed before the block"};
}  // namespace

void Replica::send(consensus::NodeId to, Bytes msg) { jgate_.send(to, wrap(PeerTag::consensus, msg)); }
void Replica::broadcast(Bytes msg) { jgate_.send(std::nullopt, wrap(PeerTag::consensus, msg)); }

void Replica::send_now(std::optional<consensus::NodeId> to, Bytes wire) {
  if (to) host_.send_peer(*to, std::move(wire));
  else host_.broadcast_peer(std::move(wire));
}

bool Replica::validate_batch(ByteView batch) {
  const Hash32 d = batch_digest(batch);
  timeline_.seen(d, host_.now_us());
  return bauth_->authentic(batch, d);
}

std::optional<ledger::Block> Replica::stored_block(uint64_t k) {
  auto b = store_.block(k);
  return b ? std::optional<ledger::Block>(std::move(*b)) : std::nullopt;
}

consensus::ExecResult Replica::execute(consensus::Seq k, consensus::View v, ByteView batch) {
  const Hash32 batch_d = batch_digest(batch);
  batcher_->executed(batch, batch_d, k);
  if (k <= exec_.last_executed()) {
    // Recovered from disk (or installed by state transfer): the stored outcome stands.
    auto b = store_.block(k);
    if (!b) {
      spdlog::critical("event=execute_below_recovered k={} error=\"{}\"", k, b.error().message);
      return {};
    }
    if (b->batch_digest != batch_d)
      spdlog::error("event=divergent_batch k={} note=\"protocol delivered a different batch than the stored final block\"", k);
    return {b->state_digest, b->results_root, ledger::block_hash(*b)};
  }
  if (k != exec_.last_executed() + 1) {
    spdlog::critical("event=execute_gap k={} last_executed={}", k, exec_.last_executed());
    return {};
  }
  // A replica that fell behind may learn a batch with its commit certificate (PBFT CATCHUP)
  // instead of through a proposal, and then executes it without checking its signatures itself:
  // the nf replicas that committed it include f + 1 correct ones, and those checked it first.
  // Undecodable bytes execute as an empty batch (Executor::execute); batch_d is already known.
  const uint64_t t0 = host_.now_us();
  std::vector<DistilledRef> refs;
  size_t skipped = 0;  // expanded against the directory as executed up to k - 1
  auto decoded = decode_slot(batch, &exec_.directory(), &refs, &skipped);
  if (skipped) {
    reg_[kBrokeredSkipped] += skipped;
    spdlog::warn("event=brokered_entries_skipped k={} entries={}", k, skipped);
  }
  if (opt_.auth != ClientAuth::none && decoded && !bauth_->known(batch_d))
    reg_[kRequestsOnCertificate] += bauth_->unchecked_requests(batch);
  // Both arms lvalues: `decoded ? *decoded : Batch{}` would copy every request of the batch.
  static const Batch kEmpty;
  const Batch& todo = decoded ? *decoded : kEmpty;
  auto out = exec_.execute(k, todo, batch_d);
  const Hash32 root = out.results_root;

  ledger::Block blk;
  blk.k = k;
  blk.view = v;
  blk.batch_digest = batch_d;
  blk.prev_hash = store_.last_hash();
  blk.state_digest = out.state_digest;
  blk.results_root = root;
  if (store_.last_block() != k - 1) {
    // Left over from a state-transfer edge: drop what is above k-1 so the chain stays dense.
    if (auto t = store_.truncate_above(k - 1, false); !t)
      spdlog::critical("event=ledger_truncate_failed k={} error=\"{}\"", k, t.error().message);
    blk.prev_hash = store_.last_hash();
  }
  // Not synced here: the block is synced together with its proof, before any reply.
  if (auto st = store_.append_speculative(blk, batch, false); !st)
    spdlog::critical("event=ledger_append_failed k={} error=\"{}\"", k, st.error().message);

  const Hash32 head = ledger::block_hash(blk);
  const size_t ops = out.replies.size();
  if (k % cfg_.checkpoint_interval == 0) ckpts_.snapshots[k] = {out.state_digest, head, exec_.snapshot()};
  if (opt_.events) opt_.events->executed(k, v, blk, out.replies);
  timeline_.executed(k, batch_d, t0, host_.now_us());
  proofs_->executed(k, v, blk, head, std::move(out.replies), std::move(out.tree));
  deliveries_->executed(k, batch_d, decoded ? std::move(refs) : std::vector<DistilledRef>{});
  reg_[kBatchesExecuted]++;
  reg_[kOpsExecuted] += ops;
  return {out.state_digest, root, head};
}

// The protocol lets us vouch for our results up to k in view v: sign a share for every executed
// block up to k that is not proven yet and was not signed in v. They leave once a sync covers
// what they vouch for (on_synced).
void Replica::attested(consensus::View v, consensus::Seq k) {
  if (jgate_.failed()) return;  // fail-stop, as for votes
  proofs_->attested(v, k);
}

bool Replica::store_proof(uint64_t k, consensus::View view, const Bytes& sig) {
  if (auto st = store_.set_proof(k, view, sig, false); !st) {
    spdlog::critical("event=ledger_set_proof_failed k={} error=\"{}\"", k, st.error().message);
    return false;
  }
  timeline_.proven(k, host_.now_us());
  return true;
}

void Replica::proof_persisted(uint64_t k) {
  proven_k_ = std::max(proven_k_, k);
  // The block is final once every block below it is.
  final_target_ = std::max(final_target_, k);
}

// A proof checked after its sync (replica/proofs.hpp): on_synced did not see it, so finality is
// advanced once the current event is handled (once for every proof checked in it).
void Replica::finality_may_advance() {
  if (advance_posted_) return;
  advance_posted_ = true;
  host_.defer([this] {
    advance_posted_ = false;
    advance_final();
  });
}

void Replica::advance_final() {
  uint64_t j = store_.last_final();
  uint64_t upto = std::min(final_target_, store_.last_block());
  while (j < upto && proofs_->proven(j + 1)) ++j;
  const uint64_t was_final = store_.last_final();
  if (j > was_final) {
    if (auto st = store_.mark_final(j, false); !st) {
      spdlog::error("event=mark_final_failed k={} error=\"{}\"", j, st.error().message);
      return;
    }
    exec_.make_final(j);
    sign_deliveries();
    tell_proven();
    if (opt_.events) opt_.events->finalized(j);
    host_.became_final(was_final, j);
    proofs_->finalized(j);
  }
  if (j < upto) proofs_->blocked_at(j + 1);  // our share may have been lost
  checkpoints_->try_store();
}

// Our delivery shares for the final blocks not yet signed, whether we executed them or got them
// from peers (replica/deliveries.hpp).
void Replica::sign_deliveries() {
  deliveries_->final_upto(
      store_.last_final(),
      [this](uint64_t k) -> std::optional<Hash32> {
        auto b = store_.block(k);
        return b ? std::optional<Hash32>(b->batch_digest) : std::nullopt;
      },
      [this](uint64_t k) {
        auto batch = store_.batch(k);
        auto refs = batch ? distilled_refs(*batch) : Result<std::vector<DistilledRef>>(batch.error());
        if (!refs) {
          spdlog::warn("event=delivery_refs_unreadable k={} error=\"{}\"", k, refs.error().message);
          return std::vector<DistilledRef>{};
        }
        return std::move(*refs);
      });
}

void Replica::tell_proven() {
  if (proven_posted_ || store_.last_final() <= proven_told_) return;
  proven_posted_ = true;
  host_.defer([this] {
    proven_posted_ = false;
    if (rejoin_->syncing() || store_.last_final() <= proven_told_) return;
    proven_told_ = store_.last_final();
    proto_->on_proven(proven_told_);
  });
}

void Replica::rollback(consensus::Seq k) {
  if (k < store_.last_final()) {
    // Proven blocks are never rolled back; if the protocol re-delivers them, execute() answers
    // from the ledger.
    spdlog::warn("event=rollback_below_final k={} final={}", k, store_.last_final());
    k = store_.last_final();
  }
  if (k >= exec_.last_executed()) return;
  spdlog::warn("event=rollback to={} from={}", k, exec_.last_executed());
  exec_.rollback(k);
  if (auto st = store_.truncate_above(k, true); !st)
    spdlog::critical("event=ledger_truncate_failed k={} error=\"{}\"", k, st.error().message);
  proofs_->rolled_back(k);
  deliveries_->rolled_back(k);
  batcher_->rolled_back(k);
  ckpts_.snapshots.erase(ckpts_.snapshots.upper_bound(k), ckpts_.snapshots.end());
  if (opt_.events) opt_.events->rolled_back(k);
  reg_[kRollbacks]++;
}

void Replica::final(consensus::Seq k) {
  final_target_ = std::max(final_target_, k);
  advance_final();
}

void Replica::checkpoint_stable(consensus::Seq k, const Hash32& head) {
  checkpoints_->stable(k, head);
  if (opt_.events) opt_.events->checkpoint_stable(k, head);
  final_target_ = std::max(final_target_, k);
  advance_final();
}

}  // namespace rampart::replica
