// Reduction by aggregate signature and isolation of invalid shares by splitting.
#include <gtest/gtest.h>

#include "broker/reduce.hpp"
#include "world.hpp"

namespace rampart::broker::testing {
namespace {

crypto::bls::UncheckedSignature raw(const crypto::bls::Signature& s) {
  return *crypto::bls::UncheckedSignature::from_raw(s.to_raw());
}

// A point on the curve outside the subgroup G2: an x of the compressed form that decompresses
// (blst_p2_uncompress checks the curve, not the subgroup), then serialized uncompressed.
std::array<uint8_t, 192> off_subgroup_point() {
  for (uint8_t x = 1;; ++x) {
    std::array<uint8_t, 96> c{};
    c[0] = 0x80;  // compressed, not infinity, sign bit 0
    c[95] = x;
    blst_p2_affine p;
    if (blst_p2_uncompress(&p, c.data()) != BLST_SUCCESS || blst_p2_affine_in_g2(&p)) continue;
    std::array<uint8_t, 192> out;
    blst_p2_affine_serialize(out.data(), &p);
    return out;
  }
}

struct Shares {
  std::vector<crypto::bls::PublicKey> pks;
  std::vector<crypto::bls::UncheckedSignature> sigs;
  Bytes msg = reduce_statement(Hash32{1, 2, 3});
  explicit Shares(uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      pks.push_back(crypto::bls::public_key(bls_key(i)));
      sigs.push_back(raw(crypto::bls::sign(bls_key(i), msg)));
    }
  }
  ReductionResult run() const {
    std::vector<const crypto::bls::PublicKey*> p;
    std::vector<const crypto::bls::UncheckedSignature*> s;
    for (size_t i = 0; i < pks.size(); ++i) p.push_back(&pks[i]), s.push_back(&sigs[i]);
    return reduce(p, s, msg);
  }
};

TEST(Reduce, AllValidTakesOneCheck) {
  Shares s(32);
  auto r = s.run();
  EXPECT_EQ(r.checks, 1u);
  ASSERT_TRUE(r.aggregate.has_value());
  EXPECT_TRUE(crypto::bls::fast_aggregate_verify(s.pks, s.msg, *r.aggregate));
  for (auto v : r.valid) EXPECT_EQ(v, 1);
}

TEST(Reduce, InvalidSharesAreIsolatedAndTheRestAggregated) {
  Shares s(32);
  const std::vector<size_t> bad = {3, 17, 18};
  for (size_t i : bad) s.sigs[i] = raw(crypto::bls::sign(bls_key(100 + i), s.msg));  // someone else's key
  auto r = s.run();
  std::vector<crypto::bls::PublicKey> good;
  for (size_t i = 0; i < 32; ++i) {
    const bool is_bad = std::find(bad.begin(), bad.end(), i) != bad.end();
    EXPECT_EQ(r.valid[i], is_bad ? 0 : 1) << i;
    if (!is_bad) good.push_back(s.pks[i]);
  }
  ASSERT_TRUE(r.aggregate.has_value());
  EXPECT_TRUE(crypto::bls::fast_aggregate_verify(good, s.msg, *r.aggregate));
  EXPECT_LT(r.checks, 32u);  // O(k log n), not one per share
}

TEST(Reduce, ShareOverAnotherMessageIsInvalid) {
  Shares s(5);
  s.sigs[4] = raw(crypto::bls::sign(bls_key(4), to_bytes("another root")));
  auto r = s.run();
  EXPECT_EQ(r.valid, (std::vector<uint8_t>{1, 1, 1, 1, 0}));
}

TEST(Reduce, NothingValidMeansNoAggregate) {
  Shares s(2);
  std::swap(s.sigs[0], s.sigs[1]);  // each under the other's key: the sum still verifies!
  auto r = s.run();
  EXPECT_EQ(r.checks, 1u);           // BLS uniqueness: the sum equals the genuine aggregate
  Shares t(2);
  t.sigs[0] = t.sigs[1] = raw(crypto::bls::sign(bls_key(50), t.msg));
  auto q = t.run();
  EXPECT_FALSE(q.aggregate.has_value());
  EXPECT_EQ(q.valid, (std::vector<uint8_t>{0, 0}));
}

// Shares are taken unchecked (on the curve only) and only sums are subgroup-checked: a share
// outside G2 fails its own check and only it is left out; one whose component outside G2 a
// second share cancels sums to the genuine aggregate, which is all the replicas ever see.
TEST(Reduce, SharesOutsideTheSubgroupAreCaughtInTheirSums) {
  const auto off = off_subgroup_point();
  auto u = crypto::bls::UncheckedSignature::from_raw(off);
  ASSERT_TRUE(u.ok()) << "on the curve: decodes unchecked";
  EXPECT_FALSE(crypto::bls::Signature::from_bytes(crypto::bls::Signature{u->point}.to_bytes()).ok())
      << "the checked decoder refuses it";
  Shares s(8);
  s.sigs[5] = *u;
  auto r = s.run();
  EXPECT_EQ(r.valid, (std::vector<uint8_t>{1, 1, 1, 1, 1, 0, 1, 1}));
  ASSERT_TRUE(r.aggregate.has_value());

  // Share 2 + T and share 3 - T, T outside G2: the sum is in G2 and is the genuine aggregate.
  Shares t(4);
  blst_p2 sum, tp;
  blst_p2_from_affine(&tp, &u->point);
  blst_p2_from_affine(&sum, &t.sigs[2].point);
  blst_p2_add_or_double(&sum, &sum, &tp);
  blst_p2_to_affine(&t.sigs[2].point, &sum);
  blst_p2_cneg(&tp, true);
  blst_p2_from_affine(&sum, &t.sigs[3].point);
  blst_p2_add_or_double(&sum, &sum, &tp);
  blst_p2_to_affine(&t.sigs[3].point, &sum);
  auto q = t.run();
  ASSERT_TRUE(q.aggregate.has_value());
  EXPECT_EQ(q.checks, 1u);
  EXPECT_TRUE(crypto::bls::fast_aggregate_verify(t.pks, t.msg, *q.aggregate));
  Shares honest(4);
  EXPECT_EQ(*q.aggregate, *honest.run().aggregate);
}

TEST(Reduce, TheRawCodecRefusesPointsOffTheCurveAndTheIdentity) {
  auto good = crypto::bls::sign(bls_key(1), to_bytes("m")).to_raw();
  EXPECT_TRUE(crypto::bls::UncheckedSignature::from_raw(good).ok());
  auto bent = good;
  bent[191] ^= 1;  // y changed: off the curve
  EXPECT_FALSE(crypto::bls::UncheckedSignature::from_raw(bent).ok());
  std::array<uint8_t, 192> inf{};
  inf[0] = 0x40;  // the serialized identity
  EXPECT_FALSE(crypto::bls::UncheckedSignature::from_raw(inf).ok());
  EXPECT_FALSE(crypto::bls::UncheckedSignature::from_raw(ByteView(good).first(96)).ok());
}

}  // namespace
}  // namespace rampart::broker::testing
