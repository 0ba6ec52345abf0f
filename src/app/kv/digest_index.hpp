#pragma once
// Incremental digest of the KV store's contents, so the state digest after a batch costs what
// the batch wrote: walking the whole store after every batch made CPU per op grow with the
// number of keys (bench cluster --keys 200000: 83.6 µs/op in the replicas against 33.1 with
// 1,000 keys, one run each, 07:25). Keys are spread over the buckets of a BucketTree
// (common/bucket_tree.hpp) by a keyed BLAKE3 of the key, so clients cannot pile keys into one
// bucket; each bucket keeps (key, entry hash) sorted by key.
//
// H(c, x) = BLAKE3 keyed by derive_key(c, ""):
//   entry  = H("rampart kv entry v1", u32 key length | key | u32 value length | value)
//   bucket = H("rampart kv bucket v1", the entry hashes of its keys in key order)
//   digest = BucketTree root, group context "rampart kv group v1", root context "rampart kv v1",
//            count = number of keys
#include <vector>

#include "common/bucket_tree.hpp"
#include "common/bytes.hpp"

namespace rampart::app::kv {

class DigestIndex {
 public:
  DigestIndex();
  // The bucket a key lives in (one BLAKE3 compression): callers that keep it per key (KvStore)
  // pass it back to the overloads below instead of rehashing the key on every write.
  static uint32_t bucket_of(ByteView key);
  void set(ByteView key, ByteView value) { set(bucket_of(key), key, value); }  // insert or replace
  void set(uint32_t bucket, ByteView key, ByteView value);
  void erase(ByteView key) { erase(bucket_of(key), key); }
  void erase(uint32_t bucket, ByteView key);
  void clear();
  Hash32 digest(uint64_t count) const;

 private:
  struct Entry {
    Bytes key;
    Hash32 hash;
  };

  std::vector<std::vector<Entry>> buckets_;
  BucketTree tree_{"rampart kv group v1", "rampart kv v1"};
};

}  // namespace rampart::app::kv
