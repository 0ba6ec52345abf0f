#include "crypto/threshold.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "common/codec.hpp"
#include "crypto/blake3.hpp"
#include "crypto/bls.hpp"

namespace rampart::crypto::threshold {
namespace {

const uint8_t* dst_ptr() { return reinterpret_cast<const uint8_t*>(kDst.data()); }

blst_fr fr_from_u64(uint64_t v) {
  uint64_t limbs[4] = {v, 0, 0, 0};
  blst_fr r;
  blst_fr_from_uint64(&r, limbs);
  return r;
}

// A uniformly distributed nonzero scalar from 64 bytes (reduced mod r, bias ~2^-256).
blst_scalar scalar_from_wide(const uint8_t wide[64]) {
  blst_scalar s;
  if (!blst_scalar_from_le_bytes(&s, wide, 64)) {  // zero: astronomically unlikely
    uint64_t one[4] = {1, 0, 0, 0};
    blst_scalar_from_uint64(&s, one);
  }
  return s;
}

blst_p2_affine pk_of(const blst_scalar& sk) {
  blst_p2 p;
  blst_sk_to_pk_in_g2(&p, &sk);
  blst_p2_affine a;
  blst_p2_to_affine(&a, &p);
  return a;
}

}  // namespace

SecretShare::~SecretShare() { sodium_memzero(&sk, sizeof sk); }

Result<Dealing> deal(uint32_t n, uint32_t t, ByteView seed) {
  if (t < 1 || t > n || n > kMaxNodes) return err("threshold: need 1 <= t <= n <= 1024");
  if (sodium_init() < 0) return err("threshold: libsodium init failed");
  // Coefficients a_0..a_{t-1} of f; the group secret is a_0 = f(0).
  std::vector<blst_fr> coef(t);
  std::vector<uint8_t> wide(64 * size_t(t));
  if (seed.empty()) {
    randombytes_buf(wide.data(), wide.size());
  } else {
    blake3::Hasher::derive_key("rampart 2026-11 threshold dealer v1")
        .update(seed)
        .finalize(std::span<uint8_t>(wide));
  }
  for (uint32_t k = 0; k < t; ++k) {
    blst_scalar s = scalar_from_wide(&wide[64 * size_t(k)]);
    blst_fr_from_scalar(&coef[k], &s);
  }
  sodium_memzero(wide.data(), wide.size());

  Dealing d;
  d.pub.t = t;
  blst_scalar a0;
  blst_scalar_from_fr(&a0, &coef[0]);
  d.pub.group = pk_of(a0);
  sodium_memzero(&a0, sizeof a0);
  for (uint32_t i = 0; i < n; ++i) {
    // Horner: f(x) = (...(a_{t-1} x + a_{t-2}) x + ...) x + a_0 at x = i + 1.
    const blst_fr x = fr_from_u64(i + 1);
    blst_fr acc = coef[t - 1];
    for (uint32_t k = t - 1; k-- > 0;) {
      blst_fr_mul(&acc, &acc, &x);
      blst_fr_add(&acc, &acc, &coef[k]);
    }
    SecretShare s;
    s.id = i;
    blst_scalar_from_fr(&s.sk, &acc);
    d.pub.shares.push_back(pk_of(s.sk));
    d.secrets.push_back(s);
  }
  sodium_memzero(coef.data(), coef.size() * sizeof(blst_fr));
  return d;
}

Bytes sign_share(const SecretShare& share, ByteView msg) {
  blst_p1 h, s;
  blst_hash_to_g1(&h, msg.data(), msg.size(), dst_ptr(), kDst.size(), nullptr, 0);
  blst_sign_pk_in_g2(&s, &h, &share.sk);
  Bytes out(kShareSize);
  blst_p1_compress(out.data(), &s);
  return out;
}

namespace {
bool verify_g1_sig(const blst_p2_affine& pk, ByteView msg, ByteView sig) {
  auto p = bls::decode_g1(sig);
  if (!p) return false;
  return blst_core_verify_pk_in_g2(&pk, &*p, true, msg.data(), msg.size(), dst_ptr(), kDst.size(),
                                   nullptr, 0) == BLST_SUCCESS;
}
}  // namespace

bool verify_share(const PublicKeySet& pub, NodeId id, ByteView msg, ByteView share) {
  if (id >= pub.n()) return false;
  return verify_g1_sig(pub.shares[id], msg, share);
}

bool verify_group(const PublicKeySet& pub, ByteView msg, ByteView sig) {
  return verify_g1_sig(pub.group, msg, sig);
}

Result<Bytes> interpolate(const PublicKeySet& pub, const std::vector<Share>& shares) {
  const size_t k = shares.size();
  if (k == 0) return err("threshold: no shares");
  std::vector<blst_p1_affine> points(k);
  std::vector<blst_fr> xs(k);
  for (size_t i = 0; i < k; ++i) {
    if (shares[i].signer >= pub.n()) return err("threshold: share from an unknown node");
    for (size_t j = 0; j < i; ++j)
      if (shares[j].signer == shares[i].signer) return err("threshold: duplicate share");
    auto p = bls::decode_g1(shares[i].sig);
    if (!p) return err("threshold: share: " + p.error().message);
    points[i] = *p;
    xs[i] = fr_from_u64(uint64_t(shares[i].signer) + 1);
  }
  // lambda_i = prod_{j != i} x_j / (x_j - x_i): the Lagrange basis at 0.
  std::vector<blst_scalar> lambdas(k);
  for (size_t i = 0; i < k; ++i) {
    blst_fr num = fr_from_u64(1), den = fr_from_u64(1), diff;
    for (size_t j = 0; j < k; ++j) {
      if (j == i) continue;
      blst_fr_mul(&num, &num, &xs[j]);
      blst_fr_sub(&diff, &xs[j], &xs[i]);
      blst_fr_mul(&den, &den, &diff);
    }
    blst_fr_inverse(&den, &den);
    blst_fr_mul(&num, &num, &den);
    blst_scalar_from_fr(&lambdas[i], &num);
  }
  blst_p1 sum;
  if (k == 1) {
    blst_p1 p;
    blst_p1_from_affine(&p, &points[0]);
    blst_p1_mult(&sum, &p, lambdas[0].b, 255);
  } else {
    // Multi-scalar multiplication (Pippenger) over the shares.
    std::vector<const blst_p1_affine*> pp(k);
    std::vector<const uint8_t*> sp(k);
    for (size_t i = 0; i < k; ++i) pp[i] = &points[i], sp[i] = lambdas[i].b;
    std::vector<limb_t> scratch(blst_p1s_mult_pippenger_scratch_sizeof(k) / sizeof(limb_t) + 1);
    blst_p1s_mult_pippenger(&sum, pp.data(), k, sp.data(), 255, scratch.data());
  }
  Bytes out(kShareSize);
  blst_p1_compress(out.data(), &sum);
  return out;
}

std::optional<Bytes> BlsThresholdVerifier::combine(ByteView msg, const std::vector<Share>& shares,
                                                   std::vector<NodeId>* bad_out) const {
  const size_t t = pub_.t;
  // Distinct, decodable shares from known nodes, in the order given.
  std::vector<Share> usable;
  std::vector<NodeId> bad;
  for (const auto& s : shares) {
    bool dup = std::any_of(usable.begin(), usable.end(),
                           [&](const Share& u) { return u.signer == s.signer; });
    if (dup) continue;
    if (s.signer >= pub_.n() || !bls::decode_g1(s.sig).ok()) {
      bad.push_back(s.signer);
      continue;
    }
    usable.push_back(s);
  }
  auto report = [&] {
    if (bad_out) bad_out->insert(bad_out->end(), bad.begin(), bad.end());
  };
  if (usable.size() < t) {
    report();
    return std::nullopt;
  }
  // Fast path: one interpolation and one pairing check.
  std::vector<Share> first(usable.begin(), usable.begin() + static_cast<ptrdiff_t>(t));
  auto sig = interpolate(pub_, first);
  if (sig && verify_group(msg, *sig)) {
    report();
    return *sig;
  }
  // Slow path: find the bad shares, retry with the valid ones.
  std::vector<Share> valid;
  for (const auto& s : usable) {
    if (threshold::verify_share(pub_, s.signer, msg, s.sig)) {
      valid.push_back(s);
    } else {
      bad.push_back(s.signer);
    }
  }
  report();
  if (valid.size() < t) return std::nullopt;
  valid.resize(t);
  auto again = interpolate(pub_, valid);
  if (!again || !verify_group(msg, *again)) return std::nullopt;
  return *again;
}

// ---- serialization ----

Bytes PublicKeySet::encode() const {
  Writer w;
  w.u32(t);
  w.u32(n());
  w.fixed(bls::encode_g2(group));
  for (const auto& s : shares) w.fixed(bls::encode_g2(s));
  return w.take();
}

Result<PublicKeySet> PublicKeySet::decode(ByteView wire) {
  Reader r(wire);
  PublicKeySet p;
  p.t = r.u32();
  uint32_t n = r.u32();
  if (!r.failed() && (p.t < 1 || p.t > n || n > kMaxNodes))
    r.fail("threshold: need 1 <= t <= n <= 1024");
  if (!r.failed() && (size_t(n) + 1) * kPublicKeySize != r.remaining())
    r.fail("threshold: public key set has the wrong length");
  RAMPART_TRY(r.status());
  auto g = bls::decode_g2(r.raw(kPublicKeySize));
  if (!g) return err("threshold: group key: " + g.error().message);
  p.group = *g;
  p.shares.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    auto s = bls::decode_g2(r.raw(kPublicKeySize));
    if (!s) return err("threshold: public share " + std::to_string(i) + ": " + s.error().message);
    p.shares.push_back(*s);
  }
  RAMPART_TRY(r.finish());
  return p;
}

Bytes SecretShare::encode() const {
  Writer w;
  w.u32(id);
  std::array<uint8_t, 32> be;
  blst_bendian_from_scalar(be.data(), &sk);
  w.fixed(be);
  sodium_memzero(be.data(), be.size());
  return w.take();
}

Result<SecretShare> SecretShare::decode(ByteView wire) {
  Reader r(wire);
  SecretShare s;
  s.id = r.u32();
  auto be = r.fixed<32>();
  RAMPART_TRY(r.finish());
  if (s.id >= kMaxNodes) return err("threshold: secret share id out of range");
  blst_scalar_from_bendian(&s.sk, be.data());
  sodium_memzero(be.data(), be.size());
  if (!blst_sk_check(&s.sk)) return err("threshold: secret share is zero or not below the order");
  return s;
}

}  // namespace rampart::crypto::threshold
