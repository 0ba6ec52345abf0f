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
  Result<ledger::Block> block(uint64_t k) const override { return s_.block(k); }
  Result<Bytes> batch(uint64_t k) const override { return s_.batch(k); }
  Result<std::vector<ledger::Block>> blocks(uint64_t from, uint64_t to) const override { return s_.blocks(from, to); }
  std::optional<ledger::CheckpointRecord> checkpoint() const override { return s_.checkpoint(); }
  Result<std::optional<ledger::Snapshot>> snapshot() const override { return s_.snapshot(); }
  Result<std::vector<ledger::JournalEntry>> journal() const override { return s_.journal(); }

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
