#include "crypto/merkle.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <thread>

#include "common/codec.hpp"
#include "crypto/blake3.hpp"

namespace rampart::crypto::merkle {
namespace {

struct Keys {
  Hash32 leaf = blake3::derive_key("rampart 2026-11 merkle leaf v1", {});
  Hash32 inner = blake3::derive_key("rampart 2026-11 merkle inner v1", {});
  Hash32 empty = blake3::derive_key("rampart 2026-11 merkle empty v1", {});
};

const Keys& keys() {
  static const Keys k;
  return k;
}

// Reduces one level in place: out[i] = H(in[2i], in[2i+1]), the odd last node promoted. Pairs
// are hashed in blocks through BLAKE3's multi-input SIMD routine; block b writes nodes[b..] only
// after reading its inputs nodes[2b..], and later blocks read at or beyond 2(b + block), so the
// in-place update never clobbers an unread input.
size_t reduce_level(Hash32* nodes, size_t n) {
  constexpr size_t kBlock = 512;
  const uint8_t* inputs[kBlock];
  Hash32 out[kBlock];
  const size_t pairs = n / 2;
  for (size_t b = 0; b < pairs; b += kBlock) {
    const size_t m = std::min(kBlock, pairs - b);
    for (size_t i = 0; i < m; ++i) inputs[i] = nodes[2 * (b + i)].data();
    blake3::keyed_hash_many_64(keys().inner, inputs, m, out);
    std::copy(out, out + m, nodes + b);
  }
  if (n % 2 == 1) nodes[pairs] = nodes[n - 1];
  return pairs + n % 2;
}

Hash32 reduce_to_root(std::vector<Hash32> nodes) {
  size_t n = nodes.size();
  while (n > 1) n = reduce_level(nodes.data(), n);
  return nodes[0];
}

}  // namespace

Hash32 leaf_hash(ByteView entry) { return blake3::keyed_hash(keys().leaf, entry); }

std::vector<Hash32> hash_packed_leaves(ByteView buf, std::span<const size_t> at) {
  std::vector<Hash32> leaves(at.empty() ? 0 : at.size() - 1);
  blake3::keyed_hash_packed(keys().leaf, buf, at, leaves.data());
  // keyed_hash_packed skips empty inputs; an empty entry still has a leaf hash.
  for (size_t i = 0; i < leaves.size(); ++i)
    if (at[i + 1] == at[i]) leaves[i] = leaf_hash({});
  return leaves;
}

Hash32 inner_hash(const Hash32& left, const Hash32& right) {
  uint8_t buf[64];
  std::memcpy(buf, left.data(), 32);
  std::memcpy(buf + 32, right.data(), 32);
  return blake3::keyed_hash(keys().inner, ByteView(buf, sizeof buf));
}

Hash32 empty_root() { return keys().empty; }

std::vector<Hash32> hash_leaves(std::span<const ByteView> entries, unsigned threads) {
  std::vector<Hash32> out(entries.size());
  auto work = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) out[i] = leaf_hash(entries[i]);
  };
  if (threads <= 1 || entries.size() < 1024) {
    work(0, entries.size());
    return out;
  }
  std::vector<std::thread> pool;
  size_t per = (entries.size() + threads - 1) / threads;
  for (unsigned t = 1; t < threads; ++t) {
    size_t from = std::min(entries.size(), t * per), to = std::min(entries.size(), from + per);
    pool.emplace_back(work, from, to);
  }
  work(0, std::min(entries.size(), per));
  for (auto& th : pool) th.join();
  return out;
}

