#include "crypto/threshold.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "crypto/bls.hpp"

namespace rampart::crypto {
namespace {

using namespace threshold;

Dealing make(uint32_t n, uint32_t t, const char* seed = "test cluster") {
  auto d = deal(n, t, as_bytes(seed));
  EXPECT_TRUE(d.ok());
  return std::move(*d);
}

std::vector<Share> shares_of(const Dealing& d, ByteView msg, std::vector<NodeId> ids) {
  std::vector<Share> out;
  for (NodeId i : ids) out.push_back({i, sign_share(d.secrets[i], msg)});
  return out;
}

TEST(Threshold, DealValidatesParameters) {
  EXPECT_FALSE(deal(4, 0).ok());
  EXPECT_FALSE(deal(4, 5).ok());
  EXPECT_FALSE(deal(kMaxNodes + 1, 3).ok());
  // Deterministic from a seed, random without one.
  EXPECT_EQ(make(4, 3).pub.encode(), make(4, 3).pub.encode());
  EXPECT_NE(make(4, 3, "a").pub.encode(), make(4, 3, "b").pub.encode());
  EXPECT_NE(deal(4, 3)->pub.encode(), deal(4, 3)->pub.encode());
}

TEST(Threshold, ShareSignAndVerify) {
  Dealing d = make(4, 3);
  Bytes msg = to_bytes("(k, results root)");
  for (NodeId i = 0; i < 4; ++i) {
    Bytes s = sign_share(d.secrets[i], msg);
    ASSERT_EQ(s.size(), kShareSize);
    EXPECT_TRUE(verify_share(d.pub, i, msg, s));
    EXPECT_FALSE(verify_share(d.pub, (i + 1) % 4, msg, s));  // another node's public share
    EXPECT_FALSE(verify_share(d.pub, i, to_bytes("other"), s));
    EXPECT_FALSE(verify_share(d.pub, 4, msg, s));  // unknown node
    // A share is not itself a group signature.
    EXPECT_FALSE(verify_group(d.pub, msg, s));
  }
}

TEST(Threshold, AnyTOfNCombineToTheSameGroupSignature) {
  for (auto [n, t] : {std::pair{4u, 3u}, std::pair{7u, 5u}, std::pair{16u, 11u}, std::pair{1u, 1u},
                      std::pair{5u, 1u}}) {
    Dealing d = make(n, t);
    Bytes msg = to_bytes("batch 42");
    std::vector<NodeId> all(n);
    for (NodeId i = 0; i < n; ++i) all[i] = i;
    std::optional<Bytes> first;
    // Sliding windows of t ids (and the reverse order) all give the same signature.
    for (uint32_t start = 0; start < n; ++start) {
      std::vector<NodeId> ids;
      for (uint32_t k = 0; k < t; ++k) ids.push_back((start + k * 3) % n);
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      if (ids.size() < t) continue;
      auto sig = interpolate(d.pub, shares_of(d, msg, ids));
      ASSERT_TRUE(sig.ok());
      EXPECT_TRUE(verify_group(d.pub, msg, *sig)) << "n=" << n << " t=" << t;
      if (first) {
        EXPECT_EQ(*sig, *first);
      }
      first = *sig;
    }
    ASSERT_TRUE(first.has_value());
    // The group signature is a plain min_sig BLS signature under the group key.
    EXPECT_FALSE(verify_group(d.pub, to_bytes("batch 43"), *first));
  }
}

// interpolate takes a short-scalar path when D * lambda_i are small integers (small t and ids)
// and Pippenger otherwise; both must give the group signature, for any subset and order,
// including negative coefficients, large ids and the boundary between the two paths.
TEST(Threshold, InterpolationPathsAgree) {
  std::mt19937_64 rng(7);
  Bytes msg = to_bytes("paths");
  for (auto [n, t] : {std::pair{200u, 2u}, std::pair{200u, 3u}, std::pair{200u, 4u},
                      std::pair{200u, 5u}, std::pair{10u, 7u}, std::pair{12u, 8u}}) {
    Dealing d = make(n, t, "paths");
    BlsThresholdVerifier v(d.pub);
    std::optional<Bytes> first;
    for (int round = 0; round < 4; ++round) {
      std::vector<NodeId> ids(n);
      for (NodeId i = 0; i < n; ++i) ids[i] = i;
      std::shuffle(ids.begin(), ids.end(), rng);
      ids.resize(t);
      auto sig = interpolate(d.pub, shares_of(d, msg, ids));
      ASSERT_TRUE(sig.ok());
      EXPECT_TRUE(verify_group(d.pub, msg, *sig)) << "n=" << n << " t=" << t;
      auto combined = v.combine(msg, shares_of(d, msg, ids));
      ASSERT_TRUE(combined.has_value());
      EXPECT_EQ(*combined, *sig);
      if (first) {
        EXPECT_EQ(*sig, *first);
      }
      first = *sig;
    }
  }
}

TEST(Threshold, FewerThanTSharesDoNotMakeAGroupSignature) {
  Dealing d = make(7, 5);
  Bytes msg = to_bytes("m");
  auto sig = interpolate(d.pub, shares_of(d, msg, {0, 1, 2, 3}));
  ASSERT_TRUE(sig.ok());
  EXPECT_FALSE(verify_group(d.pub, msg, *sig));
  BlsThresholdVerifier v(d.pub);
  EXPECT_FALSE(v.combine(msg, shares_of(d, msg, {0, 1, 2, 3})).has_value());
}

TEST(Threshold, InterpolateRejectsBadInput) {
  Dealing d = make(4, 3);
  Bytes msg = to_bytes("m");
  auto s = shares_of(d, msg, {0, 1, 2});
  EXPECT_FALSE(interpolate(d.pub, {}).ok());
  auto dup = s;
  dup[1].signer = 0;
  EXPECT_FALSE(interpolate(d.pub, dup).ok());
  auto unknown = s;
  unknown[2].signer = 9;
  EXPECT_FALSE(interpolate(d.pub, unknown).ok());
  auto garbage = s;
  garbage[0].sig = Bytes(48, 0x11);
  EXPECT_FALSE(interpolate(d.pub, garbage).ok());
}

TEST(Threshold, OptimisticCombineFindsTamperedShares) {
  Dealing d = make(7, 5);
  BlsThresholdVerifier v(d.pub);
  EXPECT_EQ(v.threshold(), 5u);
  Bytes msg = to_bytes("certify view 3 seq 9");
  auto shares = shares_of(d, msg, {0, 1, 2, 3, 4, 5, 6});

  // All good: fast path, nothing reported.
  std::vector<NodeId> bad;
  auto sig = v.combine(msg, shares, &bad);
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(v.verify_group(msg, *sig));
  EXPECT_TRUE(bad.empty());

  // Node 1 sends a valid share for another message, node 3 sends garbage: both are found and
  // the remaining five still combine.
  auto tampered = shares;
  tampered[1].sig = sign_share(d.secrets[1], to_bytes("something else"));
  tampered[3].sig = Bytes(48, 0xab);
  bad.clear();
  auto sig2 = v.combine(msg, tampered, &bad);
  ASSERT_TRUE(sig2.has_value());
  EXPECT_EQ(*sig2, *sig);
  std::sort(bad.begin(), bad.end());
  EXPECT_EQ(bad, (std::vector<NodeId>{1, 3}));

  // Three bad shares leave four valid ones: below t, no signature.
  tampered[5].sig = sign_share(d.secrets[4], msg);  // node 4's share claimed by node 5
  bad.clear();
  EXPECT_FALSE(v.combine(msg, tampered, &bad).has_value());
  std::sort(bad.begin(), bad.end());
  EXPECT_EQ(bad, (std::vector<NodeId>{1, 3, 5}));

  // Duplicates count once.
  std::vector<Share> dups = {shares[0], shares[0], shares[0], shares[0], shares[0], shares[1]};
  EXPECT_FALSE(v.combine(msg, dups).has_value());
}

TEST(Threshold, SignerAndVerifierInterfaces) {
  Dealing d = make(4, 3);
  BlsThresholdVerifier v(d.pub);
  std::vector<std::unique_ptr<ThresholdSigner>> signers;
  for (const auto& s : d.secrets) signers.push_back(std::make_unique<BlsThresholdSigner>(s));
  Bytes msg = to_bytes("reply");
  std::vector<Share> shares;
  for (NodeId i : {3u, 1u, 0u}) shares.push_back({i, signers[i]->sign_share(msg)});
  const ThresholdVerifier& iface = v;
  for (const auto& s : shares) EXPECT_TRUE(iface.verify_share(s.signer, msg, s.sig));
  auto sig = iface.combine(msg, shares);
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(iface.verify_group(msg, *sig));
}

// A lone replica (n = 1, t = 1) adopts its own share as the group signature without a pairing
// check: under BLS a threshold-1 share is the group signature. Above one, no share alone is.
TEST(Threshold, AThresholdOneShareIsTheGroupSignature) {
  const Bytes msg = to_bytes("block 7");
  Dealing one = make(1, 1);
  const BlsThresholdVerifier v1(one.pub);
  const Bytes share = sign_share(one.secrets[0], msg);
  auto own = v1.group_from_own_share(share);
  ASSERT_TRUE(own.has_value());
  EXPECT_TRUE(v1.verify_group(msg, *own));
  EXPECT_EQ(*own, *v1.combine(msg, {{0, share}})) << "what combine would have made";
  Dealing three = make(4, 3);
  const BlsThresholdVerifier v3(three.pub);
  EXPECT_FALSE(v3.group_from_own_share(sign_share(three.secrets[0], msg)).has_value());
}

TEST(Threshold, KeySerialization) {
  Dealing d = make(5, 3);
  auto pub = PublicKeySet::decode(d.pub.encode());
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->encode(), d.pub.encode());
  EXPECT_EQ(pub->t, 3u);
  EXPECT_EQ(pub->n(), 5u);
  for (const auto& s : d.secrets) {
    auto rt = SecretShare::decode(s.encode());
    ASSERT_TRUE(rt.ok());
    EXPECT_EQ(rt->encode(), s.encode());
  }
  // Secrets still work after a round trip.
  Bytes msg = to_bytes("m");
  auto s0 = *SecretShare::decode(d.secrets[0].encode());
  EXPECT_TRUE(verify_share(*pub, 0, msg, sign_share(s0, msg)));
}

TEST(Threshold, KeyDecodingRejections) {
  Dealing d = make(4, 3);
  Bytes wire = d.pub.encode();
  for (size_t cut : {0u, 4u, 8u, 100u, 200u})
    EXPECT_FALSE(PublicKeySet::decode(ByteView(wire).first(cut)).ok()) << cut;
  Bytes trailing = wire;
  trailing.push_back(1);
  EXPECT_FALSE(PublicKeySet::decode(trailing).ok());
  Bytes bad_t = wire;
  bad_t[0] = 5;  // t > n
  EXPECT_FALSE(PublicKeySet::decode(bad_t).ok());
  Bytes zero_t = wire;
  zero_t[0] = 0;
  EXPECT_FALSE(PublicKeySet::decode(zero_t).ok());
  Bytes huge_n = wire;
  huge_n[4] = 0xff, huge_n[5] = 0xff, huge_n[6] = 0xff, huge_n[7] = 0x7f;
  EXPECT_FALSE(PublicKeySet::decode(huge_n).ok());
  Bytes bent = wire;
  bent[8 + 96 + 50] ^= 1;  // inside public share 0
  EXPECT_FALSE(PublicKeySet::decode(bent).ok());

  Bytes sec = d.secrets[0].encode();
  EXPECT_FALSE(SecretShare::decode(ByteView(sec).first(35)).ok());
  Bytes zero = sec;
  std::fill(zero.begin() + 4, zero.end(), 0);
  EXPECT_FALSE(SecretShare::decode(zero).ok());
  Bytes over = sec;
  std::fill(over.begin() + 4, over.end(), 0xff);
  EXPECT_FALSE(SecretShare::decode(over).ok());
}

TEST(Threshold, ShareOutsideSubgroupRejected) {
  Dealing d = make(4, 3);
  Bytes msg = to_bytes("m");
  for (uint8_t x = 1; x < 200; ++x) {
    Bytes enc(48, 0);
    enc[0] = 0x80;
    enc[47] = x;
    blst_p1_affine p;
    if (blst_p1_uncompress(&p, enc.data()) != BLST_SUCCESS) continue;
    EXPECT_FALSE(verify_share(d.pub, 0, msg, enc));
    EXPECT_FALSE(interpolate(d.pub, {{0, enc}, {1, sign_share(d.secrets[1], msg)},
                                     {2, sign_share(d.secrets[2], msg)}})
                     .ok());
    return;
  }
  FAIL() << "no off-subgroup point found";
}

// ---- the precomputed-lines verifier against blst's one-shot verification ----

// What blst itself says about a 48-byte G1 signature: uncompress, then blst_core_verify (which
// subgroup-checks the signature). Everything else is rejected.
bool blst_reference(const blst_p2_affine& pk, ByteView msg, ByteView sig) {
  if (sig.size() != kShareSize) return false;
  blst_p1_affine p;
  if (blst_p1_uncompress(&p, sig.data()) != BLST_SUCCESS) return false;
  return blst_core_verify_pk_in_g2(&pk, &p, true, msg.data(), msg.size(),
                                   reinterpret_cast<const uint8_t*>(kDst.data()), kDst.size(),
                                   nullptr, 0) == BLST_SUCCESS;
}

// A point on the curve but outside G1: the first x = 1, 2, ... whose compressed encoding
// decompresses (deterministic; x = 4 on BLS12-381).
blst_p1 off_subgroup_point() {
  for (uint8_t x = 1; x < 200; ++x) {
    uint8_t enc[48] = {0x80};
    enc[47] = x;
    blst_p1_affine p;
    if (blst_p1_uncompress(&p, enc) == BLST_SUCCESS && !blst_p1_affine_in_g1(&p)) {
      blst_p1 j;
      blst_p1_from_affine(&j, &p);
      return j;
    }
  }
  ADD_FAILURE() << "no off-subgroup point found";
  return {};
}

// r * P for an off-subgroup P: a nonzero point of the cofactor torsion, i.e. a point that the
// pairing cannot see (e(s + T, g2) == e(s, g2) for every s) but the subgroup check can. Plain
// double-and-add: blst_p1_mult would reduce the scalar mod r and return the identity.
blst_p1 cofactor_torsion_point() {
  static const char* r_hex = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001";
  blst_p1 p = off_subgroup_point(), acc{};
  bool started = false;
  for (int i = 0; i < 256; ++i) {
    unsigned nib = std::stoul(std::string(1, r_hex[i / 4]), nullptr, 16);
    bool bit = (nib >> (3 - i % 4)) & 1;
    if (started) blst_p1_double(&acc, &acc);
    if (bit) {
      if (started) blst_p1_add_or_double(&acc, &acc, &p);
      else acc = p, started = true;
    }
  }
  EXPECT_FALSE(blst_p1_is_inf(&acc));
  EXPECT_TRUE(blst_p1_on_curve(&acc));
  EXPECT_FALSE(blst_p1_in_g1(&acc));
  return acc;
}

// A valid signature plus a cofactor-torsion point: on the curve, outside G1, and it satisfies
// the pairing equation. Only the subgroup check rejects it.
Bytes forged_outside_g1(ByteView valid_sig) {
  blst_p1_affine s;
  EXPECT_EQ(blst_p1_uncompress(&s, valid_sig.data()), BLST_SUCCESS);
  blst_p1 t = cofactor_torsion_point(), sum;
  blst_p1_add_or_double_affine(&sum, &t, &s);
  Bytes out(kShareSize);
  blst_p1_compress(out.data(), &sum);
  return out;
}

TEST(ThresholdFastVerify, TorsionForgerySatisfiesThePairingButNotTheSubgroupCheck) {
  // The premise of the subgroup tests below: without the check these would be accepted.
  Dealing d = make(4, 3);
  Bytes msg = to_bytes("m");
  Bytes good = sign_share(d.secrets[0], msg);
  Bytes forged = forged_outside_g1(good);
  blst_p1_affine f, h;
  ASSERT_EQ(blst_p1_uncompress(&f, forged.data()), BLST_SUCCESS);
  blst_p1 hj;
  blst_hash_to_g1(&hj, msg.data(), msg.size(), reinterpret_cast<const uint8_t*>(kDst.data()),
                  kDst.size(), nullptr, 0);
  blst_p1_to_affine(&h, &hj);
  blst_fp12 lhs, rhs;
  blst_miller_loop(&lhs, blst_p2_affine_generator(), &f);
  blst_miller_loop(&rhs, &d.pub.shares[0], &h);
  EXPECT_TRUE(blst_fp12_finalverify(&lhs, &rhs));
  EXPECT_FALSE(blst_p1_affine_in_g1(&f));
}

TEST(ThresholdFastVerify, AgreesWithBlstCoreVerify) {
  Dealing d = make(7, 5, "fast verify");
  BlsThresholdVerifier v(d.pub);
  std::mt19937_64 rng(20261124);
  Bytes identity(48, 0);
  identity[0] = 0xc0;
  int accepted = 0, rejected = 0;
  auto check_share = [&](NodeId id, ByteView msg, ByteView sig, bool expect) {
    const bool ref = blst_reference(d.pub.shares[id], msg, sig);
    EXPECT_EQ(ref, expect) << "reference, node " << id;
    EXPECT_EQ(v.verify_share(id, msg, sig), ref) << "fast, node " << id;
    EXPECT_EQ(verify_share(d.pub, id, msg, sig), ref) << "free function, node " << id;
    (ref ? accepted : rejected)++;
  };
  auto check_group = [&](ByteView msg, ByteView sig, bool expect) {
    const bool ref = blst_reference(d.pub.group, msg, sig);
    EXPECT_EQ(ref, expect) << "reference, group";
    EXPECT_EQ(v.verify_group(msg, sig), ref) << "fast, group";
    EXPECT_EQ(verify_group(d.pub, msg, sig), ref) << "free function, group";
  };
  for (int round = 0; round < 12; ++round) {
    Bytes msg(1 + rng() % 64);
    for (auto& b : msg) b = uint8_t(rng());
    Bytes other_msg = msg;
    other_msg[rng() % other_msg.size()] ^= uint8_t(1 + rng() % 255);
    const NodeId id = NodeId(rng() % 7), other = NodeId((id + 1 + rng() % 6) % 7);
    Bytes share = sign_share(d.secrets[id], msg);
    check_share(id, msg, share, true);
    check_share(id, other_msg, share, false);                       // wrong message
    check_share(other, msg, share, false);                          // wrong key
    check_share(id, msg, sign_share(d.secrets[other], msg), false);  // another node's share
    Bytes bent = share;
    bent[rng() % bent.size()] ^= uint8_t(1u << (rng() % 8));        // corrupted bytes
    check_share(id, msg, bent, false);
    check_share(id, msg, identity, false);
    check_share(id, msg, forged_outside_g1(share), false);          // passes the pairing
    check_share(id, msg, ByteView(share).first(47), false);         // wrong length
    Bytes longer = share;
    longer.push_back(0);
    check_share(id, msg, longer, false);
    check_share(id, msg, {}, false);

    std::vector<NodeId> ids = {0, 1, 2, 3, 4, 5, 6};
    std::shuffle(ids.begin(), ids.end(), rng);
    ids.resize(5);
    Bytes group = *interpolate(d.pub, shares_of(d, msg, ids));
    check_group(msg, group, true);
    check_group(other_msg, group, false);
    check_group(msg, share, false);  // a share is not the group signature
    check_group(msg, identity, false);
    check_group(msg, forged_outside_g1(group), false);
    check_group(msg, ByteView(group).first(47), false);
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(rejected, 0);
}

TEST(ThresholdFastVerify, VerifierCopiesShareTheLines) {
  Dealing d = make(4, 3);
  BlsThresholdVerifier v(d.pub);
  BlsThresholdVerifier copy = v;
  Bytes msg = to_bytes("copy");
  EXPECT_TRUE(copy.verify_share(2, msg, sign_share(d.secrets[2], msg)));
  EXPECT_FALSE(copy.verify_share(4, msg, sign_share(d.secrets[2], msg)));  // unknown node
}

TEST(ThresholdCombine, OneOrTwoBadSharesStillCombine) {
  Dealing d = make(7, 5, "combine");
  BlsThresholdVerifier v(d.pub);
  Bytes msg = to_bytes("certify");
  auto shares = shares_of(d, msg, {0, 1, 2, 3, 4, 5, 6});
  const Bytes expected = *interpolate(d.pub, shares_of(d, msg, {0, 1, 2, 3, 4}));
  ASSERT_TRUE(verify_group(d.pub, msg, expected));
  // Bad shares among the first t force the slow path; after the t-th they are never looked at.
  for (std::vector<size_t> bad_pos : {std::vector<size_t>{0}, {4}, {1, 3}, {0, 2}}) {
    auto tampered = shares;
    for (size_t k = 0; k < bad_pos.size(); ++k) {
      size_t i = bad_pos[k];
      tampered[i].sig = k == 0 ? sign_share(d.secrets[i], to_bytes("other msg"))
                               : sign_share(d.secrets[(i + 1) % 7], msg);  // another node's
    }
    std::vector<NodeId> bad;
    auto sig = v.combine(msg, tampered, &bad);
    ASSERT_TRUE(sig.has_value());
    EXPECT_EQ(*sig, expected);  // the group signature is unique: same bytes from any t shares
    std::sort(bad.begin(), bad.end());
    std::vector<NodeId> want(bad_pos.begin(), bad_pos.end());
    EXPECT_EQ(bad, want);
  }
}

TEST(ThresholdCombine, ShareOutsideTheSubgroupIsFoundAndBlamed) {
  Dealing d = make(7, 5, "combine subgroup");
  BlsThresholdVerifier v(d.pub);
  Bytes msg = to_bytes("certify");
  auto shares = shares_of(d, msg, {0, 1, 2, 3, 4, 5, 6});
  const Bytes expected = *interpolate(d.pub, shares_of(d, msg, {0, 1, 2, 3, 4}));
  // Node 2's share plus a cofactor-torsion point satisfies its own pairing equation, so only
  // the subgroup checks catch it: of the combined point (fast path) and of the share (slow
  // path). Without the first, combine would return non-canonical bytes; without the second,
  // node 2 would go unblamed and its share would poison the retry.
  auto tampered = shares;
  tampered[2].sig = forged_outside_g1(shares[2].sig);
  std::vector<NodeId> bad;
  auto sig = v.combine(msg, tampered, &bad);
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(*sig, expected);
  EXPECT_EQ(bad, (std::vector<NodeId>{2}));
  EXPECT_TRUE(v.verify_group(msg, *sig));
  // Not on the curve at all: rejected at decoding, blamed without any pairing.
  tampered = shares;
  tampered[4].sig = Bytes(48, 0xab);
  bad.clear();
  sig = v.combine(msg, tampered, &bad);
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(*sig, expected);
  EXPECT_EQ(bad, (std::vector<NodeId>{4}));
  // Two torsion forgeries leave exactly t = 5 valid shares.
  tampered = shares;
  tampered[0].sig = forged_outside_g1(shares[0].sig);
  tampered[6].sig = forged_outside_g1(shares[6].sig);
  bad.clear();
  sig = v.combine(msg, tampered, &bad);
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(*sig, expected);
  std::sort(bad.begin(), bad.end());
  EXPECT_EQ(bad, (std::vector<NodeId>{0, 6}));
}

TEST(ThresholdCombine, SingleShareTorsionForgeryWithTOne) {
  // t = 1: the "combination" is the share itself (times lambda = 1), so the fast path's
  // subgroup check of the combined point is the only thing between a torsion forgery and the
  // output.
  Dealing d = make(3, 1, "t one");
  BlsThresholdVerifier v(d.pub);
  Bytes msg = to_bytes("m");
  Bytes good = sign_share(d.secrets[1], msg);
  std::vector<NodeId> bad;
  EXPECT_FALSE(v.combine(msg, {{1, forged_outside_g1(good)}}, &bad).has_value());
  EXPECT_EQ(bad, (std::vector<NodeId>{1}));
  auto sig = v.combine(msg, {{1, forged_outside_g1(good)}, {0, sign_share(d.secrets[0], msg)}});
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(verify_group(d.pub, msg, *sig));
}

}  // namespace
}  // namespace rampart::crypto
