#include "broker/entries.hpp"

#include <algorithm>

#include "common/codec.hpp"
#include "crypto/merkle.hpp"

namespace rampart::broker {
namespace {

constexpr size_t kEntryHeader = 4 + 8 + 2;

size_t padded(size_t payload) { return (kEntryHeader + payload + 63) / 64 * 64; }

void put_entry(uint8_t* p, ClientId id, uint64_t seq, ByteView payload) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(id >> (8 * i));
  for (int i = 0; i < 8; ++i) p[4 + i] = static_cast<uint8_t>(seq >> (8 * i));
  p[12] = static_cast<uint8_t>(payload.size());
  p[13] = static_cast<uint8_t>(payload.size() >> 8);
  std::copy(payload.begin(), payload.end(), p + kEntryHeader);
  std::fill(p + kEntryHeader + payload.size(), p + padded(payload.size()), 0);
}

}  // namespace

void Entries::push(ClientId id, ByteView payload) {
  ids.push_back(id);
  payloads.insert(payloads.end(), payload.begin(), payload.end());
  at.push_back(static_cast<uint32_t>(payloads.size()));
}

long Entries::find(ClientId id) const {
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it == ids.end() || *it != id) return -1;
  return static_cast<long>(it - ids.begin());
}

Hash32 entry_leaf(ClientId id, uint64_t seq, ByteView payload) {
  Bytes buf(padded(payload.size()));
  put_entry(buf.data(), id, seq, payload);
  return crypto::merkle::leaf_hash(buf);
}

std::vector<Hash32> entry_leaves(const Entries& e, uint64_t raise) {
  // All entries back to back, then one packed-leaf call (SIMD over equal-length entries).
  std::vector<size_t> at(e.size() + 1, 0);
  for (size_t i = 0; i < e.size(); ++i) at[i + 1] = at[i] + padded(e.payload(i).size());
  Bytes buf(at.back());
  for (size_t i = 0; i < e.size(); ++i) put_entry(buf.data() + at[i], e.ids[i], raise, e.payload(i));
  return crypto::merkle::hash_packed_leaves(buf, at);
}

void amend_leaves(std::vector<Hash32>& leaves, const Entries& e, std::span<const Straggler> stragglers) {
  for (const auto& s : stragglers) {
    long i = e.find(s.id);
    if (i >= 0 && static_cast<size_t>(i) < leaves.size()) leaves[i] = entry_leaf(s.id, s.seq, e.payload(i));
  }
}

Bytes submit_statement(ClientId id, uint64_t seq, ByteView payload) {
  Writer w;
  w.raw(as_bytes("rampart broker submit v1"));
  w.u32(id);
  w.u64(seq);
  w.raw(payload);  // last field: its length is implied
  return w.take();
}

Bytes reduce_statement(const Hash32& root) {
  Writer w;
  w.raw(as_bytes("rampart broker reduce v1"));
  w.fixed(root);
  return w.take();
}

Bytes delivery_statement(uint32_t broker, uint64_t number, uint64_t height, const Hash32& amended_root) {
  Writer w;
  w.raw(as_bytes("rampart broker delivery v1"));
  w.u32(broker);
  w.u64(number);
  w.u64(height);
  w.fixed(amended_root);
  return w.take();
}

}  // namespace rampart::broker
