#include "replica/reply_cache.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "crypto/blake3.hpp"

namespace rampart::replica {

namespace {
namespace b3 = crypto::blake3;

struct Keys {
  Hash32 entry = b3::derive_key("rampart reply cache entry v2", {});
  Hash32 op = b3::derive_key("rampart brokered payload v1", {});
  // Its own key, so no direct entry's result can hash like a brokered entry's op | result.
  Hash32 brokered_entry = b3::derive_key("rampart reply cache brokered entry v1", {});
  Hash32 bucket = b3::derive_key("rampart reply cache bucket v2", {});
};
const Keys& keys() {
  static const Keys k;
  return k;
}

void put_u64(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, 8);
  } else {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

constexpr size_t kRecord = 8 + 8 + 8 + 32 + 32;
}  // namespace

Hash32 reply_result_hash(ByteView result) { return b3::keyed_hash(keys().entry, result); }

Hash32 reply_entry_hash(ByteView result, const Hash32& op) {
  if (op == Hash32{}) return reply_result_hash(result);
  return b3::Hasher::keyed(keys().brokered_entry).update(op).update(result).finalize();
}

Hash32 brokered_op_hash(ByteView payload) { return b3::keyed_hash(keys().op, payload); }

ReplyCache::ReplyCache() { clear(); }

void ReplyCache::clear() {
  buckets_.assign(BucketTree::kBuckets, {});
  size_ = 0;
  tree_.reset();
}

size_t ReplyCache::bucket_of(ClientId c) {
  return static_cast<size_t>((c * 0x9E3779B97F4A7C15ull) >> (64 - BucketTree::kBucketBits));
}

const CacheEntry* ReplyCache::find(ClientId c) const {
  const auto& v = buckets_[bucket_of(c)];
  auto it = std::lower_bound(v.begin(), v.end(), c, [](const Slot& s, ClientId id) { return s.id < id; });
  return it != v.end() && it->id == c ? &it->entry : nullptr;
}

CacheEntry* ReplyCache::find_mut(ClientId c) {
  size_t b = bucket_of(c);
  auto& v = buckets_[b];
  auto it = std::lower_bound(v.begin(), v.end(), c, [](const Slot& s, ClientId id) { return s.id < id; });
  if (it == v.end() || it->id != c) return nullptr;
  tree_.touch(b);
  return &it->entry;
}

CacheEntry* ReplyCache::upsert(ClientId c, bool& inserted) {
  size_t b = bucket_of(c);
  auto& v = buckets_[b];
  auto it = std::lower_bound(v.begin(), v.end(), c, [](const Slot& s, ClientId id) { return s.id < id; });
  inserted = it == v.end() || it->id != c;
  if (inserted) {
    it = v.insert(it, Slot{c, CacheEntry{}});
    ++size_;
  }
  tree_.touch(b);
  return &it->entry;
}

void ReplyCache::prefetch(ClientId c) const {
  const auto& v = buckets_[bucket_of(c)];
  const char* p = reinterpret_cast<const char*>(v.data());
  const size_t bytes = std::min<size_t>(v.size() * sizeof(Slot), 4 * 64);
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off);
}

void ReplyCache::put(ClientId c, CacheEntry e) {
  size_t b = bucket_of(c);
  auto& v = buckets_[b];
  auto it = std::lower_bound(v.begin(), v.end(), c, [](const Slot& s, ClientId id) { return s.id < id; });
  if (it != v.end() && it->id == c) {
    it->entry = std::move(e);
  } else {
    v.insert(it, Slot{c, std::move(e)});
    ++size_;
  }
  tree_.touch(b);
}

void ReplyCache::erase(ClientId c) {
  size_t b = bucket_of(c);
  auto& v = buckets_[b];
  auto it = std::lower_bound(v.begin(), v.end(), c, [](const Slot& s, ClientId id) { return s.id < id; });
  if (it == v.end() || it->id != c) return;
  v.erase(it);
  --size_;
  tree_.touch(b);
}

std::vector<std::pair<ClientId, const CacheEntry*>> ReplyCache::sorted() const {
  std::vector<std::pair<ClientId, const CacheEntry*>> out;
  out.reserve(size_);
  for (const auto& v : buckets_)
    for (const auto& s : v) out.emplace_back(s.id, &s.entry);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

Hash32 ReplyCache::digest() const {
  return tree_.digest_bulk(size_, [&](std::span<const uint32_t> dirty, Hash32* out) {
    // Every dirty bucket's records, zero-padded to whole 64-byte blocks, into one arena; then
    // the buckets of each block count are hashed together (blake3 keyed_hash_many: 4-16 inputs
    // per SIMD pass). One bucket at a time, each block was a latency-bound compression.
    auto& arena = arena_;
    auto& at = offsets_;
    at.resize(dirty.size() + 1);
    at[0] = 0;
    for (size_t i = 0; i < dirty.size(); ++i) {
      const size_t bytes = buckets_[dirty[i]].size() * kRecord;
      at[i + 1] = at[i] + (bytes + 63) / 64 * 64;
    }
    // Sized without zero-filling (~600 KB a batch with 12,000 clients): every record byte is
    // written below, and only each bucket's padding is zeroed.
    if (arena.size() < at[dirty.size()]) arena.resize(at[dirty.size()]);
    for (size_t i = 0; i < dirty.size(); ++i) {
      const auto& v = buckets_[dirty[i]];
      if (v.empty()) {
        out[i] = Hash32{};  // an empty bucket: zero, not a hash (at[i + 1] == at[i], skipped below)
        continue;
      }
      uint8_t* p = arena.data() + at[i];
      const size_t used = v.size() * kRecord;
      std::memset(p + used, 0, at[i + 1] - at[i] - used);
      for (const auto& s : v) {
        put_u64(p, s.id);
        put_u64(p + 8, s.entry.seq);
        put_u64(p + 16, s.entry.k);
        std::memcpy(p + 24, s.entry.root.data(), 32);
        std::memcpy(p + 56, s.entry.result_hash.data(), 32);
        p += kRecord;
      }
    }
    b3::keyed_hash_packed(keys().bucket, ByteView(arena.data(), at[dirty.size()]), at, out);
  });
}

}  // namespace rampart::replica
