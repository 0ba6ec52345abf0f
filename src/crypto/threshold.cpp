#include "crypto/threshold.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <mutex>

#include "common/codec.hpp"
#include "crypto/blake3.hpp"
#include "crypto/bls.hpp"

namespace rampart::crypto::threshold {
namespace {

const uint8_t* dst_ptr() { return reinterpret_cast<const uint8_t*>(kDst.data()); }

// H(msg), the hash to G1 under kDst, for the last few messages. A replica hashes each statement
// twice: when it signs its share and when it combines or verifies the group signature over it
// (SUPPORT, then the CERTIFY; its CART share, then the proof). ~67 us each here, on the
// critical path of every slot. Keyed by the whole message, so a hit is exactly the hash.
class HashCache {
 public:
  blst_p1_affine get(ByteView msg) {
    {
      std::lock_guard l(mu_);
      for (const auto& e : slots_)
        if (e.msg.size() == msg.size() && !e.msg.empty() && std::equal(msg.begin(), msg.end(), e.msg.begin())) return e.h;
    }
    blst_p1 h;
    blst_hash_to_g1(&h, msg.data(), msg.size(), dst_ptr(), kDst.size(), nullptr, 0);
    blst_p1_affine a;
    blst_p1_to_affine(&a, &h);
    std::lock_guard l(mu_);
    auto& e = slots_[next_++ % slots_.size()];
    e.msg.assign(msg.begin(), msg.end());
    e.h = a;
    return a;
  }

