#pragma once
// The executor's reply cache (client id -> last executed request and its result), kept so that
// its digest costs what a batch wrote, not what the cache holds.
//
// Why: the state digest is taken after every batch, and walking a std::map of every client
// (12,000 in `bench cluster`) after every batch was ~18% of a replica's CPU. Entries live in
// the 4,096 buckets of a BucketTree (common/bucket_tree.hpp), chosen by a multiplicative hash of
// the id (ids are small integers in tests and BLAKE3-derived in production; both spread
// evenly), each bucket a vector sorted by id; a digest rehashes only the buckets written since.
//
// Digest: BucketTree with group context "rampart reply cache group v1", root context
// "rampart reply cache v1", count = entries; H(c, x) = BLAKE3 keyed by derive_key(c, ""):
//   entry  = H("rampart reply cache entry v2", result)
//   bucket = H("rampart reply cache bucket v2", for each entry by id: id u64 | seq u64 | k u64 |
//            root 32 | entry 32; then zero bytes up to a multiple of 64 bytes)
// The padding lets the buckets of one digest be hashed several at a time (whole blocks are what
// BLAKE3's multi-input routine takes); record counts map to distinct padded lengths, so it
// cannot make two different buckets equal.
#include <array>
#include <cstdint>
#include <vector>

#include "common/bucket_tree.hpp"
#include "common/bytes.hpp"
#include "replica/request.hpp"

namespace rampart::replica {

struct CacheEntry {
  uint64_t seq = 0;
  uint64_t k = 0;  // batch that executed it
  Hash32 root{};   // that batch's results root: a retry is answered with the same (k, root)
  Bytes result;
  // Hash of `result` as the digest uses it, computed once when the entry is written. Derived
  // from `result`, so equality is unaffected.
  Hash32 result_hash{};
  // A request from a broker's distilled batch: the hash of its payload (the broker path
  // deduplicates by payload too, DESIGN §3.1); zero on the direct path.
  Hash32 op{};
  bool operator==(const CacheEntry&) const = default;
};

Hash32 reply_result_hash(ByteView result);
// The entry hash the digest uses: reply_result_hash(result) with a zero op, else
// H("rampart reply cache brokered entry v1", op | result), so a brokered entry's payload is in
// the state (under its own key: no direct entry's result hashes like an op | result).
Hash32 reply_entry_hash(ByteView result, const Hash32& op);
// What CacheEntry::op holds for a brokered request's payload.
Hash32 brokered_op_hash(ByteView payload);

class ReplyCache {
 public:
  ReplyCache();

  const CacheEntry* find(ClientId c) const;
  // For in-place edits; marks the entry's bucket dirty.
  CacheEntry* find_mut(ClientId c);
  void put(ClientId c, CacheEntry e);  // insert or replace
  // The entry of c for writing, inserted empty if absent (`inserted` says which); marks its
  // bucket dirty. The pointer stays valid until the next insertion or erase (of any id).
  CacheEntry* upsert(ClientId c, bool& inserted);
  // Starts loading c's bucket into the cache: the executor looks up a batch's clients in
  // order, and every lookup was a cache miss (4,096 buckets of a 12,000-client cache).
  void prefetch(ClientId c) const;
  void erase(ClientId c);
  void clear();
  size_t size() const { return size_; }

  // Every entry, in increasing id order (what snapshots need); sorts, so not for hot paths.
  std::vector<std::pair<ClientId, const CacheEntry*>> sorted() const;

  Hash32 digest() const;

 private:
  struct Slot {
    ClientId id;
    CacheEntry entry;
  };
  static size_t bucket_of(ClientId c);

  std::vector<std::vector<Slot>> buckets_;
  size_t size_ = 0;
  BucketTree tree_{"rampart reply cache group v1", "rampart reply cache v1"};
  mutable Bytes arena_;                // digest(): the dirty buckets' padded records
  mutable std::vector<size_t> offsets_;
};

}  // namespace rampart::replica
