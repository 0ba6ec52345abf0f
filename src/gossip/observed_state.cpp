#include "gossip/observed_state.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/wallet/wallet.hpp"

namespace rampart::gossip {
namespace w = app::wallet;

ObservedState::ObservedState(std::unique_ptr<app::StateMachine> app, const Front& front)
    : sm_(std::move(app)), front_(front ? front(*sm_) : nullptr), exec_(front_ ? *front_ : *sm_) {}

bool ObservedState::serves_reads() const { return !diverged() && dynamic_cast<const w::Wallet*>(sm_.get()) != nullptr; }

Status ObservedState::replay(const ledger::Store& store) { return replay(store, store.last_block()); }

Status ObservedState::replay(const ledger::Store& store, uint64_t upto) {
  for (uint64_t k = last() + 1; k <= upto; ++k) {
    auto b = store.block(k);
    if (!b) return err("observer state: " + b.error().message);
    auto batch = store.batch(k);
    if (!batch) return err("observer state: " + batch.error().message);
    RAMPART_TRY(apply(*b, *batch));
  }
  return {};
}

Status ObservedState::apply(const ledger::Block& b, ByteView batch) {
  if (diverged()) return err(divergence_);
  if (b.k != last() + 1)
    return err("observer state: block " + std::to_string(b.k) + " is not the next one (at " + std::to_string(last()) + ")");
  auto out = exec_.execute(b.k, batch);
  if (out.state_digest != b.state_digest || out.results_root != b.results_root) {
    // The executor cannot step back over a final batch: the state is now past last_, so
    // nothing may be proven from it again.
    divergence_ = "observer state: executing block " + std::to_string(b.k) +
                  (out.state_digest != b.state_digest ? " does not reproduce its state digest" : " does not reproduce its results root") +
                  " (reads refused from here on)";
    spdlog::critical("event=observer_state_diverged k={} why=\"{}\"", b.k, divergence_);
    return err(divergence_);
  }
  exec_.make_final(b.k);
  last_ = b;
  return {};
}

Status ObservedState::restore(const ledger::Block& at, ByteView snapshot) {
  if (diverged()) return err(divergence_);
  // A snapshot that does not decode changes nothing (the executor's restore is all or nothing).
  // One that decodes to another state cannot be taken back: the replica checked it against the
  // certified digest before storing it, so a mismatch here means this copy cannot be trusted,
  // and reads are refused as after any divergence.
  if (auto st = exec_.restore(snapshot); !st) return err("read state: checkpoint snapshot: " + st.error().message);
  if (exec_.last_executed() != at.k || exec_.state_digest() != at.state_digest) {
    divergence_ = "read state: the snapshot of block " + std::to_string(at.k) + " does not reproduce its state digest (reads refused from here on)";
    spdlog::critical("event=observer_state_diverged k={} why=\"{}\"", at.k, divergence_);
    return err(divergence_);
  }
  last_ = at;
  return {};
}

client::ReadResponse ObservedState::answer(const client::ReadRequest& r) const {
  client::ReadResponse resp;
  resp.height = last();
  const auto* wallet = dynamic_cast<const w::Wallet*>(sm_.get());
  if (!wallet || diverged()) {
    resp.status = client::ReadStatus::refused;
    resp.reason = diverged() ? divergence_ : "this cluster does not run the wallet";
    return resp;
  }
  if (last() < std::max<uint64_t>(r.min_k, 1)) {  // genesis has no proof to answer with
    resp.status = client::ReadStatus::behind;
    resp.reason = last() == 0 ? "no proven block yet" : "not at that height yet";
    return resp;
  }
  w::RangeProof accounts;
  if (r.op.type == w::OpType::balance) {
    accounts = wallet->prove_balance(r.op.account);
  } else if (r.op.type == w::OpType::ledger) {
    accounts = wallet->prove_page(r.op.after, r.op.limit);
  } else {
    resp.status = client::ReadStatus::refused;
    resp.reason = "not a read";
    return resp;
  }
  resp.proof = client::make_state_proof(last_, exec_.reply_cache_digest(), std::move(accounts));
  return resp;
}

}  // namespace rampart::gossip
