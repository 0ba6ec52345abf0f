#pragma once
// A batch of client requests: the unit the protocols order. Encoded with the codec (bounded
// counts and lengths); its digest is BLAKE3 over that encoding.
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "replica/request.hpp"

namespace rampart::replica {

inline constexpr size_t kMaxBatchRequests = 65536;  // Chop Chop's largest batch

struct Batch {
  std::vector<Request> requests;
  bool operator==(const Batch&) const = default;
};

Bytes encode_batch(const Batch& b);
Result<Batch> decode_batch(ByteView b);
// BLAKE3 of the encoded batch, domain-separated from other hashes.
Hash32 batch_digest(ByteView encoded);

// Is this batch acceptable to order: decodes exactly, at least one request, every signature
// valid. Deterministic, so correct replicas agree.
Result<Batch> validate_batch(ByteView encoded, const ClientVerifier& v);

}  // namespace rampart::replica
