#pragma once
// Executes ordered batches on an app::StateMachine with per-client deduplication after
// ordering, a reply cache, speculation (undo back to k restores the app state AND the dedup
// table) and snapshots. It provides what consensus::Env::execute/rollback/final need.
//
// Dedup rule per client id (DESIGN.md §3.1/§3.2): a request with the same seq as the client's
// last executed one is answered from the reply cache and never executed again; a higher seq is
// executed; a lower one is dropped. A request from a broker's distilled batch is compared by
// payload too (DESIGN §3.1): the same payload as the last executed one is acknowledged at that
// seq whatever its own; a new payload is executed only with a higher seq, else dropped.
//
// A direct request whose operation is a sign-up (broker/signup.hpp) is executed here, on the
// replicated client directory (replica/client_directory.hpp), not by the application, and
// outside the reply cache (idempotent: a retry executes again to the same answer). No application result may begin with
// broker::kSignupResultTag: one that does is replaced by an empty result, so a CART-proven
// result with that tag always comes from a sign-up.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "app/state_machine.hpp"
#include "broker/directory.hpp"
#include "replica/client_directory.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/merkle.hpp"
#include "replica/batch.hpp"
#include "replica/reply_cache.hpp"

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
  // The results tree (root == results_root): the replica proves each client's reply with it.
  std::shared_ptr<const crypto::merkle::Tree> tree;
};

// A batch's results root (the value replicas sign in CART replies, together with k): the BLAKE3
// Merkle root (crypto/merkle.hpp) over one leaf per request, leaf = reply_leaf(entry), the bytes
// a client checks its reply against (replica/client_wire.hpp): "rampart/reply-leaf/v2" | client u64 |
// seq u64 | kind u8 | result (u32 length | bytes), zero-padded to a multiple of 64 bytes. k is not in the leaf: the group signature
// is over (k, root), so a proof cannot be replayed for another batch.
Bytes reply_leaf(ClientId client, uint64_t seq, uint8_t kind, ByteView result);
// The same leaf appended to w (many leaves back to back for merkle::hash_packed_leaves).
void append_reply_leaf(Writer& w, ClientId client, uint64_t seq, uint8_t kind, ByteView result);
inline Bytes reply_leaf(const ReplyEntry& e) { return reply_leaf(e.client, e.seq, static_cast<uint8_t>(e.kind), e.result); }
crypto::merkle::Tree results_tree(const std::vector<ReplyEntry>& replies);
// The replica's state digest (a block's state_digest) from its parts: H("rampart executor state
// v2", last u64 | app digest | reply-cache digest). Public so that a proof of app state (the
// wallet's balance and page proofs, client/wallet_proof.hpp) can show the step to the block.
Hash32 combine_state_digest(uint64_t last, const Hash32& app_digest, const Hash32& reply_cache_digest);

class Executor {
 public:
  explicit Executor(app::StateMachine& sm) : sm_(sm) {}
  // The broker path's genesis client directory (cluster.toml `clients`: the same at every
  // replica; null: none), before anything executes. Sign-ups extend it (directory()).
  void set_directory(const broker::Directory* genesis) { dir_.set_genesis(genesis); }
  // Genesis plus executed sign-ups; final_view() for checks (see its SAFETY note).
  const ClientDirectory& directory() const { return dir_; }

  // Execute batch k (must be last_executed()+1). Bytes that do not decode execute as an empty
  // batch: deterministic, and validate_batch keeps correct replicas from ordering them.
  Outcome execute(uint64_t k, ByteView batch);
  Outcome execute(uint64_t k, const Batch& batch, const Hash32& digest);
  // Undo every batch above k; the app state and the dedup table return to just after k.
  void rollback(uint64_t k);
  // Batches <= k are final: drop their undo information.
  void make_final(uint64_t k);

  uint64_t last_executed() const { return last_; }
  // Digest of app state + dedup table + last executed k: H("rampart executor state v2",
  // last u64 | app digest | ReplyCache::digest()). Costs what the last batches wrote.
  Hash32 state_digest() const;
  // The executor's part of state_digest() besides the app's (for proofs of app state,
  // combine_state_digest): the reply cache's digest, combined with the sign-ups' when there are
  // any (so a cluster without sign-ups keeps its digests).
  Hash32 reply_cache_digest() const;
  Bytes snapshot() const;
  // Installs a snapshot (all or nothing: on error the current state is unchanged).
  Status restore(ByteView snapshot);

  using CacheEntry = replica::CacheEntry;
  std::optional<CacheEntry> cached(ClientId c) const;
  // The same without a copy (the ingress looks up every arriving request); valid until the next
  // execute, rollback or restore.
  const CacheEntry* find_cached(ClientId c) const { return table_.find(c); }
  size_t undo_batches() const { return undo_.size(); }

 private:
  struct DedupUndo {
    ClientId client;
    std::optional<CacheEntry> old;
  };
  app::StateMachine& sm_;
  ClientDirectory dir_;
  uint64_t last_ = 0;
  ReplyCache table_;
  std::map<uint64_t, std::vector<DedupUndo>> undo_;
  static constexpr size_t kSpareUndo = 4;
  std::vector<std::vector<DedupUndo>> spare_undo_;  // emptied undo vectors, capacity kept
  std::vector<CacheEntry*> written_;                 // execute(): scratch, capacity kept
};

}  // namespace rampart::replica
