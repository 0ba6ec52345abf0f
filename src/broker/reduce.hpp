#pragma once
// Reduction: the clients' BLS signatures over one batch root become one aggregate (DESIGN §3.1).
//
// The broker does not check each signature (one pairing each, ~1 ms): it sums them all and
// checks the sum once. Only if that fails does it split the set in halves and check each half,
// recursively, so k invalid signatures among n cost O(k log n) checks instead of n. The
// message is hashed to G2 once for all checks (bls::hash_message). Because BLS signatures are
// unique, a valid aggregate equals the sum of the genuine signatures of its signers, whatever
// the individual shares were. The shares come unchecked (bls::UncheckedSignature: on the curve,
// not subgroup-checked); each sum is subgroup-checked before its pairing (aggregate_checked).
#include <optional>
#include <span>
#include <vector>

#include "crypto/bls.hpp"

namespace rampart::broker {

struct ReductionResult {
  std::vector<uint8_t> valid;                        // valid[i]: share i is in the aggregate
  std::optional<crypto::bls::Signature> aggregate;   // of the valid shares; none if none is
  size_t checks = 0;                                 // pairing checks it took
};

// pks[i] signed (or should have) `msg` with sigs[i]; the spans have equal lengths.
ReductionResult reduce(std::span<const crypto::bls::PublicKey* const> pks,
                       std::span<const crypto::bls::UncheckedSignature* const> sigs, ByteView msg);

}  // namespace rampart::broker
