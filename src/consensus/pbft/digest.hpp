#pragma once
// Batch digests for PBFT: a pre-prepare, prepare and commit name a batch by its BLAKE3 hash, so
// votes and certificates stay small and the batch bytes travel once.
#include "common/bytes.hpp"

namespace rampart::consensus::pbft {

Hash32 batch_digest(ByteView batch);

// The digest of the empty batch: the "null request" a new primary puts into sequence-number
// gaps so that execution stays dense (Env::execute is called with empty batch bytes).
const Hash32& null_digest();

}  // namespace rampart::consensus::pbft
