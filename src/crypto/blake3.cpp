#include "crypto/blake3.hpp"

#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <vector>


// Internal entry point of the official C implementation (declared in its blake3_impl.h, which is
// not a public header; signature as of BLAKE3 1.3.x). Checked against the public API by the tests.
extern "C" void blake3_hash_many(const uint8_t* const* inputs, size_t num_inputs, size_t blocks,
                                 const uint32_t key[8], uint64_t counter, bool increment_counter,
                                 uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                                 uint8_t* out);
extern "C" void blake3_compress_in_place(uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                         uint64_t counter, uint8_t flags);

namespace rampart::crypto::blake3 {
namespace {
// Block flags of the BLAKE3 specification (blake3_impl.h).
constexpr uint8_t kChunkStart = 1 << 0, kChunkEnd = 1 << 1, kRoot = 1 << 3, kKeyedHash = 1 << 4;
}  // namespace

// BLAKE3's words are little-endian; on a little-endian host they are the bytes as they are (the
// byte loop was ~5% of a replica's execute path: one call per short keyed hash).
static void key_words(const Hash32& key, uint32_t words[8]) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(words, key.data(), 32);
  } else {
    for (int i = 0; i < 8; ++i)
      words[i] = uint32_t(key[4 * i]) | uint32_t(key[4 * i + 1]) << 8 |
                 uint32_t(key[4 * i + 2]) << 16 | uint32_t(key[4 * i + 3]) << 24;
  }
}

void keyed_hash_many_64(const Hash32& key, const uint8_t* const* inputs, size_t n, Hash32* out) {
  uint32_t words[8];
  key_words(key, words);
  // A 64-byte input is one chunk of one block: chunk counter 0, CHUNK_START|CHUNK_END|ROOT on
  // that block. The first 32 bytes of a root output are exactly what hash_many stores.
  static_assert(sizeof(Hash32) == 32);
  blake3_hash_many(inputs, n, 1, words, 0, false, kKeyedHash, kChunkStart, kChunkEnd | kRoot,
                   reinterpret_cast<uint8_t*>(out));
}

void keyed_hash_many(const Hash32& key, const uint8_t* const* inputs, size_t n, size_t blocks, Hash32* out) {
  if (blocks == 0 || blocks > kMaxManyBlocks) std::abort();  // a caller bug, not input
  uint32_t words[8];
  key_words(key, words);
  // One chunk of `blocks` full blocks: CHUNK_START on the first, CHUNK_END | ROOT on the last.
  blake3_hash_many(inputs, n, blocks, words, 0, false, kKeyedHash, kChunkStart, kChunkEnd | kRoot,
                   reinterpret_cast<uint8_t*>(out));
}

void keyed_hash_packed(const Hash32& key, ByteView buf, std::span<const size_t> at, Hash32* out) {
  const size_t n = at.empty() ? 0 : at.size() - 1;
  std::array<std::vector<size_t>, kMaxManyBlocks + 1> by_blocks;
  for (size_t i = 0; i < n; ++i) {
    const size_t len = at[i + 1] - at[i];
    if (len == 0) continue;
    if (len % 64 == 0 && len / 64 <= kMaxManyBlocks) {
      by_blocks[len / 64].push_back(i);
    } else {
      out[i] = keyed_hash(key, buf.subspan(at[i], len));
    }
  }
  std::vector<const uint8_t*> inputs;
  std::vector<Hash32> hashes;
  for (size_t blocks = 1; blocks <= kMaxManyBlocks; ++blocks) {
    const auto& idx = by_blocks[blocks];
    if (idx.empty()) continue;
    inputs.resize(idx.size());
    hashes.resize(idx.size());
    for (size_t j = 0; j < idx.size(); ++j) inputs[j] = buf.data() + at[idx[j]];
    keyed_hash_many(key, inputs.data(), inputs.size(), blocks, hashes.data());
    for (size_t j = 0; j < idx.size(); ++j) out[idx[j]] = hashes[j];
  }
}

Hasher::Hasher() { blake3_hasher_init(&h_); }

Hasher Hasher::keyed(const Hash32& key) {
  Hasher h;
  blake3_hasher_init_keyed(&h.h_, key.data());
  return h;
}

Hasher Hasher::derive_key(std::string_view context) {
  Hasher h;
  // The C API takes the context as raw bytes so it may contain NULs.
  blake3_hasher_init_derive_key_raw(&h.h_, context.data(), context.size());
  return h;
}

Hasher& Hasher::update(ByteView data) {
  blake3_hasher_update(&h_, data.data(), data.size());
  return *this;
}

Hash32 Hasher::finalize() const {
  Hash32 out;
  blake3_hasher_finalize(&h_, out.data(), out.size());
  return out;
}

void Hasher::finalize(std::span<uint8_t> out, uint64_t seek) const {
  blake3_hasher_finalize_seek(&h_, seek, out.data(), out.size());
}

void Hasher::reset() { blake3_hasher_reset(&h_); }

namespace {
// Short inputs (Merkle leaves, client ids, KV entries): one chunk of one zero-padded block is a
// single compression with CHUNK_START|CHUNK_END|ROOT; skips the 1.9 KB hasher state.
Hash32 one_block(uint32_t cv[8], ByteView data, uint8_t mode) {
  uint8_t block[64] = {};
  if (!data.empty()) std::memcpy(block, data.data(), data.size());
  blake3_compress_in_place(cv, block, static_cast<uint8_t>(data.size()), 0, mode | kChunkStart | kChunkEnd | kRoot);
  Hash32 out;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out.data(), cv, 32);
  } else {
    for (int i = 0; i < 8; ++i)
      for (int b = 0; b < 4; ++b) out[4 * i + b] = static_cast<uint8_t>(cv[i] >> (8 * b));
  }
  return out;
}
}  // namespace

Hash32 hash(ByteView data) {
  if (data.size() <= 64) {
    // The chaining value of an unkeyed hash starts at BLAKE3's IV (the SHA-256 IV).
    uint32_t cv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
    return one_block(cv, data, 0);
  }
  return Hasher().update(data).finalize();
}

Hash32 keyed_hash(const Hash32& key, ByteView data) {
  if (data.size() <= 64) {
    uint32_t cv[8];
    key_words(key, cv);
    return one_block(cv, data, kKeyedHash);
  }
  return Hasher::keyed(key).update(data).finalize();
}

Hash32 derive_key(std::string_view context, ByteView key_material) {
  return Hasher::derive_key(context).update(key_material).finalize();
}

}  // namespace rampart::crypto::blake3
