#pragma once
// Executes ordered batches on an app::StateMachine with per-client deduplication after
// ordering, a reply cache, speculation (undo back to k restores the app state AND the dedup
// table) and snapshots. It provides what consensus::Env::execute/rollback/final need.
//
// Dedup rule per client id (DESIGN.md §3.1/§3.2): a request with the same seq as the client's
// last executed one is answered from the reply cache and never executed again; a higher seq is
// executed; a lower one is dropped.
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "app/state_machine.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"
#include "replica/batch.hpp"

namespace rampart::replica {

enum class ReplyKind : uint8_t { executed = 0, cached = 1, stale = 2 };

struct ReplyEntry {
  ClientId client = 0;
  uint64_t seq = 0;
  ReplyKind kind = ReplyKind::executed;
  Bytes result;  // empty for stale
};

struct Outcome {
  uint64_t k = 0;
  Hash32 batch_digest{};
  Hash32 results_root{};
  Hash32 state_digest{};
  std::vector<ReplyEntry> replies;  // one per request, in batch order
};

// A batch's results root (the value replicas sign in CART replies): the BLAKE3 Merkle root
// (crypto/merkle.hpp) over one leaf per request, leaf = encode_result_leaf(k, entry). Binding k
// into every leaf keeps a proof for batch k from being replayed for another batch.
Bytes encode_result_leaf(uint64_t k, const ReplyEntry& e);
Hash32 results_root(uint64_t k, const std::vector<ReplyEntry>& replies);

class Executor {
 public:
  explicit Executor(app::StateMachine& sm) : sm_(sm) {}

  // Execute batch k (must be last_executed()+1). Bytes that do not decode execute as an empty
  // batch: deterministic, and validate_batch keeps correct replicas from ordering them.
  Outcome execute(uint64_t k, ByteView batch);
  Outcome execute(uint64_t k, const Batch& batch, const Hash32& digest);
  // Undo every batch above k; the app state and the dedup table return to just after k.
  void rollback(uint64_t k);
  // Batches <= k are final: drop their undo information.
  void make_final(uint64_t k);

  uint64_t last_executed() const { return last_; }
  // Digest of app state + dedup table + last executed k.
  Hash32 state_digest() const;
  Bytes snapshot() const;
  // Installs a snapshot (all or nothing: on error the current state is unchanged).
  Status restore(ByteView snapshot);

  struct CacheEntry {
    uint64_t seq = 0;
    uint64_t k = 0;  // batch that executed it
    Hash32 root{};   // that batch's results root: a retry is answered with the same (k, root)
    Bytes result;
    // Hash of `result` as state_digest() uses it, computed once when the entry is written
    // (state_digest runs after every batch over every client; rehashing each result there
    // dominated its cost). Derived from `result`, so equality is unaffected.
    Hash32 result_hash{};
    bool operator==(const CacheEntry&) const = default;
  };
  std::optional<CacheEntry> cached(ClientId c) const;
  size_t undo_batches() const { return undo_.size(); }

 private:
  struct DedupUndo {
    ClientId client;
    std::optional<CacheEntry> old;
  };
  app::StateMachine& sm_;
  uint64_t last_ = 0;
  std::map<ClientId, CacheEntry> table_;
  std::map<uint64_t, std::vector<DedupUndo>> undo_;
};

}  // namespace rampart::replica
