#pragma once
// Server-side check of a distilled batch (DESIGN §3.1, "Servers"), the work one of the f + 1
// verifying replicas does before it signs a witness share:
//   1. sum the non-stragglers' BLS keys (one blst_p1s_add call, batched inversion),
//   2. rebuild the reduction tree with `raise` in every leaf and check the aggregate over its
//      root with one pairing check,
//   3. patch the stragglers' own sequence numbers into their leaves: the amended root,
//   4. check the stragglers' Ed25519 signatures.
// The broker computes the same roots, and the replica side will call this (it lives here, next
// to the codec, so both sides share one definition of the trees).
#include "broker/directory.hpp"
#include "broker/replica_wire.hpp"
#include "common/result.hpp"

namespace rampart::broker {

struct VerifiedBatch {
  Hash32 root{};          // reduction tree (raise everywhere): what the aggregate signs
  Hash32 amended_root{};  // stragglers at their own seq: what the delivery certificate signs
};

Result<VerifiedBatch> verify_distilled(const DistilledBatch& b, const Directory& dir);

// The two roots of a batch without any signature check (the broker's own view).
VerifiedBatch batch_roots(const DistilledBatch& b);

}  // namespace rampart::broker
