#pragma once
// C++ wrapper over the official BLAKE3 C implementation (target `blake3`, <blake3.h>): one-shot
// hash, keyed hash and key derivation with a 32-byte Hash32 result, and an incremental Hasher
// that can also produce extended (XOF) output.
#include <span>
#include <string_view>

#include <blake3.h>

#include "common/bytes.hpp"

namespace rampart::crypto::blake3 {

Hash32 hash(ByteView data);
// MAC / PRF keyed by a 32-byte key.
Hash32 keyed_hash(const Hash32& key, ByteView data);
// BLAKE3's KDF mode: context must be a hard-coded, globally unique, application-specific string.
Hash32 derive_key(std::string_view context, ByteView key_material);

// Keyed hashes of n inputs of exactly 64 bytes each: out[i] = keyed_hash(key, inputs[i][0..64)).
// Uses the C implementation's own multi-input SIMD routine (blake3_hash_many: 4/8/16 inputs per
// pass with SSE4.1/AVX2/AVX-512), which is several times faster than n one-shot calls. This is
// what makes Merkle inner nodes (64-byte inputs) cheap.
void keyed_hash_many_64(const Hash32& key, const uint8_t* const* inputs, size_t n, Hash32* out);
// The same for n inputs of exactly `blocks` x 64 bytes each, 1 <= blocks <= kMaxManyBlocks
// (one BLAKE3 chunk): out[i] = keyed_hash(key, inputs[i][0..64 * blocks)).
inline constexpr size_t kMaxManyBlocks = 16;
void keyed_hash_many(const Hash32& key, const uint8_t* const* inputs, size_t n, size_t blocks, Hash32* out);
// Keyed hashes of inputs laid out back to back: input i = buf[at[i], at[i + 1]), out[i] its
// hash. Inputs of 1..kMaxManyBlocks whole blocks are grouped by length and hashed through
// keyed_hash_many; any other length one by one. Zero-length inputs are skipped (out[i]
// untouched) -- callers give those their own meaning.
void keyed_hash_packed(const Hash32& key, ByteView buf, std::span<const size_t> at, Hash32* out);

class Hasher {
 public:
  Hasher();  // plain hash mode
  static Hasher keyed(const Hash32& key);
  static Hasher derive_key(std::string_view context);

  Hasher& update(ByteView data);
  Hasher& update(std::string_view s) { return update(as_bytes(s)); }
  // Does not consume the state: more input may follow, finalize may be called again.
  Hash32 finalize() const;
  // Extended output of any length, starting at byte offset `seek` of the output stream.
  void finalize(std::span<uint8_t> out, uint64_t seek = 0) const;
  // Back to the state right after construction (same mode and key).
  void reset();

 private:
  blake3_hasher h_;
};

}  // namespace rampart::crypto::blake3
