#include "crypto/bls.hpp"

#include <gtest/gtest.h>

namespace rampart::crypto {
namespace {

using namespace bls;

Bytes hex(std::string_view h) {
  Bytes b;
  EXPECT_TRUE(from_hex(h, b)) << h;
  return b;
}

SecretKey key(int i) {
  Bytes seed(32, static_cast<uint8_t>(i));
  return *SecretKey::from_seed(seed);
}

// Known answers from the Ethereum consensus-spec BLS "sign" test vectors (cases
// sign_case_c82df61aa3ee60fb, ..., same ciphersuite BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_),
// and the matching public keys; transcribed from those public test files.
struct Kat {
  const char* sk;
  const char* pk;  // empty when not transcribed
  const char* msg;
  const char* sig;
};
const Kat kKats[] = {
    {"263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3",
     "a491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "b6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e9ab279fb5158090352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850ce1f98458c0cfc9ab380b55285a55"},
    {"47b8192d77bf871b62e87859d653922725724a5c031afeabc60bcef5ff665138",
     "b301803f8b5ac4a1133581fc676dfedc60d891dd5fa99028805e5ea5b08d3491af75d0707adab3b70c6a6a580217bf81",
     "5656565656565656565656565656565656565656565656565656565656565656",
     "af1390c3c47acdb37131a51216da683c509fce0e954328a59f93aebda7e4ff974ba208d9a4a2a2389f892a9d418d618418dd7f7a6bc7aa0da999a9d3a5b815bc085e14fd001f6a1948768a3f4afefc8b8240dda329f984cb345c6363272ba4fe"},
    {"328388aff0d4a5b7dc9205abd374e7e98f3cd9f3418edb4eafda5fb16473d216", "",
     "5656565656565656565656565656565656565656565656565656565656565656",
     "a4efa926610b8bd1c8330c918b7a5e9bf374e53435ef8b7ec186abf62e1b1f65aeaaeb365677ac1d1172a1f5b44b4e6d022c252c58486c0a759fbdc7de15a756acc4d343064035667a594b4c2a6f0b0b421975977f297dba63ee2f63ffe47bb6"},
};

TEST(Bls, KnownAnswers) {
  for (const auto& k : kKats) {
    auto sk = SecretKey::from_bytes(hex(k.sk));
    ASSERT_TRUE(sk.ok());
    if (*k.pk) {
      EXPECT_EQ(to_hex(public_key(*sk).to_bytes()), k.pk);
    }
    Bytes msg = hex(k.msg);
    Signature sig = sign(*sk, msg);
    EXPECT_EQ(to_hex(sig.to_bytes()), k.sig);
    auto decoded = Signature::from_bytes(hex(k.sig));
    ASSERT_TRUE(decoded.ok());
    EXPECT_TRUE(verify(public_key(*sk), msg, *decoded));
  }
}

TEST(Bls, SignVerifyAndRejections) {
  SecretKey a = key(1), b = key(2);
  PublicKey pa = public_key(a), pb = public_key(b);
  Bytes msg = to_bytes("batch root");
  Signature s = sign(a, msg);
  EXPECT_TRUE(verify(pa, msg, s));
  EXPECT_FALSE(verify(pa, to_bytes("other root"), s));  // wrong message
  EXPECT_FALSE(verify(pb, msg, s));                     // wrong key
  Signature other = sign(b, msg);
  EXPECT_FALSE(verify(pa, msg, other));
}

TEST(Bls, SecretKeyEncoding) {
  EXPECT_FALSE(SecretKey::from_seed(Bytes(31, 1)).ok());
  SecretKey a = key(7);
  auto rt = SecretKey::from_bytes(a.to_bytes());
  ASSERT_TRUE(rt.ok());
  EXPECT_EQ(rt->to_bytes(), a.to_bytes());
  EXPECT_FALSE(SecretKey::from_bytes(Bytes(32, 0)).ok());     // zero
  EXPECT_FALSE(SecretKey::from_bytes(Bytes(32, 0xff)).ok());  // >= group order
  EXPECT_FALSE(SecretKey::from_bytes(Bytes(31, 1)).ok());
  // Deterministic keygen from the seed; different seeds give different keys.
  EXPECT_EQ(key(3).to_bytes(), key(3).to_bytes());
  EXPECT_NE(key(3).to_bytes(), key(4).to_bytes());
  EXPECT_NE(SecretKey::random().to_bytes(), SecretKey::random().to_bytes());
}

TEST(Bls, ProofOfPossession) {
  SecretKey a = key(1), b = key(2);
  PublicKey pa = public_key(a), pb = public_key(b);
  Signature pop = prove_possession(a);
  EXPECT_TRUE(verify_possession(pa, pop));
  EXPECT_FALSE(verify_possession(pb, pop));
  // Domain separation: an ordinary signature over the key bytes is not a proof.
  EXPECT_FALSE(verify_possession(pa, sign(a, pa.to_bytes())));
  // And a proof is not an ordinary signature over the key bytes.
  EXPECT_FALSE(verify(pa, pa.to_bytes(), pop));
}

TEST(Bls, AggregationSameMessage) {
  Bytes msg = to_bytes("root");
  std::vector<PublicKey> pks;
  std::vector<Signature> sigs;
  for (int i = 0; i < 20; ++i) {
    SecretKey k = key(10 + i);
    pks.push_back(public_key(k));
    sigs.push_back(sign(k, msg));
  }
  auto agg_sig = aggregate_signatures(sigs);
  ASSERT_TRUE(agg_sig.ok());
  EXPECT_TRUE(fast_aggregate_verify(pks, msg, *agg_sig));
  EXPECT_FALSE(fast_aggregate_verify(std::span(pks).first(19), msg, *agg_sig));
  EXPECT_FALSE(fast_aggregate_verify(pks, to_bytes("toor"), *agg_sig));

  auto bulk = aggregate_public_keys(pks);
  auto slow = aggregate_public_keys_one_by_one(pks);
  ASSERT_TRUE(bulk.ok() && slow.ok());
  EXPECT_TRUE(*bulk == *slow);
  // Duplicates must be handled (doubling inside the bulk adder).
  std::vector<PublicKey> dup(8, pks[0]);
  EXPECT_TRUE(*aggregate_public_keys(dup) == *aggregate_public_keys_one_by_one(dup));
  // Larger than blst's internal stride, to cross block boundaries.
  std::vector<PublicKey> many;
  for (int i = 0; i < 3000; ++i) many.push_back(pks[size_t(i) % pks.size()]);
  EXPECT_TRUE(*aggregate_public_keys(many) == *aggregate_public_keys_one_by_one(many));

  // Signing with the sum of the secret keys gives the aggregate (what the bench generator uses).
  EXPECT_FALSE(aggregate_public_keys({}).ok());
  EXPECT_FALSE(aggregate_signatures({}).ok());
}

TEST(Bls, AggregateVerifyDistinctMessages) {
  std::vector<PublicKey> pks;
  std::vector<Signature> sigs;
  std::vector<Bytes> msgs;
  for (int i = 0; i < 6; ++i) {
    SecretKey k = key(40 + i);
    msgs.push_back(to_bytes("message " + std::to_string(i)));
    pks.push_back(public_key(k));
    sigs.push_back(sign(k, msgs.back()));
  }
  std::vector<ByteView> views(msgs.begin(), msgs.end());
  Signature agg = *aggregate_signatures(sigs);
  EXPECT_TRUE(aggregate_verify(pks, views, agg));
  std::swap(views[0], views[1]);
  EXPECT_FALSE(aggregate_verify(pks, views, agg));
  std::swap(views[0], views[1]);
  EXPECT_FALSE(aggregate_verify(std::span(pks).first(5), std::span(views).first(5), agg));
  EXPECT_FALSE(aggregate_verify(pks, std::span(views).first(5), agg));  // length mismatch
}

TEST(Bls, BatchVerify) {
  std::vector<PublicKey> pks;
  std::vector<Signature> sigs;
  std::vector<Bytes> msgs;
  for (int i = 0; i < 8; ++i) {
    SecretKey k = key(60 + i);
    msgs.push_back(to_bytes("m" + std::to_string(i)));
    pks.push_back(public_key(k));
    sigs.push_back(sign(k, msgs.back()));
  }
  std::vector<BatchItem> items;
  for (size_t i = 0; i < 8; ++i) items.push_back({&pks[i], msgs[i], &sigs[i]});
  EXPECT_TRUE(batch_verify(items));
  // Two swapped signatures: each wrong, and their sum equals the sum of the right ones, so
  // only the random weights catch it.
  std::vector<BatchItem> swapped = items;
  std::swap(swapped[2].sig, swapped[3].sig);
  EXPECT_FALSE(batch_verify(swapped));
  std::vector<BatchItem> wrong_msg = items;
  wrong_msg[5].msg = msgs[4];
  EXPECT_FALSE(batch_verify(wrong_msg));
  EXPECT_FALSE(batch_verify({}));
}

TEST(Bls, PointEncodingRoundTrip) {
  SecretKey a = key(5);
  PublicKey pk = public_key(a);
  Signature sig = sign(a, to_bytes("x"));
  auto pk2 = PublicKey::from_bytes(pk.to_bytes());
  auto sig2 = Signature::from_bytes(sig.to_bytes());
  ASSERT_TRUE(pk2.ok() && sig2.ok());
  EXPECT_TRUE(*pk2 == pk);
  EXPECT_TRUE(*sig2 == sig);
}

TEST(Bls, RejectsBadEncodings) {
  SecretKey a = key(5);
  auto pk = public_key(a).to_bytes();
  auto sig = sign(a, to_bytes("x")).to_bytes();
  // Wrong lengths.
  EXPECT_FALSE(PublicKey::from_bytes(ByteView(pk).first(47)).ok());
  EXPECT_FALSE(Signature::from_bytes(ByteView(sig).first(95)).ok());
  EXPECT_FALSE(PublicKey::from_bytes(sig).ok());
  // Compression flag cleared: not a valid compressed encoding.
  auto no_flag = pk;
  no_flag[0] &= 0x7f;
  EXPECT_FALSE(PublicKey::from_bytes(no_flag).ok());
  // x >= p.
  std::array<uint8_t, 48> big;
  big.fill(0xff);
  big[0] = 0x9f;
  EXPECT_FALSE(PublicKey::from_bytes(big).ok());
  // The identity (infinity flag) is refused for keys and signatures.
  std::array<uint8_t, 48> inf1{};
  inf1[0] = 0xc0;
  std::array<uint8_t, 96> inf2{};
  inf2[0] = 0xc0;
  auto r1 = PublicKey::from_bytes(inf1);
  auto r2 = Signature::from_bytes(inf2);
  ASSERT_FALSE(r1.ok());
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r1.error().message.find("identity"), std::string::npos);
  // Flipping a byte of x almost always leaves the curve (or the subgroup).
  auto bent = pk;
  bent[20] ^= 0x01;
  EXPECT_FALSE(PublicKey::from_bytes(bent).ok());
}

// A point on E1 (y^2 = x^3 + 4) outside the order-r subgroup: try small x until
// blst_p1_uncompress accepts the encoding; the cofactor is huge, so it is not in G1.
TEST(Bls, RejectsPointOutsideSubgroupG1) {
  int found = 0;
  for (uint8_t x = 1; x < 200 && found < 3; ++x) {
    std::array<uint8_t, 48> enc{};
    enc[0] = 0x80;  // compressed, not infinity, sign 0
    enc[47] = x;
    blst_p1_affine p;
    if (blst_p1_uncompress(&p, enc.data()) != BLST_SUCCESS) continue;  // x^3+4 not a square
    ASSERT_FALSE(blst_p1_affine_in_g1(&p));
    auto r = PublicKey::from_bytes(enc);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("subgroup"), std::string::npos) << r.error().message;
    ++found;
  }
  EXPECT_EQ(found, 3);
}

// decode_g1_on_curve is decode_g1 minus the subgroup check, nothing more: the same rejections
// otherwise, and the same point when both accept.
TEST(Bls, DecodeG1OnCurveSkipsOnlyTheSubgroupCheck) {
  auto pk = public_key(key(6)).to_bytes();
  auto full = decode_g1(pk), lax = decode_g1_on_curve(pk);
  ASSERT_TRUE(full.ok());
  ASSERT_TRUE(lax.ok());
  EXPECT_TRUE(blst_p1_affine_is_equal(&*full, &*lax));
  std::array<uint8_t, 48> inf{};
  inf[0] = 0xc0;
  EXPECT_FALSE(decode_g1_on_curve(inf).ok());
  EXPECT_FALSE(decode_g1_on_curve(ByteView(pk).first(47)).ok());
  std::array<uint8_t, 48> big;
  big.fill(0xff);
  big[0] = 0x9f;
  EXPECT_FALSE(decode_g1_on_curve(big).ok());
  int off = 0;
  for (uint8_t x = 1; x < 200; ++x) {
    std::array<uint8_t, 48> enc{};
    enc[0] = 0x80;
    enc[47] = x;
    blst_p1_affine p;
    const bool on_curve = blst_p1_uncompress(&p, enc.data()) == BLST_SUCCESS;
    EXPECT_EQ(decode_g1_on_curve(enc).ok(), on_curve) << int(x);
    if (on_curve) {
      EXPECT_FALSE(decode_g1(enc).ok());  // small x: never in G1
      ++off;
    }
  }
  EXPECT_GT(off, 0);
}

TEST(Bls, RejectsPointOutsideSubgroupG2) {
  int found = 0;
  for (uint8_t x = 1; x < 200 && found < 3; ++x) {
    std::array<uint8_t, 96> enc{};
    enc[0] = 0x80;  // flags live in the first (c1) half
    enc[95] = x;    // x = x + 0*i
    blst_p2_affine p;
    if (blst_p2_uncompress(&p, enc.data()) != BLST_SUCCESS) continue;
    ASSERT_FALSE(blst_p2_affine_in_g2(&p));
    auto r = Signature::from_bytes(enc);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("subgroup"), std::string::npos) << r.error().message;
    ++found;
  }
  EXPECT_EQ(found, 3);
}

