// Server-side verification of a distilled batch: an honest one passes, and each lie a broker
// could tell (forged aggregate, changed payload or raise, forged or altered straggler, unknown
// id) is refused with its reason.
#include <gtest/gtest.h>

#include "broker/batch.hpp"
#include "broker/verify.hpp"
#include "world.hpp"

namespace rampart::broker::testing {
namespace {

struct Fixture {
  World world{World::Options{.clients = 6}};
  DistilledBatch b;
  Fixture() {
    // Clients 0..5 at seq i; 2 and 4 stragglers at their own seq, the rest reduce over root.
    std::vector<uint64_t> seq = {0, 1, 2, 3, 4, 5};
    Entries e;
    for (uint32_t i = 0; i < 6; ++i) e.push(i, to_bytes("op" + std::to_string(i)));
    b.broker = 0;
    b.number = 1;
    b.raise = 5;
    b.entries = e;
    const Hash32 root = crypto::merkle::root(entry_leaves(e, b.raise));
    std::vector<crypto::bls::SecretKey> reducers;
    for (uint32_t i : {0u, 1u, 3u, 5u}) reducers.push_back(bls_key(i));
    b.aggregate = crypto::bls::sign(*crypto::bls::sum_secret_keys(reducers), reduce_statement(root)).to_bytes();
    b.has_aggregate = true;
    for (uint32_t i : {2u, 4u})
      b.stragglers.push_back({i, seq[i], ed_key(i).sign(submit_statement(i, seq[i], e.payload(i)))});
  }
  std::string check(const DistilledBatch& x) const {
    auto v = verify_distilled(x, world.directory());
    return v ? "" : v.error().message;
  }
};

TEST(VerifyDistilled, HonestBatchPassesAndYieldsBothRoots) {
  Fixture f;
  auto v = verify_distilled(f.b, f.world.directory());
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->root, crypto::merkle::root(entry_leaves(f.b.entries, 5)));
  EXPECT_NE(v->amended_root, v->root);
  auto roots = batch_roots(f.b);
  EXPECT_EQ(roots.root, v->root);
  EXPECT_EQ(roots.amended_root, v->amended_root);
}

TEST(VerifyDistilled, EachLieIsRefused) {
  Fixture f;
  {
    auto x = f.b;
    x.aggregate = crypto::bls::sign(bls_key(0), to_bytes("x")).to_bytes();
    EXPECT_NE(f.check(x).find("aggregate signature does not verify"), std::string::npos);
  }
  {
    auto x = f.b;
    x.entries = {};
    for (uint32_t i = 0; i < 6; ++i) x.entries.push(i, to_bytes(i == 1 ? "forged" : "op" + std::to_string(i)));
    EXPECT_NE(f.check(x).find("does not verify"), std::string::npos);
  }
  {
    auto x = f.b;
    x.raise = 6;  // the reducers signed the root with raise 5
    EXPECT_NE(f.check(x).find("does not verify"), std::string::npos);
  }
  {
    auto x = f.b;
    x.stragglers[1].seq = 9;  // not what client 4 signed
    EXPECT_NE(f.check(x).find("straggler 4 signature"), std::string::npos);
  }
  {
    auto x = f.b;
    x.stragglers.erase(x.stragglers.begin());  // client 2 passed off as a reducer
    EXPECT_NE(f.check(x).find("aggregate signature does not verify"), std::string::npos);
  }
  {
    auto x = f.b;
    x.entries.ids[5] = 77;  // nobody signed up under 77
    EXPECT_NE(f.check(x).find("unknown client id 77"), std::string::npos);
  }
}

}  // namespace
}  // namespace rampart::broker::testing
