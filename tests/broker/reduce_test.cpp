// Reduction by aggregate signature and isolation of invalid shares by splitting.
#include <gtest/gtest.h>

#include "broker/reduce.hpp"
#include "world.hpp"

namespace rampart::broker::testing {
namespace {

struct Shares {
  std::vector<crypto::bls::PublicKey> pks;
  std::vector<crypto::bls::Signature> sigs;
  Bytes msg = reduce_statement(Hash32{1, 2, 3});
  explicit Shares(uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      pks.push_back(crypto::bls::public_key(bls_key(i)));
      sigs.push_back(crypto::bls::sign(bls_key(i), msg));
    }
  }
  ReductionResult run() const {
    std::vector<const crypto::bls::PublicKey*> p;
    std::vector<const crypto::bls::Signature*> s;
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
  for (size_t i : bad) s.sigs[i] = crypto::bls::sign(bls_key(100 + i), s.msg);  // someone else's key
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
  s.sigs[4] = crypto::bls::sign(bls_key(4), to_bytes("another root"));
  auto r = s.run();
  EXPECT_EQ(r.valid, (std::vector<uint8_t>{1, 1, 1, 1, 0}));
}

TEST(Reduce, NothingValidMeansNoAggregate) {
  Shares s(2);
  std::swap(s.sigs[0], s.sigs[1]);  // each under the other's key: the sum still verifies!
  auto r = s.run();
  EXPECT_EQ(r.checks, 1u);           // BLS uniqueness: the sum equals the genuine aggregate
  Shares t(2);
  t.sigs[0] = t.sigs[1] = crypto::bls::sign(bls_key(50), t.msg);
  auto q = t.run();
  EXPECT_FALSE(q.aggregate.has_value());
  EXPECT_EQ(q.valid, (std::vector<uint8_t>{0, 0}));
}

}  // namespace
}  // namespace rampart::broker::testing
