#pragma once
// BLS12-381 signatures through blst's C API.
//
// This file is the "min_pk" ciphersuite with proofs of possession (IETF draft-irtf-cfrg-bls-
// signature-05, §4.2.3): public keys in G1 (48 B compressed), signatures in G2 (96 B). It is the
// scheme of the distillation path, where a server aggregates up to 65,536 client public keys per
// batch, so the keys live in the cheaper group (see docs/crypto.md). The threshold scheme
// (threshold.hpp) uses the opposite assignment, min_sig.
//
// Invariant: a PublicKey or Signature object always holds a point that is on the curve, in the
// prime-order subgroup and not the identity; decoding from bytes enforces it, so the bulk paths
// below need no further checks.
#include <array>
#include <span>
#include <string_view>
#include <vector>

#include <blst.h>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::crypto::bls {

inline constexpr std::string_view kSigDst = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
inline constexpr std::string_view kPopDst = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
inline constexpr size_t kSecretKeySize = 32;
inline constexpr size_t kPublicKeySize = 48;
inline constexpr size_t kSignatureSize = 96;

// ---- Low-level point codecs shared with threshold.cpp (compressed ZCash encoding). ----
// Errors: wrong length, bad encoding, not on the curve, not in the subgroup, identity.
Result<blst_p1_affine> decode_g1(ByteView b);
// decode_g1 without the subgroup check (still: length, encoding, on the curve, not identity).
// Only for callers that subgroup-check what they derive from the point before any pairing
// (threshold combine checks the interpolated point once instead of every share).
Result<blst_p1_affine> decode_g1_on_curve(ByteView b);
Result<blst_p2_affine> decode_g2(ByteView b);
std::array<uint8_t, 48> encode_g1(const blst_p1_affine& p);
std::array<uint8_t, 96> encode_g2(const blst_p2_affine& p);

class SecretKey {
 public:
  SecretKey() = default;
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();
  // blst_keygen (IETF KeyGen) from at least 32 bytes of input keying material.
  static Result<SecretKey> from_seed(ByteView ikm);
  static SecretKey random();
  // 32 bytes big-endian; rejects zero and values >= the group order.
  static Result<SecretKey> from_bytes(ByteView b);
  static SecretKey from_scalar(const blst_scalar& s);
  std::array<uint8_t, 32> to_bytes() const;
  const blst_scalar& scalar() const { return sk_; }

 private:
  blst_scalar sk_{};
};

struct PublicKey {
  blst_p1_affine point;
  static Result<PublicKey> from_bytes(ByteView b);
  std::array<uint8_t, kPublicKeySize> to_bytes() const { return encode_g1(point); }
  bool operator==(const PublicKey& o) const;
};

struct Signature {
  blst_p2_affine point;
  static Result<Signature> from_bytes(ByteView b);
  std::array<uint8_t, kSignatureSize> to_bytes() const { return encode_g2(point); }
  std::array<uint8_t, 192> to_raw() const;  // uncompressed: no square root to decode
  bool operator==(const Signature& o) const;
};

// A G2 point from the wire, uncompressed, on the curve and not the identity, but NOT checked to
// be in the subgroup: what a broker keeps of a client's reduction share (broker/reduce.hpp).
// Decoding costs no square root and no subgroup check (~2 µs instead of ~80); the only way to a
// Signature is aggregate_checked, which subgroup-checks the sum. Why checking only the sum is
// enough: a sum accepted is in G2 and passes the pairing check, so it is exactly the aggregate
// of its signers' genuine signatures (BLS signatures are unique), whatever components outside
// the subgroup the individual shares carried; a share that fails alone is refused alone.
struct UncheckedSignature {
  blst_p2_affine point;
  static Result<UncheckedSignature> from_raw(ByteView b);  // 192 bytes
};
// Sum of the shares, subgroup-checked; an error if it is outside G2 or the identity.
Result<Signature> aggregate_checked(std::span<const UncheckedSignature* const> sigs);

PublicKey public_key(const SecretKey& sk);
Signature sign(const SecretKey& sk, ByteView msg);
bool verify(const PublicKey& pk, ByteView msg, const Signature& sig);

// Proof of possession: a signature over the compressed public key under kPopDst. A key is only
// admitted to aggregation (client sign-up) with a valid proof: this stops rogue-key attacks.
Signature prove_possession(const SecretKey& sk);
bool verify_possession(const PublicKey& pk, const Signature& proof);

// Sum of public keys / signatures. The bulk path is blst_p1s_add / blst_p2s_add (affine
// additions sharing one field inversion per block); the one-by-one variant exists for the
// benchmark's comparison. Errors on an empty input or an identity result.
Result<PublicKey> aggregate_public_keys(std::span<const PublicKey> pks);
Result<PublicKey> aggregate_public_keys_one_by_one(std::span<const PublicKey> pks);
Result<Signature> aggregate_signatures(std::span<const Signature> sigs);

// The same over a subset given by pointers (the non-stragglers of a distilled batch, a half of
// a set being split); still one blst_p1s_add / blst_p2s_add call.
Result<PublicKey> aggregate_public_key_refs(std::span<const PublicKey* const> pks);
Result<Signature> aggregate_signature_refs(std::span<const Signature* const> sigs);

// Sum of secret keys (blst_sk_add_n_check). Signing with the sum yields exactly the aggregate
// of the individual signatures: how a load generator holding every simulated client's key
// produces a distilled batch's aggregate in one signature (DESIGN §3.1). Errors on an empty
// input or a zero sum.
Result<SecretKey> sum_secret_keys(std::span<const SecretKey> sks);

// A message hashed to G2 once, for checking many signatures over it: splitting an aggregate to
// isolate invalid reductions verifies O(k log n) sub-aggregates over one batch root, and
// hash-to-curve would otherwise be paid at each.
struct HashedMessage {
  blst_p2_affine point;
};
HashedMessage hash_message(ByteView msg);
// verify(pk, msg, sig) for msg hashed by hash_message: e(pk, H(msg)) == e(g1, sig), two Miller
// loops and one final exponentiation (blst_fp12_finalverify).
bool verify_hashed(const PublicKey& pk, const HashedMessage& h, const Signature& sig);

// All signers signed the same message (safe because every key carries a proof of possession).
bool fast_aggregate_verify(std::span<const PublicKey> pks, ByteView msg, const Signature& sig);
// Signer i signed msgs[i]; the messages may differ (the PoP scheme needs no distinctness).
bool aggregate_verify(std::span<const PublicKey> pks, std::span<const ByteView> msgs,
                      const Signature& sig);

// Independent (pk, msg, sig) triples checked with one multi-pairing: each triple is weighted by
// a fresh random 64-bit scalar so invalid signatures cannot cancel out. True iff all are valid
// (with overwhelming probability).
struct BatchItem {
  const PublicKey* pk;
  ByteView msg;
  const Signature* sig;
};
bool batch_verify(std::span<const BatchItem> items);

}  // namespace rampart::crypto::bls
