#pragma once
// A batch of client requests: the unit the protocols order. Encoded with the codec (bounded
// counts and lengths); its digest is batch_digest (common/batch_digest.hpp) over that encoding.
#include <functional>
#include <vector>

#include "common/batch_digest.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"
#include "replica/request.hpp"

namespace rampart::replica {

inline constexpr size_t kMaxBatchRequests = 65536;  // Chop Chop's largest batch

struct Batch {
  std::vector<Request> requests;
  // Per request, 1 if it came from a broker's distilled batch (replica/distilled.hpp: deduplicated
  // by payload too); empty when none did.
  std::vector<uint8_t> brokered;
  bool operator==(const Batch&) const = default;
};

Bytes encode_batch(const Batch& b);
// Decodes a plain batch or a bundle (below); a bundle decodes to its parts' requests in order.
Result<Batch> decode_batch(ByteView b);

// A bundle orders several batches in one slot: the primary merges the batches other replicas
// forward to it, so the per-slot costs (threshold signatures, pairings, fsync, digests) are paid
// once for all of them. Each part stays byte-identical to the batch its replica built, so a
// replica recognises its own part (and parts whose signatures it already checked) by digest.
// Wire: u32 kBundleMarker | u32 parts (1..kMaxBundleParts) | per part: u32 length | plain batch.
// A salted bundle: u32 kSaltedBundleMarker | u64 salt | the same. The salt changes the bytes,
// and so the digest, of parts ordered before: a client's retry of a lone request forms the same
// plain batch as its first one, which the protocols order only once (a duplicate), so the
// primary orders it again salted and the executor answers it from the reply cache.
// The markers can never be a plain batch's request count (at most kMaxBatchRequests).
inline constexpr uint32_t kBundleMarker = 0xFFFFFFFFu;
inline constexpr uint32_t kSaltedBundleMarker = 0xFFFFFFFEu;
inline constexpr size_t kMaxBundleParts = 1024;
bool is_bundle(ByteView encoded);
Bytes encode_bundle(const std::vector<Bytes>& parts, uint64_t salt = 0);  // salt 0: unsalted
// The parts of a well-formed bundle (views into `encoded`): each part a plain batch (not a
// bundle), and at most kMaxBatchRequests requests in all. A plain batch is one part, itself.
Result<std::vector<ByteView>> batch_parts(ByteView encoded);
// Request count a plain batch's header claims, or a distilled part's entry count (0 if it has
// none); for sizing, not validation.
size_t claimed_requests(ByteView plain);
// Calls fn on every request of a plain batch or a bundle, in order, read in place; stops at the
// first error, fn's or the decoder's. Accepts exactly what decode_batch accepts (a failure can
// come after fn saw earlier requests).
Status for_each_request(ByteView encoded, const std::function<Status(const RequestView&)>& fn);
// A batch's (or bundle's) digest is rampart::batch_digest (common/batch_digest.hpp): the one the
// protocol orders it under and the ledger records. Reachable as replica::batch_digest for callers
// that still spell it so (src/sim); the same function, not a second one.
using rampart::batch_digest;

// Is this batch acceptable to order: decodes exactly, at least one request, every signature
// valid. Deterministic, so correct replicas agree.
Result<Batch> validate_batch(ByteView encoded, const ClientVerifier& v);

}  // namespace rampart::replica
