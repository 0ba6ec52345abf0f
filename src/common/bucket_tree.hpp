#pragma once
// The hash tree behind the replicas' incremental state digests (replica/reply_cache.hpp,
// app/kv/digest_index.hpp): 4,096 buckets, 64 groups of 64 buckets, one root. A write marks its
// bucket dirty; digest() rehashes only the dirty buckets (the owner hashes a bucket's contents),
// then the groups holding one, then the root. So a digest after every batch costs what the
// batch wrote, not what the state holds.
//
// H(c, x) = BLAKE3 keyed by derive_key(c, "") (derived once); integers little-endian:
//   bucket = the owner's hash of its contents, or 32 zero bytes if the bucket is empty
//   group  = H(group context, its 64 bucket hashes)
//   root   = H(root context, count u64 | the 64 group hashes)
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"

namespace rampart {

class BucketTree {
 public:
  static constexpr unsigned kBucketBits = 12;
  static constexpr size_t kBuckets = size_t{1} << kBucketBits;
  static constexpr size_t kGroupSize = 64;
  static constexpr size_t kGroups = kBuckets / kGroupSize;

  BucketTree(std::string_view group_context, std::string_view root_context);

  void touch(size_t bucket);
  void reset();  // every bucket empty

  // `hash_bucket(b)` returns bucket b's hash (zero if empty); called for dirty buckets only.
  template <class F>
  Hash32 digest(uint64_t count, F&& hash_bucket) const {
    for (uint32_t b : dirty_) {
      is_dirty_[b] = 0;
      group_dirty_[b / kGroupSize] = 1;
      bucket_hash_[b] = hash_bucket(static_cast<size_t>(b));
    }
    dirty_.clear();
    return finish(count);
  }

  // As digest(), for owners that hash buckets together (several per SIMD call):
  // hash_buckets(std::span<const uint32_t> dirty, Hash32* out) sets out[i] to bucket dirty[i]'s
  // hash (zero if empty).
  template <class F>
  Hash32 digest_bulk(uint64_t count, F&& hash_buckets) const {
    scratch_.resize(dirty_.size());
    hash_buckets(std::span<const uint32_t>(dirty_), scratch_.data());
    for (size_t i = 0; i < dirty_.size(); ++i) {
      const uint32_t b = dirty_[i];
      is_dirty_[b] = 0;
      group_dirty_[b / kGroupSize] = 1;
      bucket_hash_[b] = scratch_[i];
    }
    dirty_.clear();
    return finish(count);
  }

  // BLAKE3 keyed by a key derived once from `context`.
  static Hash32 keyed(const Hash32& key, ByteView data);
  static Hash32 key_for(std::string_view context);

 private:
  Hash32 finish(uint64_t count) const;

  Hash32 group_key_{}, root_key_{};
  mutable std::vector<Hash32> bucket_hash_;
  mutable std::array<Hash32, kGroups> group_hash_{};
  mutable std::array<uint8_t, kGroups> group_dirty_{};
  mutable std::vector<uint32_t> dirty_;
  mutable std::vector<uint8_t> is_dirty_;
  mutable std::vector<Hash32> scratch_;
};

}  // namespace rampart
