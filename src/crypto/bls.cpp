#include "crypto/bls.hpp"

#include <sodium.h>

#include <cstring>

namespace rampart::crypto::bls {
namespace {

const uint8_t* dst_ptr(std::string_view d) { return reinterpret_cast<const uint8_t*>(d.data()); }

// blst_pairing is an opaque, variable-size context; limb-aligned storage for one.
struct Pairing {
  std::vector<uint64_t> mem;
  Pairing(bool hash, std::string_view dst) : mem((blst_pairing_sizeof() + 7) / 8) {
    blst_pairing_init(ctx(), hash, dst_ptr(dst), dst.size());
  }
  blst_pairing* ctx() { return reinterpret_cast<blst_pairing*>(mem.data()); }
};

void ensure_sodium() {
  static const int once = sodium_init();
  (void)once;
}

std::string_view blst_error_text(BLST_ERROR e) {
  switch (e) {
    case BLST_SUCCESS: return "success";
    case BLST_BAD_ENCODING: return "bad point encoding";
    case BLST_POINT_NOT_ON_CURVE: return "point not on the curve";
    case BLST_POINT_NOT_IN_GROUP: return "point not in the prime-order subgroup";
    case BLST_AGGR_TYPE_MISMATCH: return "aggregate type mismatch";
    case BLST_VERIFY_FAIL: return "verification failed";
    case BLST_PK_IS_INFINITY: return "public key is the identity";
    case BLST_BAD_SCALAR: return "bad scalar";
  }
  return "unknown blst error";
}

}  // namespace

Result<blst_p1_affine> decode_g1_on_curve(ByteView b) {
  if (b.size() != 48) return err("bls: G1 point must be 48 bytes, got " + std::to_string(b.size()));
  blst_p1_affine p;
  BLST_ERROR e = blst_p1_uncompress(&p, b.data());
  if (e != BLST_SUCCESS) return err("bls: G1 point: " + std::string(blst_error_text(e)));
  if (blst_p1_affine_is_inf(&p)) return err("bls: G1 point is the identity");
  return p;
}

Result<blst_p1_affine> decode_g1(ByteView b) {
  auto p = decode_g1_on_curve(b);
  if (!p) return p;
  // blst_p1_uncompress checks only the curve equation; the subgroup check is ours.
  if (!blst_p1_affine_in_g1(&*p)) return err("bls: G1 point not in the prime-order subgroup");
  return p;
}

Result<blst_p2_affine> decode_g2(ByteView b) {
  if (b.size() != 96) return err("bls: G2 point must be 96 bytes, got " + std::to_string(b.size()));
  blst_p2_affine p;
  BLST_ERROR e = blst_p2_uncompress(&p, b.data());
  if (e != BLST_SUCCESS) return err("bls: G2 point: " + std::string(blst_error_text(e)));
  if (blst_p2_affine_is_inf(&p)) return err("bls: G2 point is the identity");
  if (!blst_p2_affine_in_g2(&p)) return err("bls: G2 point not in the prime-order subgroup");
  return p;
}

std::array<uint8_t, 48> encode_g1(const blst_p1_affine& p) {
  std::array<uint8_t, 48> out;
  blst_p1_affine_compress(out.data(), &p);
  return out;
}

std::array<uint8_t, 96> encode_g2(const blst_p2_affine& p) {
  std::array<uint8_t, 96> out;
  blst_p2_affine_compress(out.data(), &p);
  return out;
}

// ---- keys ----

SecretKey::~SecretKey() { sodium_memzero(&sk_, sizeof sk_); }

Result<SecretKey> SecretKey::from_seed(ByteView ikm) {
  if (ikm.size() < 32) return err("bls: key seed must be at least 32 bytes");
  SecretKey k;
  blst_keygen(&k.sk_, ikm.data(), ikm.size(), nullptr, 0);
  return k;
}

SecretKey SecretKey::random() {
  ensure_sodium();
  uint8_t ikm[32];
  randombytes_buf(ikm, sizeof ikm);
  SecretKey k;
  blst_keygen(&k.sk_, ikm, sizeof ikm, nullptr, 0);
  sodium_memzero(ikm, sizeof ikm);
  return k;
}

Result<SecretKey> SecretKey::from_bytes(ByteView b) {
  if (b.size() != kSecretKeySize) return err("bls: secret key must be 32 bytes");
  SecretKey k;
  blst_scalar_from_bendian(&k.sk_, b.data());
  if (!blst_sk_check(&k.sk_)) return err("bls: secret key is zero or not below the group order");
  return k;
}

SecretKey SecretKey::from_scalar(const blst_scalar& s) {
  SecretKey k;
  k.sk_ = s;
  return k;
}

std::array<uint8_t, 32> SecretKey::to_bytes() const {
  std::array<uint8_t, 32> out;
  blst_bendian_from_scalar(out.data(), &sk_);
  return out;
}

Result<PublicKey> PublicKey::from_bytes(ByteView b) {
  auto p = decode_g1(b);
  if (!p) return p.error();
  return PublicKey{*p};
}

Result<Signature> Signature::from_bytes(ByteView b) {
  auto p = decode_g2(b);
  if (!p) return p.error();
  return Signature{*p};
}

std::array<uint8_t, 192> Signature::to_raw() const {
  std::array<uint8_t, 192> out;
  blst_p2_affine_serialize(out.data(), &point);
  return out;
}

Result<UncheckedSignature> UncheckedSignature::from_raw(ByteView b) {
  if (b.size() != 192) return err("bls: an uncompressed signature is 192 bytes");
  UncheckedSignature s;
  if (blst_p2_deserialize(&s.point, b.data()) != BLST_SUCCESS) return err("bls: signature is not a point on the curve");
  if (blst_p2_affine_is_inf(&s.point)) return err("bls: signature is the identity");
  return s;
}

bool PublicKey::operator==(const PublicKey& o) const {
  return blst_p1_affine_is_equal(&point, &o.point);
}
bool Signature::operator==(const Signature& o) const {
  return blst_p2_affine_is_equal(&point, &o.point);
}

PublicKey public_key(const SecretKey& sk) {
  blst_p1 p;
  blst_sk_to_pk_in_g1(&p, &sk.scalar());
  PublicKey pk;
  blst_p1_to_affine(&pk.point, &p);
  return pk;
}

namespace {
Signature sign_with(const SecretKey& sk, ByteView msg, std::string_view dst) {
  blst_p2 h, s;
  blst_hash_to_g2(&h, msg.data(), msg.size(), dst_ptr(dst), dst.size(), nullptr, 0);
  blst_sign_pk_in_g1(&s, &h, &sk.scalar());
  Signature sig;
  blst_p2_to_affine(&sig.point, &s);
  return sig;
}

bool verify_with(const PublicKey& pk, ByteView msg, const Signature& sig, std::string_view dst) {
  return blst_core_verify_pk_in_g1(&pk.point, &sig.point, true, msg.data(), msg.size(),
                                   dst_ptr(dst), dst.size(), nullptr, 0) == BLST_SUCCESS;
}
}  // namespace

Signature sign(const SecretKey& sk, ByteView msg) { return sign_with(sk, msg, kSigDst); }

bool verify(const PublicKey& pk, ByteView msg, const Signature& sig) {
  return verify_with(pk, msg, sig, kSigDst);
}

Signature prove_possession(const SecretKey& sk) {
  auto pk = public_key(sk).to_bytes();
  return sign_with(sk, pk, kPopDst);
}

bool verify_possession(const PublicKey& pk, const Signature& proof) {
  auto bytes = pk.to_bytes();
  return verify_with(pk, bytes, proof, kPopDst);
}

// ---- aggregation ----

static_assert(sizeof(PublicKey) == sizeof(blst_p1_affine));
static_assert(sizeof(Signature) == sizeof(blst_p2_affine));

Result<PublicKey> aggregate_public_keys(std::span<const PublicKey> pks) {
  if (pks.empty()) return err("bls: no public keys to aggregate");
  // blst convention: a null second pointer means points[0] starts a contiguous array.
  const blst_p1_affine* ptrs[2] = {&pks[0].point, nullptr};
  blst_p1 sum;
  blst_p1s_add(&sum, ptrs, pks.size());
  if (blst_p1_is_inf(&sum)) return err("bls: aggregate public key is the identity");
  PublicKey out;
  blst_p1_to_affine(&out.point, &sum);
  return out;
}

Result<PublicKey> aggregate_public_keys_one_by_one(std::span<const PublicKey> pks) {
  if (pks.empty()) return err("bls: no public keys to aggregate");
  blst_p1 sum;
  blst_p1_from_affine(&sum, &pks[0].point);
  for (size_t i = 1; i < pks.size(); ++i) blst_p1_add_or_double_affine(&sum, &sum, &pks[i].point);
  if (blst_p1_is_inf(&sum)) return err("bls: aggregate public key is the identity");
  PublicKey out;
  blst_p1_to_affine(&out.point, &sum);
  return out;
}

Result<Signature> aggregate_signatures(std::span<const Signature> sigs) {
  if (sigs.empty()) return err("bls: no signatures to aggregate");
  const blst_p2_affine* ptrs[2] = {&sigs[0].point, nullptr};
  blst_p2 sum;
  blst_p2s_add(&sum, ptrs, sigs.size());
  if (blst_p2_is_inf(&sum)) return err("bls: aggregate signature is the identity");
  Signature out;
  blst_p2_to_affine(&out.point, &sum);
  return out;
}

Result<PublicKey> aggregate_public_key_refs(std::span<const PublicKey* const> pks) {
  if (pks.empty()) return err("bls: no public keys to aggregate");
  // blst reads points[1] == nullptr as "points[0] is a contiguous array": a trailing null keeps
  // a one-element list unambiguous, and longer lists are read as pointer arrays.
  std::vector<const blst_p1_affine*> ptrs(pks.size() + 1, nullptr);
  for (size_t i = 0; i < pks.size(); ++i) ptrs[i] = &pks[i]->point;
  blst_p1 sum;
  blst_p1s_add(&sum, ptrs.data(), pks.size());
  if (blst_p1_is_inf(&sum)) return err("bls: aggregate public key is the identity");
  PublicKey out;
  blst_p1_to_affine(&out.point, &sum);
  return out;
}

namespace {
// Sum of G2 points given by pointer (one blst_p2s_add; the trailing null keeps a one-element list
// unambiguous), refused at the identity; with `subgroup`, also refused outside G2.
Result<Signature> sum_g2(std::vector<const blst_p2_affine*> ptrs, bool subgroup) {
  if (ptrs.empty()) return err("bls: no signatures to aggregate");
  const size_t n = ptrs.size();
  ptrs.push_back(nullptr);
  blst_p2 sum;
  blst_p2s_add(&sum, ptrs.data(), n);
  if (blst_p2_is_inf(&sum)) return err("bls: aggregate signature is the identity");
  if (subgroup && !blst_p2_in_g2(&sum)) return err("bls: aggregate signature is not in the subgroup");
  Signature out;
  blst_p2_to_affine(&out.point, &sum);
  return out;
}
}  // namespace

Result<Signature> aggregate_signature_refs(std::span<const Signature* const> sigs) {
  std::vector<const blst_p2_affine*> ptrs;
  ptrs.reserve(sigs.size() + 1);
  for (const Signature* s : sigs) ptrs.push_back(&s->point);
  return sum_g2(std::move(ptrs), false);  // Signatures are in G2 already, so is their sum
}

Result<Signature> aggregate_checked(std::span<const UncheckedSignature* const> sigs) {
  std::vector<const blst_p2_affine*> ptrs;
  ptrs.reserve(sigs.size() + 1);
  for (const UncheckedSignature* s : sigs) ptrs.push_back(&s->point);
  return sum_g2(std::move(ptrs), true);
}

Result<SecretKey> sum_secret_keys(std::span<const SecretKey> sks) {
  if (sks.empty()) return err("bls: no secret keys to add");
  blst_scalar sum = sks[0].scalar();
  for (size_t i = 1; i < sks.size(); ++i) {
    // Fails only when the sum leaves the valid range (zero); the sum is reduced mod r.
    if (!blst_sk_add_n_check(&sum, &sum, &sks[i].scalar())) {
      sodium_memzero(&sum, sizeof sum);
      return err("bls: sum of secret keys is zero");
    }
  }
  SecretKey out = SecretKey::from_scalar(sum);
  sodium_memzero(&sum, sizeof sum);
  return out;
}

HashedMessage hash_message(ByteView msg) {
  blst_p2 h;
  blst_hash_to_g2(&h, msg.data(), msg.size(), dst_ptr(kSigDst), kSigDst.size(), nullptr, 0);
  HashedMessage out;
  blst_p2_to_affine(&out.point, &h);
  return out;
}

bool verify_hashed(const PublicKey& pk, const HashedMessage& h, const Signature& sig) {
  // Points are subgroup-checked and not the identity (type invariant, see the header).
  blst_fp12 lhs, rhs;
  blst_miller_loop(&lhs, &h.point, &pk.point);
  blst_miller_loop(&rhs, &sig.point, blst_p1_affine_generator());
  return blst_fp12_finalverify(&lhs, &rhs);
}

bool fast_aggregate_verify(std::span<const PublicKey> pks, ByteView msg, const Signature& sig) {
  auto agg = aggregate_public_keys(pks);
  return agg.ok() && verify(*agg, msg, sig);
}

bool aggregate_verify(std::span<const PublicKey> pks, std::span<const ByteView> msgs,
                      const Signature& sig) {
  if (pks.empty() || pks.size() != msgs.size()) return false;
  Pairing p(true, kSigDst);
  for (size_t i = 0; i < pks.size(); ++i) {
    // The signature joins the first term; points were subgroup-checked on decode.
    if (blst_pairing_aggregate_pk_in_g1(p.ctx(), &pks[i].point, i == 0 ? &sig.point : nullptr,
                                        msgs[i].data(), msgs[i].size(), nullptr, 0) !=
        BLST_SUCCESS)
      return false;
  }
  blst_pairing_commit(p.ctx());
  return blst_pairing_finalverify(p.ctx(), nullptr);
}

bool batch_verify(std::span<const BatchItem> items) {
  if (items.empty()) return false;
  ensure_sodium();
  Pairing p(true, kSigDst);
  for (const auto& it : items) {
    uint64_t r = 0;
    while (r == 0) randombytes_buf(&r, sizeof r);
    uint8_t scalar[8];
    std::memcpy(scalar, &r, 8);  // little-endian on x86-64, as blst expects
    if (blst_pairing_mul_n_aggregate_pk_in_g1(p.ctx(), &it.pk->point, &it.sig->point, scalar, 64,
                                              it.msg.data(), it.msg.size(), nullptr, 0) !=
        BLST_SUCCESS)
      return false;
  }
  blst_pairing_commit(p.ctx());
  return blst_pairing_finalverify(p.ctx(), nullptr);
}

}  // namespace rampart::crypto::bls