Hash32 root(std::span<const Hash32> leaf_hashes, unsigned threads) {
  const size_t n = leaf_hashes.size();
  if (n == 0) return empty_root();
  if (threads <= 1 || n < 4096) return reduce_to_root({leaf_hashes.begin(), leaf_hashes.end()});
  // Chunks of 2^k leaves, aligned: the root of each chunk is the tree's node at level k (the
  // last, partial chunk follows the same odd-node rule on its own), so chunk roots can be
  // computed independently and reduced like level k of the tree.
  size_t chunk = 1;
  while (chunk * threads < n) chunk *= 2;
  const size_t chunks = (n + chunk - 1) / chunk;
  std::vector<Hash32> tops(chunks);
  auto work = [&](size_t c) {
    size_t from = c * chunk, to = std::min(n, from + chunk);
    tops[c] = reduce_to_root({leaf_hashes.begin() + from, leaf_hashes.begin() + to});
  };
  std::vector<std::thread> pool;
  for (size_t c = 1; c < chunks; ++c) pool.emplace_back(work, c);
  work(0);
  for (auto& th : pool) th.join();
  return reduce_to_root(std::move(tops));
}

Tree::Tree(std::vector<Hash32> leaf_hashes) {
  if (leaf_hashes.empty()) {
    root_ = empty_root();
    return;
  }
  levels_.push_back(std::move(leaf_hashes));
  while (levels_.back().size() > 1) {
    std::vector<Hash32> next = levels_.back();
    next.resize(reduce_level(next.data(), next.size()));
    levels_.push_back(std::move(next));
  }
  root_ = levels_.back()[0];
}

void Tree::update(std::span<const std::pair<uint32_t, Hash32>> changes) {
  if (changes.empty() || levels_.empty()) return;
  std::vector<size_t> dirty;
  dirty.reserve(changes.size());
  for (const auto& [i, h] : changes) {
    levels_[0][i] = h;
    dirty.push_back(i);
  }
  for (size_t l = 0; l + 1 < levels_.size(); ++l) {
    const auto& level = levels_[l];
    auto& up = levels_[l + 1];
    // Parents of the dirty nodes, each once (sorted, so duplicates are neighbours).
    for (auto& d : dirty) d /= 2;
    std::sort(dirty.begin(), dirty.end());
    dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());
    for (size_t p : dirty) {
      const size_t left = 2 * p;
      up[p] = left + 1 < level.size() ? inner_hash(level[left], level[left + 1]) : level[left];  // odd node: promoted
    }
  }
  root_ = levels_.back()[0];
}

Result<Proof> Tree::proof(uint32_t index) const {
  if (index >= size()) return err("merkle: leaf index out of range");
  Proof p;
  p.index = index;
  p.leaf_count = static_cast<uint32_t>(size());
  size_t idx = index;
  for (size_t l = 0; l + 1 < levels_.size(); ++l) {
    const auto& level = levels_[l];
    if (idx % 2 == 1) {
      p.siblings.push_back(level[idx - 1]);
    } else if (idx + 1 < level.size()) {
      p.siblings.push_back(level[idx + 1]);
    }  // else: promoted, no sibling at this level
    idx /= 2;
  }
  return p;
}

bool Tree::write_proof(uint32_t index, Writer& w) const {
  if (index >= size()) return false;
  // Sibling count first: the field's length prefix comes before the siblings.
  size_t n = 0;
  for (size_t l = 0, idx = index; l + 1 < levels_.size(); ++l, idx /= 2)
    if (idx % 2 == 1 || idx + 1 < levels_[l].size()) ++n;
  w.u32(static_cast<uint32_t>(4 + 4 + 1 + 32 * n));
  w.u32(index);
  w.u32(static_cast<uint32_t>(size()));
  w.u8(static_cast<uint8_t>(n));
  for (size_t l = 0, idx = index; l + 1 < levels_.size(); ++l, idx /= 2) {
    const auto& level = levels_[l];
    if (idx % 2 == 1) {
      w.fixed(level[idx - 1]);
    } else if (idx + 1 < level.size()) {
      w.fixed(level[idx + 1]);
    }
  }
  return true;
}

