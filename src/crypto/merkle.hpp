#pragma once
// Merkle tree over BLAKE3 with inclusion proofs (the distillation batch tree of DESIGN §3.1, also
// used for results roots).
//
// Domain separation: leaves are BLAKE3 keyed hashes under a leaf key, inner nodes keyed hashes
// of (left || right) under a different inner key (both keys come from BLAKE3's derive_key with
// fixed context strings), so a leaf can never be confused with an inner node. An inner node
// hashes exactly 64 bytes, i.e. one BLAKE3 compression, which is what makes a 65,536-entry root
// cheap. A node without a right sibling (odd count) moves up a level unchanged.
#include <cstdint>
#include <span>
#include <vector>

#include "common/bytes.hpp"
#include "common/codec.hpp"
#include "common/result.hpp"

namespace rampart::crypto::merkle {

// Longest possible proof: leaf counts are u32, so at most 32 levels.
inline constexpr size_t kMaxProofLength = 32;

Hash32 leaf_hash(ByteView entry);
// Leaf hashes of entries laid out back to back: entry i = buf[at[i], at[i + 1]). Entries of
// 1-16 whole 64-byte blocks (reply leaves are padded to that) are hashed several at a time by
// BLAKE3's multi-input SIMD routine; others one by one. out[i] = leaf_hash(entry i).
std::vector<Hash32> hash_packed_leaves(ByteView buf, std::span<const size_t> at);
Hash32 inner_hash(const Hash32& left, const Hash32& right);
// Root of the empty tree (its own domain, never equal to a leaf or inner hash in practice).
Hash32 empty_root();

// Leaf hashes of many entries; `threads` > 1 splits the work over that many threads.
std::vector<Hash32> hash_leaves(std::span<const ByteView> entries, unsigned threads = 1);
// Root without keeping the tree. With threads > 1, aligned power-of-two subtrees are reduced in
// parallel (their roots are exactly the tree's inner nodes, odd-node rule included).
Hash32 root(std::span<const Hash32> leaf_hashes, unsigned threads = 1);

struct Proof {
  uint32_t index = 0;       // position of the leaf
  uint32_t leaf_count = 0;  // number of leaves in the tree
  std::vector<Hash32> siblings;  // bottom-up; levels where the node was promoted have none

  // Wire form: u32 index, u32 leaf_count, u8 n, n * 32 bytes (little-endian ints, codec).
  Bytes encode() const;
  // Bounds-checked; rejects n > kMaxProofLength and trailing bytes.
  static Result<Proof> decode(ByteView wire);
  bool operator==(const Proof&) const = default;
};

class Tree {
 public:
  explicit Tree(std::vector<Hash32> leaf_hashes);
  const Hash32& root() const { return root_; }
  size_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  // Replaces leaves (index, hash) and rehashes only the inner nodes above them, each once:
  // the same root as a tree built from the new leaves. Indices must be < size().
  void update(std::span<const std::pair<uint32_t, Hash32>> changes);
  Result<Proof> proof(uint32_t index) const;
  // proof(index)->encode() as a length-prefixed field (Writer::bytes) appended to w, without
  // building the Proof; false (nothing written) if index is out of range.
  bool write_proof(uint32_t index, Writer& w) const;

 private:
  std::vector<std::vector<Hash32>> levels_;  // levels_[0] = leaves, last = {root}
  Hash32 root_{};
};

// Ok only if `leaf` at proof.index of a proof.leaf_count-leaf tree hashes up to `root` with
// exactly the siblings given (a proof of the wrong length, index or root is rejected).
Status verify(const Hash32& root, const Hash32& leaf, const Proof& proof);

// What verify() decides, for many proofs at once: ok[i] = verify(*roots[i], leaves[i],
// proofs[i]).ok(). The proofs climb level by level together, each level's inner nodes hashed in
// one call of BLAKE3's multi-input SIMD routine; one at a time, every inner node is a separate
// latency-bound compression (~100 ns here), which made Merkle checks ~40% of a client that
// verifies thousands of replies a second (the bench cluster load generator).
void verify_many(std::span<const Hash32* const> roots, std::span<const Hash32> leaves, std::span<const Proof* const> proofs,
                 std::vector<uint8_t>& ok);

}  // namespace rampart::crypto::merkle
