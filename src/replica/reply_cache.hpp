#pragma once
// The executor's reply cache (client id -> last executed request and its result), kept so that
// its digest costs what a batch wrote, not what the cache holds.
//
// Why: the state digest is taken after every batch, and walking a std::map of every client
// (12,000 in `bench cluster`) after every batch was ~18% of a replica's CPU. Entries live in
// 4,096 buckets chosen by a multiplicative hash of the id (ids are small integers in tests and
// BLAKE3-derived in production; both spread evenly), each bucket a vector sorted by id. A write
// marks its bucket dirty; digest() rehashes dirty buckets, then the 64 groups of 64 buckets that
// hold a dirty bucket, then the 64 group hashes.
//
// Digest layout: H(c, x) = BLAKE3 keyed by derive_key(c, "") (derived once, not per call);
// integers little-endian:
//   entry  = H("rampart reply cache entry v2", result)
//   bucket = H("rampart reply cache bucket v1", for each entry by id: id u64 | seq u64 | k u64 |
//            root 32 | entry 32), or 32 zero bytes if the bucket is empty
//   group  = H("rampart reply cache group v1", its 64 bucket hashes)
//   cache  = H("rampart reply cache v1", count u64 | the 64 group hashes)
#include <array>
#include <cstdint>
#include <vector>

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
  bool operator==(const CacheEntry&) const = default;
};

Hash32 reply_result_hash(ByteView result);

class ReplyCache {
 public:
  static constexpr unsigned kBucketBits = 12;
  static constexpr size_t kBuckets = size_t{1} << kBucketBits;
  static constexpr size_t kGroupSize = 64;
  static constexpr size_t kGroups = kBuckets / kGroupSize;

  ReplyCache();

  const CacheEntry* find(ClientId c) const;
  // For in-place edits; marks the entry's bucket dirty.
  CacheEntry* find_mut(ClientId c);
  void put(ClientId c, CacheEntry e);  // insert or replace
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
  void touch(size_t b);

  std::vector<std::vector<Slot>> buckets_;
  size_t size_ = 0;
  // Cached hashes; `dirty_` lists buckets written since the last digest().
  mutable std::vector<Hash32> bucket_hash_;
  mutable std::array<Hash32, kGroups> group_hash_{};
  mutable std::vector<uint32_t> dirty_;
  mutable std::vector<uint8_t> is_dirty_;
};

}  // namespace rampart::replica