void verify_many(std::span<const Hash32* const> roots, std::span<const Hash32> leaves, std::span<const Proof* const> proofs,
                 std::vector<uint8_t>& ok) {
  const size_t n = std::min({roots.size(), leaves.size(), proofs.size()});
  ok.assign(n, 0);
  struct Climb {
    Hash32 h;
    size_t idx, size, used;
  };
  std::vector<Climb> c(n);
  std::vector<size_t> active;
  for (size_t i = 0; i < n; ++i) {
    const Proof& p = *proofs[i];
    if (p.leaf_count == 0 || p.index >= p.leaf_count || p.siblings.size() > kMaxProofLength) continue;
    c[i] = {leaves[i], p.index, p.leaf_count, 0};
    active.push_back(i);
  }
  std::vector<std::array<uint8_t, 64>> blocks;
  std::vector<const uint8_t*> inputs;
  std::vector<Hash32> out;
  std::vector<size_t> hashed, next;
  while (!active.empty()) {
    blocks.clear();
    hashed.clear();
    next.clear();
    for (size_t i : active) {
      Climb& x = c[i];
      if (x.size <= 1) {
        const Proof& p = *proofs[i];
        ok[i] = x.used == p.siblings.size() && x.h == *roots[i];
        continue;
      }
      const bool has_sibling = x.idx % 2 == 1 || x.idx + 1 < x.size;
      if (has_sibling) {
        const Proof& p = *proofs[i];
        if (x.used == p.siblings.size()) continue;  // too short: stays not ok
        const Hash32& s = p.siblings[x.used++];
        std::array<uint8_t, 64> b;
        const Hash32& left = x.idx % 2 == 1 ? s : x.h;
        const Hash32& right = x.idx % 2 == 1 ? x.h : s;
        std::memcpy(b.data(), left.data(), 32);
        std::memcpy(b.data() + 32, right.data(), 32);
        blocks.push_back(b);
        hashed.push_back(i);
      }
      x.idx /= 2;
      x.size = (x.size + 1) / 2;
      next.push_back(i);
    }
    if (!blocks.empty()) {
      inputs.resize(blocks.size());
      for (size_t j = 0; j < blocks.size(); ++j) inputs[j] = blocks[j].data();
      out.resize(blocks.size());
      blake3::keyed_hash_many_64(keys().inner, inputs.data(), inputs.size(), out.data());
      for (size_t j = 0; j < hashed.size(); ++j) c[hashed[j]].h = out[j];
    }
    active.swap(next);
  }
}

Status verify(const Hash32& root, const Hash32& leaf, const Proof& proof) {
  if (proof.leaf_count == 0 || proof.index >= proof.leaf_count)
    return err("merkle: proof index out of range");
  if (proof.siblings.size() > kMaxProofLength) return err("merkle: proof too long");
  Hash32 h = leaf;
  size_t idx = proof.index, size = proof.leaf_count, used = 0;
  while (size > 1) {
    const bool has_sibling = idx % 2 == 1 || idx + 1 < size;
    if (has_sibling) {
      if (used == proof.siblings.size()) return err("merkle: proof too short");
      const Hash32& s = proof.siblings[used++];
      h = idx % 2 == 1 ? inner_hash(s, h) : inner_hash(h, s);
    }
    idx /= 2;
    size = (size + 1) / 2;
  }
  if (used != proof.siblings.size()) return err("merkle: proof too long");
  if (h != root) return err("merkle: proof does not lead to the root");
  return {};
}

Bytes Proof::encode() const {
  Writer w;
  w.u32(index);
  w.u32(leaf_count);
  w.u8(static_cast<uint8_t>(siblings.size()));
  for (const auto& s : siblings) w.fixed(s);
  return w.take();
}

Result<Proof> Proof::decode(ByteView wire) {
  Reader r(wire);
  Proof p;
  p.index = r.u32();
  p.leaf_count = r.u32();
  size_t n = r.u8();
  if (n > kMaxProofLength) r.fail("merkle: proof longer than 32 levels");
  if (!r.failed() && n * 32 > r.remaining()) r.fail("merkle: proof truncated");
  if (!r.failed()) {
    p.siblings.reserve(n);
    for (size_t i = 0; i < n; ++i) p.siblings.push_back(r.fixed<32>());
  }
  RAMPART_TRY(r.finish());
  return p;
}

}  // namespace rampart::crypto::merkle
