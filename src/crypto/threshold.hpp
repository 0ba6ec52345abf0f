#pragma once
// BLS threshold signatures, t-of-n, with a trusted dealer (Shamir over the BLS12-381 scalar
// field). Used for PoE's SUPPORT/CERTIFY shares and the CART client replies.
//
// Ciphersuite: "min_sig" — signatures and shares in G1 (48 B), public keys in G2 (96 B). Shares
// are produced on every batch by every replica and combined by Lagrange interpolation (t scalar
// multiplications of signatures), while the public keys are few and fixed; G1 makes signing,
// combining and the on-wire signature about 2-3x cheaper/smaller (see docs/crypto.md). The group
// signature is a plain BLS signature (basic scheme, DST kDst) under the group public key, so a
// client needs nothing but that key to check a reply.
//
// Node ids are 0..n-1; node i holds the polynomial evaluated at x = i + 1.
#include <memory>
#include <optional>
#include <vector>

#include <blst.h>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::crypto::threshold {

inline constexpr std::string_view kDst = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";
inline constexpr size_t kShareSize = 48;       // a signature share or group signature (G1)
inline constexpr size_t kPublicKeySize = 96;   // group key or public share (G2)
inline constexpr uint32_t kMaxNodes = 1024;

// Everything a verifier needs: t, the group public key and every node's public share.
struct PublicKeySet {
  uint32_t t = 0;
  blst_p2_affine group{};
  std::vector<blst_p2_affine> shares;  // shares[i] belongs to node i
  uint32_t n() const { return static_cast<uint32_t>(shares.size()); }

  // u32 t, u32 n, group (96 B), n public shares (96 B each). Decoding checks every point
  // (subgroup, not identity) and 1 <= t <= n <= kMaxNodes.
  Bytes encode() const;
  static Result<PublicKeySet> decode(ByteView wire);
};

// One node's secret share.
struct SecretShare {
  NodeId id = 0;
  blst_scalar sk{};
  SecretShare() = default;
  SecretShare(const SecretShare&) = default;
  SecretShare& operator=(const SecretShare&) = default;
  ~SecretShare();
  // u32 id, 32-byte big-endian scalar (nonzero, below the group order).
  Bytes encode() const;
  static Result<SecretShare> decode(ByteView wire);
};

struct Dealing {
  PublicKeySet pub;
  std::vector<SecretShare> secrets;  // secrets[i] for node i
};

// Trusted dealer: a random degree t-1 polynomial (from `seed` through BLAKE3 if given — for
// reproducible test clusters — else from the OS RNG). Errors unless 1 <= t <= n <= kMaxNodes.
Result<Dealing> deal(uint32_t n, uint32_t t, ByteView seed = {});

// 48-byte signature share of `msg` under node `share.id`'s secret share.
Bytes sign_share(const SecretShare& share, ByteView msg);
bool verify_share(const PublicKeySet& pub, NodeId id, ByteView msg, ByteView share);
// Lagrange interpolation at 0 of exactly the given shares (distinct ids < n, each decodable);
// no signature check. At least t shares are needed for the result to be the group signature.
Result<Bytes> interpolate(const PublicKeySet& pub, const std::vector<Share>& shares);
bool verify_group(const PublicKeySet& pub, ByteView msg, ByteView sig);

class BlsThresholdSigner final : public ThresholdSigner {
 public:
  explicit BlsThresholdSigner(SecretShare s) : share_(std::move(s)) {}
  Bytes sign_share(ByteView msg) const override { return threshold::sign_share(share_, msg); }

 private:
  SecretShare share_;
};

// Miller-loop lines of one fixed G2 point (blst_precompute_lines): 68 Fp6 values, ~19.6 KB.
struct G2Lines {
  blst_fp6 l[68];
};

// The verifier for one key set. Every pairing it computes has a fixed G2 side (the G2
// generator, the group key, or a node's public share), so their Miller-loop lines are
// precomputed once here ((n + 1) x ~19.6 KB, shared by copies) and each check costs two
// blst_miller_loop_lines and one final exponentiation. Results are identical to the free
// functions above (which use blst_core_verify).
class BlsThresholdVerifier final : public ThresholdVerifier {
 public:
  explicit BlsThresholdVerifier(PublicKeySet pub);
  size_t threshold() const override { return pub_.t; }
  bool verify_share(NodeId signer, ByteView msg, ByteView share) const override;
  // Optimistic: interpolate the first t distinct, decodable shares and verify once; only if
  // that fails check each share, report the bad ones and retry with the valid ones.
  std::optional<Bytes> combine(ByteView msg, const std::vector<Share>& shares,
                               std::vector<NodeId>* bad_out = nullptr) const override;
  bool verify_group(ByteView msg, ByteView group_sig) const override;
  std::optional<Bytes> combine_unchecked(ByteView msg, const std::vector<Share>& shares) const override;
  std::optional<Bytes> group_from_own_share(ByteView share) const override {
    return pub_.t == 1 ? std::optional<Bytes>(Bytes(share.begin(), share.end())) : std::nullopt;
  }
  const PublicKeySet& keys() const { return pub_; }

 private:
  PublicKeySet pub_;
  // lines_[0] for the group key, lines_[1 + i] for node i's public share.
  std::shared_ptr<const std::vector<G2Lines>> lines_;
};

}  // namespace rampart::crypto::threshold
