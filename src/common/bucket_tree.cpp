#include "common/bucket_tree.hpp"

#include <blake3.h>

namespace rampart {

Hash32 BucketTree::key_for(std::string_view context) {
  blake3_hasher h;
  std::string ctx(context);
  blake3_hasher_init_derive_key(&h, ctx.c_str());
  Hash32 out;
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}

Hash32 BucketTree::keyed(const Hash32& key, ByteView data) {
  blake3_hasher h;
  blake3_hasher_init_keyed(&h, key.data());
  blake3_hasher_update(&h, data.data(), data.size());
  Hash32 out;
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}

BucketTree::BucketTree(std::string_view group_context, std::string_view root_context)
    : group_key_(key_for(group_context)), root_key_(key_for(root_context)) {
  reset();
}

void BucketTree::reset() {
  bucket_hash_.assign(kBuckets, Hash32{});
  is_dirty_.assign(kBuckets, 0);
  dirty_.clear();
  group_dirty_.fill(0);
  // Every group of empty buckets hashes alike.
  group_hash_.fill(keyed(group_key_, ByteView(bucket_hash_.front().data(), kGroupSize * 32)));
}

void BucketTree::touch(size_t b) {
  if (is_dirty_[b]) return;
  is_dirty_[b] = 1;
  dirty_.push_back(static_cast<uint32_t>(b));
}

Hash32 BucketTree::finish(uint64_t count) const {
  for (size_t g = 0; g < kGroups; ++g) {
    if (!group_dirty_[g]) continue;
    group_dirty_[g] = 0;
    group_hash_[g] = keyed(group_key_, ByteView(bucket_hash_[g * kGroupSize].data(), kGroupSize * 32));
  }
  uint8_t head[8];
  for (int i = 0; i < 8; ++i) head[i] = static_cast<uint8_t>(count >> (8 * i));
  blake3_hasher h;
  blake3_hasher_init_keyed(&h, root_key_.data());
  blake3_hasher_update(&h, head, sizeof head);
  blake3_hasher_update(&h, group_hash_.front().data(), kGroups * 32);
  Hash32 out;
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}

}  // namespace rampart
