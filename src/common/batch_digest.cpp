#include "common/batch_digest.hpp"

#include <blake3.h>

namespace rampart {

Hash32 batch_digest(ByteView batch) {
  blake3_hasher h;
  blake3_hasher_init_derive_key(&h, "rampart/batch/v1");
  blake3_hasher_update(&h, batch.data(), batch.size());
  Hash32 out;
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}

}  // namespace rampart
