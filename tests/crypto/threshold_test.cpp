#include "crypto/threshold.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace rampart::crypto
