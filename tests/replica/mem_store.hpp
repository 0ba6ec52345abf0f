#pragma once
// A ledger held in memory for the replica core's tests, with ledger::Store's preconditions on
// writes, enough to catch a misuse. `writes` counts the writes that changed something.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "replica/ledger_store.hpp"

namespace rampart::replica::testing {

class MemStore final : public LedgerStore {
 public:
  MemStore(const ledger::Block& genesis, const Bytes& config) {
    blocks_.push_back(genesis);
    batches_.push_back(config);
  }
  uint64_t last_block() const override { return blocks_.size() - 1; }
  uint64_t last_final() const override { return final_; }
  Hash32 last_hash() const override { return ledger::block_hash(blocks_.back()); }
  Result<ledger::Block> block(uint64_t k) const override {
    if (k > last_block()) return err("no block " + std::to_string(k));
    return blocks_[k];
  }
  Result<Bytes> batch(uint64_t k) const override {
    if (k > last_block()) return err("no batch " + std::to_string(k));
    return batches_[k];
  }
  Result<std::vector<ledger::Block>> blocks(uint64_t from, uint64_t to) const override {
    if (from > to || to > last_block()) return err("no such blocks");
    return std::vector<ledger::Block>(blocks_.begin() + from, blocks_.begin() + to + 1);
  }
  std::optional<ledger::CheckpointRecord> checkpoint() const override { return cp_; }
  Result<std::optional<ledger::Snapshot>> snapshot() const override { return snap_; }
  Result<std::vector<ledger::JournalEntry>> journal() const override { return std::vector<ledger::JournalEntry>{}; }
  Result<std::vector<ledger::SetAsideBatch>> set_aside_batches() const override {
    return std::vector<ledger::SetAsideBatch>{};
  }
  Status append_speculative(const ledger::Block& b, ByteView batch, bool) override {
    return append_speculative(b, Bytes(batch.begin(), batch.end()));
  }
  Status set_proof(uint64_t k, uint64_t view, ByteView proof, bool) override {
    if (k > last_block() || k <= final_) return err("no speculative block " + std::to_string(k));
    blocks_[k].view = view;
    blocks_[k].proof.assign(proof.begin(), proof.end());
    return {};
  }
  Status mark_final(uint64_t k, bool) override {
    if (k > last_block()) return err("no block " + std::to_string(k));
    for (uint64_t j = final_ + 1; j <= k; ++j)
      if (blocks_[j].proof.empty()) return err("unproven block " + std::to_string(j));
    final_ = std::max(final_, k);
    return {};
  }
  Status journal_put(uint64_t, uint8_t, ByteView) override { return {}; }
  Status journal_prune(uint64_t) override { return {}; }

  Status append_block(const ledger::Block& b, ByteView batch, bool) override {
    if (b.k != last_block() + 1 || final_ != last_block()) return err("not next or not all final");
    if (b.prev_hash != ledger::block_hash(blocks_.back()) || b.proof.empty()) return err("unlinked or unproven");
    blocks_.push_back(b);
    batches_.emplace_back(batch.begin(), batch.end());
    final_ = b.k;
    ++writes;
    return {};
  }
  Status append_speculative(const ledger::Block& b, const Bytes& batch) {
    blocks_.push_back(b);
    batches_.push_back(batch);
    return {};
  }
  Status truncate_above(uint64_t k, bool) override {
    if (k < final_) return err("below final");
    if (k < last_block()) {
      blocks_.resize(k + 1);
      batches_.resize(k + 1);
      ++writes;
    }
    return {};
  }
  Status put_checkpoint(const ledger::CheckpointRecord& c, ByteView snap, bool) override {
    if (c.k > last_block() || blocks_[c.k].state_digest != c.state_digest) return err("checkpoint does not match");
    cp_ = c;
    snap_ = ledger::Snapshot{c.k, Bytes(snap.begin(), snap.end())};
    final_ = std::max(final_, c.k);
    ++writes;
    return {};
  }

  Status abandon_above(uint64_t k) override {
    if (k >= last_block()) return {};
    blocks_.resize(k + 1);
    batches_.resize(k + 1);
    final_ = std::min(final_, k);
    if (cp_ && cp_->k > k) {
      cp_.reset();
      snap_.reset();
    }
    ++writes;
    return {};
  }
  Status sync() override { return {}; }

  int writes = 0;

 private:
  std::vector<ledger::Block> blocks_;
  std::vector<Bytes> batches_;
  uint64_t final_ = 0;
  std::optional<ledger::CheckpointRecord> cp_;
  std::optional<ledger::Snapshot> snap_;
};

}  // namespace rampart::replica::testing
