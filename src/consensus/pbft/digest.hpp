#pragma once
// Batch digests for PBFT: a pre-prepare, prepare and commit name a batch by its digest
// (batch_digest, common/batch_digest.hpp), so votes and certificates stay small and the batch
// bytes travel once.
#include "common/batch_digest.hpp"
#include "common/bytes.hpp"

namespace rampart::consensus::pbft {

// The digest of the empty batch: the "null request" a new primary puts into sequence-number
// gaps so that execution stays dense (Env::execute is called with empty batch bytes).
const Hash32& null_digest();

}  // namespace rampart::consensus::pbft
