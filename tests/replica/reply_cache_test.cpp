#include <gtest/gtest.h>

#include <map>
#include <random>

#include "replica/reply_cache.hpp"

using namespace rampart;
using namespace rampart::replica;

namespace {
CacheEntry entry(uint64_t seq, uint64_t k, uint8_t root_byte, std::string_view result) {
  CacheEntry e;
  e.seq = seq;
  e.k = k;
  e.root.fill(root_byte);
  e.result = to_bytes(result);
  e.result_hash = reply_result_hash(e.result);
  return e;
}

// A cache built in one go from `model`: the reference the incremental one must match.
ReplyCache rebuilt(const std::map<ClientId, CacheEntry>& model) {
  ReplyCache c;
  for (const auto& [id, e] : model) c.put(id, e);
  return c;
}
}  // namespace

TEST(ReplyCache, IncrementalDigestMatchesARebuiltCache) {
  // Random puts, overwrites, in-place edits and erases, with digests taken in between (so dirty
  // tracking across digest() calls is exercised), against a std::map model.
  std::mt19937_64 rng(42);
  ReplyCache c;
  std::map<ClientId, CacheEntry> model;
  for (int step = 0; step < 3000; ++step) {
    // Small ids (as in tests) and spread-out ids (as in production) both.
    ClientId id = step % 2 ? rng() % 300 : rng();
    if (step % 2 == 0 && !model.empty() && rng() % 3 == 0) id = std::next(model.begin(), static_cast<long>(rng() % model.size()))->first;
    switch (rng() % 4) {
      case 0:
      case 1: {
        auto e = entry(rng() % 100, step, static_cast<uint8_t>(rng()), std::to_string(rng() % 1000));
        c.put(id, e);
        model[id] = e;
        break;
      }
      case 2:
        if (CacheEntry* e = c.find_mut(id)) {
          e->root.fill(static_cast<uint8_t>(step));
          model[id].root.fill(static_cast<uint8_t>(step));
        } else {
          EXPECT_EQ(model.count(id), 0u);
        }
        break;
      case 3:
        c.erase(id);
        model.erase(id);
        break;
    }
    if (step % 97 == 0) {
      ASSERT_EQ(c.digest(), rebuilt(model).digest()) << "step " << step;
    }
  }
  ASSERT_EQ(c.size(), model.size());
  EXPECT_EQ(c.digest(), rebuilt(model).digest());
  auto sorted = c.sorted();
  ASSERT_EQ(sorted.size(), model.size());
  auto m = model.begin();
  for (const auto& [id, e] : sorted) {
    EXPECT_EQ(id, m->first);
    EXPECT_EQ(*e, m->second);
    ASSERT_EQ(c.find(id), e);
    ++m;
  }
}

TEST(ReplyCache, DigestDependsOnEveryField) {
  std::map<ClientId, CacheEntry> base{{7, entry(1, 2, 3, "r")}, {9, entry(4, 5, 6, "s")}};
  Hash32 d = rebuilt(base).digest();
  EXPECT_EQ(rebuilt(base).digest(), d);
  auto changed = [&](auto edit) {
    auto m = base;
    edit(m);
    return rebuilt(m).digest();
  };
  EXPECT_NE(changed([](auto& m) { m[7].seq = 2; }), d);
  EXPECT_NE(changed([](auto& m) { m[7].k = 3; }), d);
  EXPECT_NE(changed([](auto& m) { m[7].root.fill(0); }), d);
  EXPECT_NE(changed([](auto& m) { m[9] = entry(4, 5, 6, "t"); }), d);
  EXPECT_NE(changed([](auto& m) { m[8] = m[7]; m.erase(7); }), d);  // same entry, other client
  EXPECT_NE(changed([](auto& m) { m.erase(9); }), d);
  EXPECT_NE(ReplyCache().digest(), d);
  // Emptied again: the same digest as a cache that never held anything.
  ReplyCache c = rebuilt(base);
  c.erase(7);
  c.erase(9);
  EXPECT_EQ(c.digest(), ReplyCache().digest());
}

namespace rampart::replica {
namespace {
// The digest's definition is part of the data-folder format (kStoreFormat 5 and later): pinned, so a
// faster way of computing it cannot quietly change it. Buckets of 1 up to 30 entries (the
// latter more than the 16 blocks hashed together, so the one-at-a-time path is covered too).
TEST(ReplyCache, DigestOfAFixedCacheIsPinned) {
  ReplyCache c;
  for (uint64_t i = 0; i < 9000; ++i)
    c.put(i, CacheEntry{i + 1, i / 7, Hash32{static_cast<uint8_t>(i)}, Bytes{1, 2}, reply_result_hash(Bytes{1, 2})});
  // 30 ids in one bucket (the bucket is the top 12 bits of id x G mod 2^64): id = G^-1 x (t + j).
  const uint64_t g = 0x9E3779B97F4A7C15ull;
  uint64_t inv = g;
  for (int i = 0; i < 6; ++i) inv *= 2 - g * inv;  // Newton: inverse of odd g mod 2^64
  ASSERT_EQ(g * inv, 1u);
  for (uint64_t j = 0; j < 30; ++j) {
    const uint64_t id = inv * ((uint64_t{77} << 52) + j);
    c.put(id, CacheEntry{1, 1, Hash32{}, Bytes{}, reply_result_hash({})});
  }
  EXPECT_EQ(to_hex(c.digest()), "218956eee1c1ab5e08c66f5cdd57742fd2c613904f92e64cb68e2f5084b53ad4");
}
}  // namespace
}  // namespace rampart::replica
