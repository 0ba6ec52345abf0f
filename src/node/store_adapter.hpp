#pragma once
// ledger::Store (RocksDB) as the replica core's LedgerStore.
#include "ledger/store.hpp"
#include "replica/ledger_store.hpp"

namespace rampart::node {

class StoreAdapter final : public replica::LedgerStore {
 public:
  explicit StoreAdapter(ledger::Store& s) : s_(s) {}

  uint64_t last_block() const override { return s_.last_block(); }
  uint64_t last_final() const override { return s_.last_final(); }
  Hash32 last_hash() const override { return s_.last_hash(); }
  Result<ledger::Block> block(uint64_t k) const override { return s_.block(k); }
  Result<Bytes> batch(uint64_t k) const override { return s_.batch(k); }
  Result<std::vector<ledger::Block>> blocks(uint64_t from, uint64_t to) const override { return s_.blocks(from, to); }
  std::optional<ledger::CheckpointRecord> checkpoint() const override { return s_.checkpoint(); }
  Result<std::optional<ledger::Snapshot>> snapshot() const override { return s_.snapshot(); }
  Result<std::vector<ledger::JournalEntry>> journal() const override { return s_.journal(); }
  Result<std::vector<ledger::SetAsideBatch>> set_aside_batches() const override { return s_.set_aside_batches(); }

  Status append_speculative(const ledger::Block& b, ByteView batch, bool sync) override {
    return s_.append_speculative(b, batch, sync);
  }
  Status set_proof(uint64_t k, uint64_t view, ByteView proof, bool sync) override {
    return s_.set_proof(k, view, proof, sync);
  }
  Status mark_final(uint64_t k, bool sync) override { return s_.mark_final(k, sync); }
  Status journal_put(uint64_t seq, uint8_t kind, ByteView body) override { return s_.journal_put(seq, kind, body); }
  Status journal_prune(uint64_t upto) override { return s_.journal_prune(upto); }

  Status append_block(const ledger::Block& b, ByteView batch, bool sync) override {
    return s_.append_block(b, batch, sync);
  }
  Status truncate_above(uint64_t k, bool sync) override { return s_.truncate_above(k, sync); }
  Status put_checkpoint(const ledger::CheckpointRecord& c, ByteView app_snapshot, bool sync) override {
    return s_.put_checkpoint(c, app_snapshot, sync);
  }
  Status abandon_above(uint64_t k) override { return s_.abandon_above(k); }
  Status sync() override { return s_.sync(); }

 private:
  ledger::Store& s_;
};

}  // namespace rampart::node
