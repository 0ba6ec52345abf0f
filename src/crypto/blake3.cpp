#include "crypto/blake3.hpp"

#include <string>

namespace rampart::crypto::blake3 {

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

Hash32 hash(ByteView data) { return Hasher().update(data).finalize(); }

Hash32 keyed_hash(const Hash32& key, ByteView data) {
  return Hasher::keyed(key).update(data).finalize();
}

Hash32 derive_key(std::string_view context, ByteView key_material) {
  return Hasher::derive_key(context).update(key_material).finalize();
}

}  // namespace rampart::crypto::blake3
