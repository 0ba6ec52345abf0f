#include "app/kv/kv_store.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/codec.hpp"

namespace rampart::app::kv {

namespace {
constexpr size_t kMaxEntries = 1u << 24;
constexpr size_t kMaxSnapshotKey = kMaxKey;

struct HashKey {
  uint8_t k[crypto_shorthash_KEYBYTES];
  HashKey() {
    if (sodium_init() < 0) std::abort();
    crypto_shorthash_keygen(k);
  }
};
}  // namespace

size_t KvStore::KeyHash::operator()(const Bytes& key) const noexcept {
  static const HashKey secret;
  uint8_t out[crypto_shorthash_BYTES];
  crypto_shorthash(out, key.data(), key.size(), secret.k);
  uint64_t h;
  std::memcpy(&h, out, sizeof h);
  return static_cast<size_t>(h);
}

std::optional<Bytes> KvStore::lookup(ByteView key) const {
  auto it = data_.find(Bytes(key.begin(), key.end()));
  if (it == data_.end()) return std::nullopt;
  return it->second.bytes;
}

void KvStore::store(const Bytes& key, Bytes value) {
  auto it = data_.find(key);
  const uint32_t bucket = it != data_.end() ? it->second.bucket : DigestIndex::bucket_of(key);
  index_.set(bucket, key, value);
  if (it != data_.end()) {
    it->second.bytes = std::move(value);
  } else {
    data_.emplace(key, Value{std::move(value), bucket});
  }
  digest_.reset();
}

void KvStore::remove(const Bytes& key) {
  auto it = data_.find(key);
  if (it == data_.end()) return;
  index_.erase(it->second.bucket, key);
  data_.erase(it);
  digest_.reset();
}

void KvStore::write(uint64_t k, const Bytes& key, std::optional<Bytes> value) {
  // One map lookup per write, and the old value moves into the undo log instead of being
  // copied (the lookup, the copy and a second lookup in store() were ~5% of a replica's CPU).
  auto it = data_.find(key);
  const bool existed = it != data_.end();
  auto& undo = undo_[k];
  if (undo.capacity() == 0 && !spare_undo_.empty()) {
    undo = std::move(spare_undo_.back());
    spare_undo_.pop_back();
  }
  std::optional<Bytes> old;
  if (existed) old = std::move(it->second.bytes);
  if (value) {
    const uint32_t bucket = existed ? it->second.bucket : DigestIndex::bucket_of(key);
    index_.set(bucket, key, *value);
    if (existed) {
      it->second.bytes = std::move(*value);
    } else {
      data_.emplace(key, Value{std::move(*value), bucket});
    }
    digest_.reset();
  } else if (existed) {
    index_.erase(it->second.bucket, key);
    data_.erase(it);
    digest_.reset();
  }
  undo.push_back({key, std::move(old)});
}

Bytes KvStore::apply(const Invocation& in) {
  const uint64_t k = in.height;
  const ByteView bytes = in.op;
  auto op = decode_op(bytes);
  if (!op) return encode_result({Code::bad_op, {}});
  switch (op->type) {
    case OpType::put:
      write(k, op->key, std::move(op->value));
      return encode_result({Code::ok, {}});
    case OpType::get: {
      auto v = lookup(op->key);
      if (!v) return encode_result({Code::not_found, {}});
      return encode_result({Code::ok, std::move(*v)});
    }
    case OpType::del: {
      bool existed = data_.count(op->key) > 0;
      if (existed) write(k, op->key, std::nullopt);
      return encode_result({existed ? Code::ok : Code::not_found, {}});
    }
  }
  return encode_result({Code::bad_op, {}});
}

void KvStore::undo_to(uint64_t k) {
  // Newest batch first, newest write first: each entry restores what was there before it.
  while (!undo_.empty() && undo_.rbegin()->first > k) {
    auto node = undo_.extract(std::prev(undo_.end()));
    auto& entries = node.mapped();
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      if (it->old) {
        store(it->key, std::move(*it->old));
      } else {
        remove(it->key);
      }
    }
  }
}

void KvStore::make_final(uint64_t k) {
  const auto end = undo_.upper_bound(k);
  for (auto it = undo_.begin(); it != end; it = undo_.erase(it)) {
    // Kept for the next batches (their capacity, not their contents): see Executor::make_final.
    it->second.clear();
    if (spare_undo_.size() < kSpareUndo) spare_undo_.push_back(std::move(it->second));
  }
}

Hash32 KvStore::digest() const {
  if (!digest_) digest_ = index_.digest(data_.size());
  return *digest_;
}

Bytes KvStore::snapshot() const {
  Writer w;
  // In key order: one encoding per state (restore() insists on it).
  std::vector<const std::pair<const Bytes, Value>*> sorted;
  sorted.reserve(data_.size());
  for (const auto& e : data_) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  w.u32(static_cast<uint32_t>(data_.size()));
  for (const auto* e : sorted) {
    w.bytes(e->first);
    w.bytes(e->second.bytes);
  }
  return w.take();
}

Status KvStore::restore(ByteView snap) {
  Reader r(snap);
  std::unordered_map<Bytes, Value, KeyHash> data;
  DigestIndex index;
  size_t n = r.count(kMaxEntries, 8);
  data.reserve(n);
  Bytes prev;
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    Bytes key = r.bytes(kMaxSnapshotKey);
    Bytes value = r.bytes(kMaxValue);
    if (r.failed()) break;
    // Strictly increasing keys: one encoding per state, so equal digests mean equal snapshots.
    if (i > 0 && !(prev < key)) r.fail("snapshot keys not strictly increasing");
    const uint32_t bucket = DigestIndex::bucket_of(key);
    index.set(bucket, key, value);
    prev = key;
    data.emplace(std::move(key), Value{std::move(value), bucket});
  }
  if (auto st = r.finish(); !st) return st.error();
  data_ = std::move(data);
  index_ = std::move(index);
  undo_.clear();
  digest_.reset();
  return {};
}

}  // namespace rampart::app::kv
