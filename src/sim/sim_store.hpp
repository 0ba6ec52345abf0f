#pragma once
// A replica's ledger in the simulator: the replica core's LedgerStore held in memory, with the
// preconditions of ledger::Store (RocksDB) and its durability. A write without sync is visible
// at once but durable only once a sync that covers it completes (request() names that sync,
// synced() completes it, the world draws the latency); crash() loses every write not yet
// durable, as a power failure loses an unsynced write-ahead log; reopen() then does what
// ledger::Store::open does to what is left (proven blocks right above the last final one become
// final if proof_ok accepts their proofs, other speculative blocks are dropped with their batches
// set aside).
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "replica/ledger_store.hpp"

namespace rampart::sim {

class SimStore final : public replica::LedgerStore {
 public:
  explicit SimStore(const Bytes& cluster_config);

  uint64_t last_block() const override { return cur_.blocks.size() - 1; }
  uint64_t last_final() const override { return cur_.final; }
  Hash32 last_hash() const override { return ledger::block_hash(cur_.blocks.back()); }
  Result<ledger::Block> block(uint64_t k) const override;
  Result<Bytes> batch(uint64_t k) const override;
  Result<std::vector<ledger::Block>> blocks(uint64_t from, uint64_t to) const override;
  std::optional<ledger::CheckpointRecord> checkpoint() const override { return cur_.cp; }
  Result<std::optional<ledger::Snapshot>> snapshot() const override { return cur_.snap; }
  Result<std::vector<ledger::JournalEntry>> journal() const override;
  Result<std::vector<ledger::SetAsideBatch>> set_aside_batches() const override;

  Status append_speculative(const ledger::Block& b, ByteView batch, bool sync) override;
  Status set_proof(uint64_t k, uint64_t view, ByteView proof, bool sync) override;
  Status mark_final(uint64_t k, bool sync) override;
  Status journal_put(uint64_t seq, uint8_t kind, ByteView body) override;
  Status journal_prune(uint64_t upto) override;
  Status append_block(const ledger::Block& b, ByteView batch, bool sync) override;
  Status truncate_above(uint64_t k, bool sync) override;
  Status put_checkpoint(const ledger::CheckpointRecord& c, ByteView app_snapshot, bool sync) override;
  Status abandon_above(uint64_t k) override;
  Status sync() override;

  // The world's side of syncing: the generation of a sync covering every write so far, and
  // its completion (generations complete in order).
  uint64_t request() { return next_gen_++; }
  void synced(uint64_t gen);
  void crash();   // unsynced writes are lost
  // What opening the ledger again does (see the class comment; ledger::OpenOptions::proof_ok).
  void reopen(const std::function<bool(const ledger::Block&)>& proof_ok = {});

 private:
  struct Image {
    std::vector<ledger::Block> blocks;
    std::vector<Bytes> batches;
    uint64_t final = 0;
    std::optional<ledger::CheckpointRecord> cp;
    std::optional<ledger::Snapshot> snap;
    std::map<std::pair<uint64_t, uint8_t>, Bytes> journal;
    std::map<std::pair<uint64_t, Hash32>, Bytes> aside;  // (k, batch digest): dropped blocks' batches
  };
  using Op = std::function<void(Image&)>;
  // Applies op now and makes it durable with the next sync (at once when sync is set).
  void write(Op op, bool sync);
  static void drop_above(Image& im, uint64_t k);  // set the dropped blocks' batches aside

  Image cur_, durable_;
  std::deque<std::pair<uint64_t, Op>> pending_;  // (first generation that covers it, the write)
  uint64_t next_gen_ = 1;
};

}  // namespace rampart::sim
