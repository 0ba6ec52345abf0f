#pragma once
// The replicated client directory of the broker path (DESIGN §3.1 "Directory", issue 17): the
// genesis directory (cluster.toml `clients`, optional, the same at every replica) followed by the
// sign-ups executed in order (broker/signup.hpp). Part of the executor's state: its digest is in
// the state digest, it is in snapshots (so checkpoints, state transfer and restart carry it) and
// a rollback of speculative blocks removes their sign-ups.
//
// Sign-up rules, deterministic in (directory, request): a malformed operation or a proof of
// possession that does not verify is refused with its reason; an Ed25519 key already in the
// directory (genesis or signed up) gets its existing id back (and keeps its existing BLS key);
// otherwise the key pair gets the next dense id, genesis end() + number of sign-ups.
// The same BLS key under two Ed25519 keys is allowed: copying another client's key and proof of
// possession only lets a broker count that client's reduction share for the copier's own
// entries too, entries the copier could have had authenticated anyway; it never authenticates
// an entry of the victim's id (the rogue-key attack needs a key without a proof, refused here).
//
// SAFETY: which directory checks a distilled batch. A speculative sign-up can be rolled back,
// and the same id handed to another key in the history that replaces it. If a replica checked a
// batch against the speculative entry (id X -> key K) and the batch executed after the rollback
// with X -> K', K' would be charged with a payload signed under K. So the checks a replica makes
// before it vouches for or supports a distilled batch (entry replica, witnesses, backups:
// Replica::check_part) use final_view(): genesis plus the sign-ups of FINAL blocks only. Final
// blocks are a prefix common to every correct replica's history and the directory is append-only
// within a history, so an id in any correct replica's final view maps to the same key in every
// correct replica's directory at every height at which it exists. On execution each entry is
// expanded against the directory as executed just before the block (this object, the executed
// view): if the id is in it, its key is the key the checkers used; if it is not (the sign-up is
// final at a checker but at a height at or above the block's), the entry is skipped
// deterministically and counted (decode_slot). So a batch checked against a final view never
// executes under a different key for an id.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "broker/directory.hpp"
#include "broker/signup.hpp"
#include "common/bytes.hpp"
#include "common/codec.hpp"
#include "common/result.hpp"

namespace rampart::replica {

class ClientDirectory final : public broker::Directory {
 public:
  ClientDirectory() = default;
  ClientDirectory(const ClientDirectory&) = delete;  // final_ refers to *this
  ClientDirectory& operator=(const ClientDirectory&) = delete;

  // The genesis directory (outlives this object; null: none). Set before anything executes.
  void set_genesis(const broker::Directory* g) { genesis_ = g; }
  const broker::Directory* genesis() const { return genesis_; }

  // Executes the sign-up in a direct request's payload (Ed25519 key | op) at height k; returns
  // the result bytes (broker::encode_signup_result).
  Bytes sign_up(uint64_t k, ByteView payload);
  // Removes the sign-ups of blocks above k (never final ones: the replica rolls back only
  // speculative blocks).
  void rollback(uint64_t k);
  // Blocks up to k are final: their sign-ups join final_view().
  void make_final(uint64_t k);

  // The executed view (speculative sign-ups included): what execution expands entries against.
  const broker::ClientKeys* find(broker::ClientId id) const override;
  std::optional<broker::ClientId> id_of(const crypto::ed25519::PublicKey& ed) const override;
  uint64_t end() const override;
  // Genesis plus the sign-ups of final blocks: what every check of a distilled batch uses.
  const broker::Directory& final_view() const { return final_; }

  size_t signups() const { return entries_.size(); }
  size_t final_signups() const { return final_count_; }
  // A hash chain over the sign-ups in order (id, keys, height); all zero when there are none, so
  // a cluster without sign-ups keeps its state digests.
  Hash32 digest() const { return entries_.empty() ? Hash32{} : entries_.back().chain; }

  // Snapshot section: u32 count | per sign-up: Ed25519 key (32) | BLS key (48) | height u64.
  void encode(Writer& w) const;
  struct Entry {
    broker::ClientKeys keys;
    uint64_t height = 0;
    Hash32 chain{};
  };
  using Index = std::unordered_map<crypto::ed25519::PublicKey, broker::ClientId, broker::Ed25519KeyHash>;
  struct Decoded {
    std::vector<Entry> entries;
    Index by_ed;
  };
  // Reads a section encoded above for a state at height `last` (every sign-up at or below it,
  // heights not decreasing, keys valid and new). Changes nothing: install() does, so a restore
  // stays all or nothing.
  Result<Decoded> decode(Reader& r, uint64_t last) const;
  // Replaces the sign-ups by decoded ones, all final (a snapshot is of final state).
  void install(Decoded d);

 private:
  class FinalView final : public broker::Directory {
   public:
    explicit FinalView(const ClientDirectory& d) : d_(d) {}
    const broker::ClientKeys* find(broker::ClientId id) const override;
    std::optional<broker::ClientId> id_of(const crypto::ed25519::PublicKey& ed) const override;
    uint64_t end() const override;

   private:
    const ClientDirectory& d_;
  };
  uint64_t base() const { return genesis_ ? genesis_->end() : 0; }
  void append(const broker::ClientKeys& keys, uint64_t height);

  const broker::Directory* genesis_ = nullptr;
  std::vector<Entry> entries_;  // id base() + i, heights not decreasing
  Index by_ed_;
  size_t final_count_ = 0;  // entries_[0, final_count_) are of final blocks
  FinalView final_{*this};
};

}  // namespace rampart::replica
