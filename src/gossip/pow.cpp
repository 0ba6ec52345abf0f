#include "gossip/pow.hpp"

#include <bit>

#include "crypto/blake3.hpp"

namespace rampart::gossip {
namespace {

constexpr std::string_view kContext = "rampart/gossip/pow/v1";

crypto::blake3::Hasher prefix(const Hash32& challenge, ByteView binding) {
  auto h = crypto::blake3::Hasher::derive_key(kContext);
  h.update(ByteView(challenge));
  h.update(binding);
  return h;
}

Hash32 finish(crypto::blake3::Hasher h, uint64_t nonce) {
  uint8_t n[8];
  for (int i = 0; i < 8; ++i) n[i] = static_cast<uint8_t>(nonce >> (8 * i));
  h.update(ByteView(n, 8));
  return h.finalize();
}

}  // namespace

Hash32 pow_digest(const Hash32& challenge, ByteView binding, uint64_t nonce) {
  return finish(prefix(challenge, binding), nonce);
}

unsigned leading_zero_bits(const Hash32& h) {
  unsigned bits = 0;
  for (uint8_t b : h) {
    if (b != 0) return bits + static_cast<unsigned>(std::countl_zero(b));
    bits += 8;
  }
  return bits;
}

bool pow_check(const Hash32& challenge, ByteView binding, uint64_t nonce, unsigned difficulty) {
  if (difficulty == 0) return true;
  return leading_zero_bits(pow_digest(challenge, binding, nonce)) >= difficulty;
}

std::optional<uint64_t> pow_solve(const Hash32& challenge, ByteView binding, unsigned difficulty,
                                  uint64_t max_tries) {
  if (difficulty == 0) return 0;
  auto p = prefix(challenge, binding);  // the common prefix is hashed once
  for (uint64_t nonce = 0; nonce < max_tries; ++nonce)
    if (leading_zero_bits(finish(p, nonce)) >= difficulty) return nonce;
  return std::nullopt;
}

}  // namespace rampart::gossip
