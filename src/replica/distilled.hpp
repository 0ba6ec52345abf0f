#pragma once
// The broker path's payload kind (DESIGN §3.1, §7 "payload kinds"): a broker's distilled batch
// as one part of a slot, next to the direct path's plain batches inside a bundle.
//
//   part = u32 kDistilledMarker | broker::encode(DistilledBatch)   (its first byte is kind 16)
//
// The replica a broker hands a batch to (its entry replica) checks it in full
// (broker::verify_distilled: one aggregate BLS check, the stragglers' Ed25519), wraps it as a
// part and lets its batcher forward it like a batch of its own: the origin's f + 1 witnesses
// check it and vouch for its digest (replica/witness.hpp), the primary bundles it, the others
// accept it on that certificate. On execution each entry becomes a request of the client whose
// directory key signed it: client id = client_id_of(its Ed25519 key), seq = the batch's raise
// (a straggler: its own seq), payload = Ed25519 key | payload, so the application sees the
// client's key as the principal exactly as on the direct path.
#include <cstdint>
#include <vector>

#include "broker/directory.hpp"
#include "broker/replica_wire.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"
#include "replica/batch.hpp"

namespace rampart::replica {

// Never a plain batch's request count (at most kMaxBatchRequests), nor a bundle's marker.
inline constexpr uint32_t kDistilledMarker = 0xFFFFFFFDu;

bool is_distilled(ByteView part);
Bytes distilled_part(ByteView wire);  // the marker, then the broker's wire bytes
// The batch inside a part; the decoder is broker::decode_replica_message (shape enforced).
Result<broker::DistilledBatch> decode_distilled(ByteView part);
// Entries a distilled part's header claims (0 if it has none): for sizing, not validation.
size_t distilled_entries(ByteView part);
// The full server-side check (what a witness does before it vouches).
Status check_distilled(ByteView part, const broker::Directory& dir);

// Which broker batch a block carried, and the root its delivery certificate signs.
struct DistilledRef {
  uint32_t broker = 0;
  uint64_t number = 0;
  Hash32 amended_root{};
  bool operator==(const DistilledRef&) const = default;
};

// A slot (plain batch, bundle, or lone distilled part) as the executor runs it: the requests in
// order, the distilled ones marked in batch.brokered, and the broker batches it carried.
// Without a directory a distilled part is an error. An entry whose id is not in `dir` (the
// directory as executed before this slot) is skipped and counted in *skipped: its sign-up was
// final at the replicas that checked the batch but is not below this block
// (replica/client_directory.hpp, SAFETY). Deterministic in (bytes, directory).
Result<Batch> decode_slot(ByteView bytes, const broker::Directory* dir, std::vector<DistilledRef>* refs,
                          size_t* skipped = nullptr);
// The broker batches a slot carried, without expanding them (no directory needed): what a
// replica that got a final block from a peer, rather than executing it, signs deliveries for.
Result<std::vector<DistilledRef>> distilled_refs(ByteView slot);

}  // namespace rampart::replica
