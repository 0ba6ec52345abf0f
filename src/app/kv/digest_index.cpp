#include "app/kv/digest_index.hpp"

#include <blake3.h>

#include <algorithm>
#include <cstring>

#include "crypto/blake3.hpp"

namespace rampart::app::kv {

namespace {
struct Keys {
  Hash32 select = BucketTree::key_for("rampart kv bucket select v1");
  Hash32 entry = BucketTree::key_for("rampart kv entry v1");
  Hash32 bucket = BucketTree::key_for("rampart kv bucket v1");
};
const Keys& keys() {
  static const Keys k;
  return k;
}

void put_len(blake3_hasher& h, size_t n) {
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(n >> (8 * i));
  blake3_hasher_update(&h, b, 4);
}

Hash32 entry_hash(ByteView key, ByteView value) {
  // Most entries fit one block: crypto::blake3::keyed_hash hashes those with one compression
  // instead of initialising and finalising a 1.9 KB hasher (same bytes, same hash).
  if (key.size() + value.size() + 8 <= 64) {
    uint8_t buf[64];
    size_t n = 0;
    for (size_t part = 0; part < 2; ++part) {
      ByteView v = part == 0 ? key : value;
      for (int i = 0; i < 4; ++i) buf[n++] = static_cast<uint8_t>(v.size() >> (8 * i));
      if (!v.empty()) std::memcpy(buf + n, v.data(), v.size());
      n += v.size();
    }
    return crypto::blake3::keyed_hash(keys().entry, ByteView(buf, n));
  }
  blake3_hasher h;
  blake3_hasher_init_keyed(&h, keys().entry.data());
  put_len(h, key.size());
  blake3_hasher_update(&h, key.data(), key.size());
  put_len(h, value.size());
  blake3_hasher_update(&h, value.data(), value.size());
  Hash32 out;
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}

bool key_less(ByteView a, ByteView b) { return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end()); }
}  // namespace

DigestIndex::DigestIndex() { clear(); }

void DigestIndex::clear() {
  buckets_.assign(BucketTree::kBuckets, {});
  tree_.reset();
}

uint32_t DigestIndex::bucket_of(ByteView key) {
  Hash32 h = crypto::blake3::keyed_hash(keys().select, key);
  return (uint32_t{h[0]} | (uint32_t{h[1]} << 8)) & (BucketTree::kBuckets - 1);
}

void DigestIndex::set(uint32_t b, ByteView key, ByteView value) {
  auto& v = buckets_[b];
  auto it = std::lower_bound(v.begin(), v.end(), key, [](const Entry& e, ByteView k) { return key_less(e.key, k); });
  const Hash32 h = entry_hash(key, value);
  if (it != v.end() && std::equal(it->key.begin(), it->key.end(), key.begin(), key.end())) {
    it->hash = h;
  } else {
    v.insert(it, Entry{Bytes(key.begin(), key.end()), h});
  }
  tree_.touch(b);
}

void DigestIndex::erase(uint32_t b, ByteView key) {
  auto& v = buckets_[b];
  auto it = std::lower_bound(v.begin(), v.end(), key, [](const Entry& e, ByteView k) { return key_less(e.key, k); });
  if (it == v.end() || !std::equal(it->key.begin(), it->key.end(), key.begin(), key.end())) return;
  v.erase(it);
  tree_.touch(b);
}

Hash32 DigestIndex::digest(uint64_t count) const {
  return tree_.digest(count, [&](size_t b) {
    const auto& v = buckets_[b];
    if (v.empty()) return Hash32{};
    if (v.size() <= 2) {  // one block: the one-compression path (entry_hash says why)
      uint8_t buf[64];
      for (size_t i = 0; i < v.size(); ++i) std::memcpy(buf + 32 * i, v[i].hash.data(), 32);
      return crypto::blake3::keyed_hash(keys().bucket, ByteView(buf, 32 * v.size()));
    }
    blake3_hasher h;
    blake3_hasher_init_keyed(&h, keys().bucket.data());
    for (const auto& e : v) blake3_hasher_update(&h, e.hash.data(), e.hash.size());
    Hash32 out;
    blake3_hasher_finalize(&h, out.data(), out.size());
    return out;
  });
}

}  // namespace rampart::app::kv