TEST(Bls, SumOfSecretKeysSignsTheAggregate) {
  // The benchmark generator signs a root once with the sum of the clients' secret keys; that must
  // equal the aggregate of the individual signatures (DESIGN §3.1).
  Bytes msg = to_bytes("root");
  std::vector<PublicKey> pks;
  std::vector<Signature> sigs;
  blst_fr sum{};
  for (int i = 0; i < 5; ++i) {
    SecretKey k = key(80 + i);
    pks.push_back(public_key(k));
    sigs.push_back(sign(k, msg));
    blst_fr f;
    blst_fr_from_scalar(&f, &k.scalar());
    blst_fr_add(&sum, &sum, &f);
  }
  blst_scalar s;
  blst_scalar_from_fr(&s, &sum);
  Signature by_sum = sign(SecretKey::from_scalar(s), msg);
  EXPECT_TRUE(by_sum == *aggregate_signatures(sigs));
  EXPECT_TRUE(fast_aggregate_verify(pks, msg, by_sum));
}

}  // namespace
}  // namespace rampart::crypto

// The helpers the broker path adds: subset aggregation by pointers, the sum of secret keys (a
// load generator's shortcut) and verification against a message hashed once.
namespace rampart::crypto {
namespace {

TEST(BlsBroker, SumOfSecretKeysSignsTheAggregate) {
  std::vector<bls::SecretKey> sks;
  std::vector<bls::PublicKey> pks;
  std::vector<bls::Signature> sigs;
  Bytes msg = to_bytes("root");
  for (int i = 1; i <= 5; ++i) {
    sks.push_back(key(i));
    pks.push_back(bls::public_key(sks.back()));
    sigs.push_back(bls::sign(sks.back(), msg));
  }
  auto sum = bls::sum_secret_keys(sks);
  ASSERT_TRUE(sum.ok());
  auto agg = bls::aggregate_signatures(sigs);
  ASSERT_TRUE(agg.ok());
  EXPECT_TRUE(bls::sign(*sum, msg) == *agg);
  EXPECT_TRUE(bls::fast_aggregate_verify(pks, msg, bls::sign(*sum, msg)));
  EXPECT_FALSE(bls::sum_secret_keys({}).ok());
}

TEST(BlsBroker, PointerSubsetsAndHashedVerify) {
  std::vector<bls::SecretKey> sks;
  std::vector<bls::PublicKey> pks;
  std::vector<bls::Signature> sigs;
  Bytes msg = to_bytes("batch root");
  for (int i = 1; i <= 4; ++i) {
    sks.push_back(key(i));
    pks.push_back(bls::public_key(sks.back()));
    sigs.push_back(bls::sign(sks.back(), msg));
  }
  // Subset {0, 2}: the pointer overloads sum exactly those.
  std::vector<const bls::PublicKey*> pk_sub = {&pks[0], &pks[2]};
  std::vector<const bls::Signature*> sig_sub = {&sigs[0], &sigs[2]};
  auto apk = bls::aggregate_public_key_refs(pk_sub);
  auto asig = bls::aggregate_signature_refs(sig_sub);
  ASSERT_TRUE(apk.ok() && asig.ok());
  std::vector<bls::PublicKey> pk_copy = {pks[0], pks[2]};
  EXPECT_TRUE(*apk == *bls::aggregate_public_keys(pk_copy));
  auto h = bls::hash_message(msg);
  EXPECT_TRUE(bls::verify_hashed(*apk, h, *asig));
  EXPECT_TRUE(bls::verify(*apk, msg, *asig));
  // One element, and a mismatch between keys and signatures.
  std::vector<const bls::PublicKey*> one = {&pks[1]};
  EXPECT_TRUE(bls::verify_hashed(*bls::aggregate_public_key_refs(one), h, sigs[1]));
  EXPECT_FALSE(bls::verify_hashed(pks[1], h, sigs[0]));
  EXPECT_FALSE(bls::verify_hashed(pks[0], bls::hash_message(to_bytes("other")), sigs[0]));
}

}  // namespace
}  // namespace rampart::crypto
