#pragma once
// The ledger as the replica core sees it: only the calls the core's parts make. The replica
// process adapts ledger::Store (RocksDB) to it (node/store_adapter.hpp); a test or the simulator
// can plug in a store held in memory. Semantics are ledger::Store's (ledger/store.hpp): a write
// checks its preconditions and changes nothing on error.
#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "ledger/block.hpp"
#include "ledger/records.hpp"
#include "ledger/store.hpp"

namespace rampart::replica {

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  virtual uint64_t last_block() const = 0;  // highest stored block (0 = only genesis)
  virtual uint64_t last_final() const = 0;  // highest final block
  virtual Hash32 last_hash() const = 0;     // block_hash of last_block()
  virtual Result<ledger::Block> block(uint64_t k) const = 0;
  virtual Result<Bytes> batch(uint64_t k) const = 0;
  virtual Result<std::vector<ledger::Block>> blocks(uint64_t from, uint64_t to) const = 0;  // [from, to]
  virtual std::optional<ledger::CheckpointRecord> checkpoint() const = 0;
  virtual Result<std::optional<ledger::Snapshot>> snapshot() const = 0;  // at checkpoint()
  virtual Result<std::vector<ledger::JournalEntry>> journal() const = 0;  // the protocol's records
  // Batches of dropped speculative blocks, kept until the journal is pruned past them.
  virtual Result<std::vector<ledger::SetAsideBatch>> set_aside_batches() const = 0;

  // Block last_block() + 1, executed, maybe not yet proven.
  virtual Status append_speculative(const ledger::Block& b, ByteView batch, bool sync) = 0;
  // Block k's proof of execution (verified by the caller); the header and hash are unchanged.
  virtual Status set_proof(uint64_t k, uint64_t view, ByteView proof, bool sync) = 0;
  // Every block up to k final; each must be proven.
  virtual Status mark_final(uint64_t k, bool sync) = 0;
  // The protocol's journal: unsynced writes, made durable by sync() like everything else.
  virtual Status journal_put(uint64_t seq, uint8_t kind, ByteView body) = 0;
  virtual Status journal_prune(uint64_t upto) = 0;
  // Block last_block() + 1, proven, as final.
  virtual Status append_block(const ledger::Block& b, ByteView batch, bool sync) = 0;
  // Drop the speculative blocks above k (k >= last_final()).
  virtual Status truncate_above(uint64_t k, bool sync) = 0;
  // A stable checkpoint with the application snapshot at it; blocks up to c.k become final.
  virtual Status put_checkpoint(const ledger::CheckpointRecord& c, ByteView app_snapshot, bool sync) = 0;
  // Drop every block above k, final ones included, and a checkpoint above k (always synced):
  // only for blocks the cluster replaced after a whole-cluster crash (replica/rejoin.hpp).
  virtual Status abandon_above(uint64_t k) = 0;
  virtual Status sync() = 0;  // every write so far made durable
};

}  // namespace rampart::replica