 private:
  struct Entry {
    Bytes msg;
    blst_p1_affine h{};
  };
  std::mutex mu_;
  std::array<Entry, 16> slots_;  // statements of the slots in flight; more only evicts sooner
  size_t next_ = 0;
};

blst_p1_affine hash_msg(ByteView msg) {
  static HashCache cache;
  return cache.get(msg);
}

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
  const blst_p1_affine ha = hash_msg(msg);
  blst_p1 h, s;
  blst_p1_from_affine(&h, &ha);
  blst_sign_pk_in_g2(&s, &h, &share.sk);
  Bytes out(kShareSize);
  blst_p1_compress(out.data(), &s);
  return out;
}

namespace {
// The free functions. blst_core_verify_pk_in_g2 always subgroup-checks the signature itself
// (its bool argument is hash_or_encode, which must stay true: hash_to_g1, not encode_to_g1), so
// the point is only uncompressed here and the subgroup check happens once, inside blst.
bool verify_g1_sig(const blst_p2_affine& pk, ByteView msg, ByteView sig) {
  auto p = bls::decode_g1_on_curve(sig);
  if (!p) return false;
  return blst_core_verify_pk_in_g2(&pk, &*p, /*hash_or_encode=*/true, msg.data(), msg.size(),
                                   dst_ptr(), kDst.size(), nullptr, 0) == BLST_SUCCESS;
}
}  // namespace

bool verify_share(const PublicKeySet& pub, NodeId id, ByteView msg, ByteView share) {
  if (id >= pub.n()) return false;
  return verify_g1_sig(pub.shares[id], msg, share);
}

bool verify_group(const PublicKeySet& pub, ByteView msg, ByteView sig) {
  return verify_g1_sig(pub.group, msg, sig);
}

namespace {

size_t bit_length(const blst_scalar& s) {
  for (size_t i = sizeof s.b; i-- > 0;)
    if (s.b[i]) return 8 * i + size_t(std::bit_width(unsigned(s.b[i])));
  return 0;
}

// Lagrange interpolation at 0 of points[i] held by node ids[i] (distinct ids, checked by the
// callers): sum of lambda_i * points[i], in Jacobian coordinates, with the Lagrange basis
// lambda_i = prod_{j != i} x_j / (x_j - x_i) and x = id + 1.
//
// The lambda_i are full-size field elements, but D * lambda_i, with D = prod_{i<j} (x_j - x_i),
// is plus or minus a small integer when t and the ids are small (n = 4: ~20 bits). Then
// sum = D^-1 * (sum of (D lambda_i) * points[i]): t short scalar multiplications and one
// full-length one, about 3x cheaper than Pippenger over t full-length scalars at t = 3. For
// larger t the integers grow (n = 16, t = 11: ~180 bits) and Pippenger is used. Both give the
// same point for inputs in G1, so the signature bytes do not depend on the path.
blst_p1 interpolate_points(const std::vector<NodeId>& ids,
                           const std::vector<blst_p1_affine>& points) {
  const size_t k = points.size();
  blst_p1 sum;
  if (k == 1) {  // lambda_0 = 1 (empty products)
    blst_p1_from_affine(&sum, &points[0]);
    return sum;
  }
  std::vector<blst_fr> xs(k);
  for (size_t i = 0; i < k; ++i) xs[i] = fr_from_u64(uint64_t(ids[i]) + 1);
  blst_fr d = fr_from_u64(1), d_inv, diff;
  for (size_t i = 0; i < k; ++i)
    for (size_t j = i + 1; j < k; ++j) {
      blst_fr_sub(&diff, &xs[j], &xs[i]);
      blst_fr_mul(&d, &d, &diff);
    }
  blst_fr_inverse(&d_inv, &d);
  std::vector<blst_fr> lambdas(k);
  for (size_t i = 0; i < k; ++i) {
    blst_fr num = fr_from_u64(1), den = fr_from_u64(1);
    for (size_t j = 0; j < k; ++j) {
      if (j == i) continue;
      blst_fr_mul(&num, &num, &xs[j]);
      blst_fr_sub(&diff, &xs[j], &xs[i]);
      blst_fr_mul(&den, &den, &diff);
    }
    blst_fr_inverse(&den, &den);
    blst_fr_mul(&lambdas[i], &num, &den);
  }
  // Short path: |D lambda_i| < 2^kShortBits for every i.
  constexpr size_t kShortBits = 64;
  std::vector<blst_scalar> mags(k);
  std::vector<bool> negative(k);
  size_t nbits = 1;
  bool short_ok = true;
  for (size_t i = 0; i < k && short_ok; ++i) {
    blst_fr c;
    blst_fr_mul(&c, &lambdas[i], &d);
    blst_scalar_from_fr(&mags[i], &c);
    if (bit_length(mags[i]) > kShortBits) {  // maybe r - |c|: try the negation
      blst_fr_cneg(&c, &c, true);
      blst_scalar_from_fr(&mags[i], &c);
      negative[i] = true;
    }
    nbits = std::max(nbits, bit_length(mags[i]));
    short_ok = nbits <= kShortBits;
  }
  if (short_ok) {
    for (size_t i = 0; i < k; ++i) {
      blst_p1 p, term;
      blst_p1_from_affine(&p, &points[i]);
      blst_p1_mult(&term, &p, mags[i].b, nbits);
      blst_p1_cneg(&term, negative[i]);
      if (i == 0) {
        sum = term;
      } else {
        blst_p1_add_or_double(&sum, &sum, &term);
      }
    }
    blst_scalar s;
    blst_scalar_from_fr(&s, &d_inv);
    blst_p1_mult(&sum, &sum, s.b, 255);
    return sum;
  }
  // Multi-scalar multiplication (Pippenger) over the shares.
  std::vector<blst_scalar> scalars(k);
  std::vector<const blst_p1_affine*> pp(k);
  std::vector<const uint8_t*> sp(k);
  for (size_t i = 0; i < k; ++i) {
    blst_scalar_from_fr(&scalars[i], &lambdas[i]);
    pp[i] = &points[i], sp[i] = scalars[i].b;
  }
  std::vector<limb_t> scratch(blst_p1s_mult_pippenger_scratch_sizeof(k) / sizeof(limb_t) + 1);
  blst_p1s_mult_pippenger(&sum, pp.data(), k, sp.data(), 255, scratch.data());
  return sum;
}

const G2Lines& generator_lines() {
  static const G2Lines g = [] {
    G2Lines x;
    blst_precompute_lines(x.l, blst_p2_affine_generator());
    return x;
  }();
  return g;
}

// e(sig, g2) == e(H(msg), pk), with pk given by its precomputed lines. `sig` must already be
// on the curve, in G1 and not the identity (the pairing is only meaningful in the subgroup).
// Same equation, hash and DST as blst_core_verify_pk_in_g2, so it accepts exactly the same
// signatures.
bool pairing_check(const G2Lines& pk, ByteView msg, const blst_p1_affine& sig) {
  const blst_p1_affine ha = hash_msg(msg);
  blst_fp12 lhs, rhs;
  blst_miller_loop_lines(&lhs, generator_lines().l, &sig);
  blst_miller_loop_lines(&rhs, pk.l, &ha);
  return blst_fp12_finalverify(&lhs, &rhs);  // final_exp(lhs) == final_exp(rhs)
}

// decode (once, with the subgroup check) + pairing against precomputed lines.
bool verify_with_lines(const G2Lines& pk, ByteView msg, ByteView sig) {
  auto p = bls::decode_g1(sig);
  return p.ok() && pairing_check(pk, msg, *p);
}

}  // namespace

Result<Bytes> interpolate(const PublicKeySet& pub, const std::vector<Share>& shares) {
  const size_t k = shares.size();
  if (k == 0) return err("threshold: no shares");
  std::vector<blst_p1_affine> points(k);
  std::vector<NodeId> ids(k);
  for (size_t i = 0; i < k; ++i) {
    if (shares[i].signer >= pub.n()) return err("threshold: share from an unknown node");
    for (size_t j = 0; j < i; ++j)
      if (shares[j].signer == shares[i].signer) return err("threshold: duplicate share");
    auto p = bls::decode_g1(shares[i].sig);
    if (!p) return err("threshold: share: " + p.error().message);
    points[i] = *p;
    ids[i] = shares[i].signer;
  }
  blst_p1 sum = interpolate_points(ids, points);
  Bytes out(kShareSize);
  blst_p1_compress(out.data(), &sum);
  return out;
}

BlsThresholdVerifier::BlsThresholdVerifier(PublicKeySet pub) : pub_(std::move(pub)) {
  auto lines = std::make_shared<std::vector<G2Lines>>(size_t(pub_.n()) + 1);
  blst_precompute_lines((*lines)[0].l, &pub_.group);
  for (uint32_t i = 0; i < pub_.n(); ++i) blst_precompute_lines((*lines)[1 + i].l, &pub_.shares[i]);
  lines_ = std::move(lines);
}

bool BlsThresholdVerifier::verify_share(NodeId signer, ByteView msg, ByteView share) const {
  if (signer >= pub_.n()) return false;
  return verify_with_lines((*lines_)[1 + signer], msg, share);
}

bool BlsThresholdVerifier::verify_group(ByteView msg, ByteView group_sig) const {
  return verify_with_lines((*lines_)[0], msg, group_sig);
}

namespace {
// Distinct shares from known nodes that decode to a point on the curve, in the order given, at
// most `limit` of them. Each is decompressed exactly once; the subgroup check is deferred (see
// combine). A share that does not decode, or names no node of the set, goes to `bad`.
struct SharePoints {
  std::vector<NodeId> ids;
  std::vector<blst_p1_affine> points;
};
SharePoints decode_shares(const std::vector<Share>& shares, uint32_t n, size_t limit, std::vector<NodeId>& bad) {
  SharePoints out;
  for (const auto& s : shares) {
    if (out.ids.size() == limit) break;
    if (std::find(out.ids.begin(), out.ids.end(), s.signer) != out.ids.end()) continue;
    auto p = s.signer < n ? bls::decode_g1_on_curve(s.sig) : Result<blst_p1_affine>(err(""));
    if (!p) {
      bad.push_back(s.signer);
      continue;
    }
    out.ids.push_back(s.signer);
    out.points.push_back(*p);
  }
  return out;
}
}  // namespace

std::optional<Bytes> BlsThresholdVerifier::combine_unchecked(ByteView, const std::vector<Share>& shares) const {
  std::vector<NodeId> bad;
  const auto [ids, points] = decode_shares(shares, pub_.n(), pub_.t, bad);
  if (ids.size() < pub_.t) return std::nullopt;
  blst_p1 sum = interpolate_points(ids, points);
  if (blst_p1_is_inf(&sum)) return std::nullopt;
  Bytes out(kShareSize);
  blst_p1_compress(out.data(), &sum);
  return out;
}

std::optional<Bytes> BlsThresholdVerifier::combine(ByteView msg, const std::vector<Share>& shares,
                                                   std::vector<NodeId>* bad_out) const {
  const size_t t = pub_.t;
  std::vector<NodeId> bad;
  auto [ids, points] = decode_shares(shares, pub_.n(), shares.size(), bad);
  auto report = [&] {
    if (bad_out) bad_out->insert(bad_out->end(), bad.begin(), bad.end());
  };
  if (ids.size() < t) {
    report();
    return std::nullopt;
  }
  // Interpolates the first t (ids, points) and checks the result against the group key; the
  // subgroup check of the combined point is skipped only when every input is known to be in G1.
  auto try_combine = [&](const std::vector<NodeId>& is, const std::vector<blst_p1_affine>& ps,
                         bool inputs_in_g1) -> std::optional<Bytes> {
    std::vector<NodeId> ti(is.begin(), is.begin() + ptrdiff_t(t));
    std::vector<blst_p1_affine> tp(ps.begin(), ps.begin() + ptrdiff_t(t));
    blst_p1 sum = interpolate_points(ti, tp);
    // Why checking only the COMBINED point is sound: the output is accepted only if it is in
    // G1 and satisfies e(sig, g2) == e(H(m), pk_group). In G1 (prime order r, pairing
    // non-degenerate) exactly one point does: sk_group * H(m), the group signature, byte for
    // byte what t honest shares combine to. That holds however the shares were formed and
    // whatever the interpolation arithmetic did with off-subgroup inputs (blst's scalar
    // multiplication may assume G1, e.g. GLV): we can never output anything but the correct
    // signature, and the pairing only ever sees a G1 point. A share outside G1 can at most make
    // this fast path fail; then the slow path below checks every share fully before naming it.
    if (blst_p1_is_inf(&sum)) return std::nullopt;
    if (!inputs_in_g1 && !blst_p1_in_g1(&sum)) return std::nullopt;
    blst_p1_affine a;
    blst_p1_to_affine(&a, &sum);
    if (!pairing_check((*lines_)[0], msg, a)) return std::nullopt;
    Bytes out(kShareSize);
    blst_p1_affine_compress(out.data(), &a);
    return out;
  };
  // Fast path: one interpolation, one subgroup check, one pairing check.
  if (auto sig = try_combine(ids, points, false)) {
    report();
    return sig;
  }
  // Slow path: check each share fully (subgroup + its own pairing), retry with the valid ones.
  std::vector<NodeId> good_ids;
  std::vector<blst_p1_affine> good_points;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (blst_p1_affine_in_g1(&points[i]) && pairing_check((*lines_)[1 + ids[i]], msg, points[i])) {
      good_ids.push_back(ids[i]);
      good_points.push_back(points[i]);
    } else {
      bad.push_back(ids[i]);
    }
  }
  report();
  if (good_ids.size() < t) return std::nullopt;
  // All inputs are in G1 now, so their combination is too: no second subgroup check.
  return try_combine(good_ids, good_points, true);
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
