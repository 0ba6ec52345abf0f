#pragma once
// Proof of work for the P2P handshake: the prover finds a nonce such that
//   BLAKE3-derive-key("rampart/gossip/pow/v1", challenge | binding | nonce u64 LE)
// starts with at least `difficulty` zero bits. The challenge is 32 fresh random bytes from the
// verifier, so no work can be done before the connection; the binding (the prover's identity
// and ephemeral key) ties the work to this prover and this handshake, so it cannot be relayed.
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"

namespace rampart::gossip {

inline constexpr unsigned kMaxPowDifficulty = 32;

Hash32 pow_digest(const Hash32& challenge, ByteView binding, uint64_t nonce);
unsigned leading_zero_bits(const Hash32& h);
bool pow_check(const Hash32& challenge, ByteView binding, uint64_t nonce, unsigned difficulty);
// Expected 2^difficulty hashes; gives up after max_tries (nullopt).
std::optional<uint64_t> pow_solve(const Hash32& challenge, ByteView binding, unsigned difficulty,
                                  uint64_t max_tries = uint64_t(1) << 40);

}  // namespace rampart::gossip
