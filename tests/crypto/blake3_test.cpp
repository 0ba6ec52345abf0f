// BLAKE3 against the official test vectors (blake3_test_vectors.json, copied verbatim from the
// BLAKE3 repository; see its "_source" field): hash, keyed_hash and derive_key, both the 32-byte
// default output and the full 131-byte extended output, one-shot and incremental.
#include "crypto/blake3.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace rampart::crypto {
namespace {

nlohmann::json load_vectors() {
  std::ifstream in(std::string(RAMPART_CRYPTO_TEST_DIR) + "/blake3_test_vectors.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

Bytes input(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i % 251);
  return b;
}

std::string xof_hex(const blake3::Hasher& h, size_t n) {
  Bytes out(n);
  h.finalize(out);
  return to_hex(out);
}

TEST(Blake3, OfficialVectors) {
  const auto v = load_vectors();
  const std::string key_str = v["key"];
  ASSERT_EQ(key_str.size(), 32u);
  Hash32 key;
  std::copy(key_str.begin(), key_str.end(), key.begin());
  const std::string context = v["context_string"];
  ASSERT_EQ(v["cases"].size(), 22u);
  for (const auto& c : v["cases"]) {
    const size_t len = c["input_len"];
    SCOPED_TRACE("input_len=" + std::to_string(len));
    const Bytes in = input(len);
    const std::string hash = c["hash"], keyed = c["keyed_hash"], derive = c["derive_key"];
    ASSERT_EQ(hash.size(), 262u);

    EXPECT_EQ(to_hex(blake3::hash(in)), hash.substr(0, 64));
    EXPECT_EQ(to_hex(blake3::keyed_hash(key, in)), keyed.substr(0, 64));
    EXPECT_EQ(to_hex(blake3::derive_key(context, in)), derive.substr(0, 64));

    EXPECT_EQ(xof_hex(blake3::Hasher().update(in), 131), hash);
    EXPECT_EQ(xof_hex(blake3::Hasher::keyed(key).update(in), 131), keyed);
    EXPECT_EQ(xof_hex(blake3::Hasher::derive_key(context).update(in), 131), derive);
  }
}

TEST(Blake3, IncrementalMatchesOneShotAcrossSplits) {
  const Bytes in = input(8193);
  const Hash32 want = blake3::hash(in);
  for (size_t step : {1u, 63u, 64u, 65u, 1023u, 1024u, 4096u}) {
    blake3::Hasher h;
    for (size_t off = 0; off < in.size(); off += step)
      h.update(ByteView(in).subspan(off, std::min(step, in.size() - off)));
    EXPECT_EQ(h.finalize(), want) << "step " << step;
  }
}

TEST(Blake3, ResetAndSeek) {
  const Bytes in = input(100);
  blake3::Hasher h;
  h.update(in);
  Hash32 first = h.finalize();
  h.reset();
  EXPECT_EQ(h.update(in).finalize(), first);
  Bytes full(131), tail(31);
  h.finalize(full);
  h.finalize(tail, 100);
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), full.begin() + 100));
}

TEST(Blake3, KeyedHashMany64MatchesOneShot) {
  Hash32 key;
  for (size_t i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(7 * i + 1);
  const Bytes in = input(64 * 40);
  for (size_t n : {1u, 2u, 3u, 4u, 7u, 8u, 9u, 15u, 16u, 17u, 33u, 40u}) {
    std::vector<const uint8_t*> ptrs;
    for (size_t i = 0; i < n; ++i) ptrs.push_back(in.data() + 64 * ((i * 13) % 40));
    std::vector<Hash32> out(n);
    blake3::keyed_hash_many_64(key, ptrs.data(), n, out.data());
    for (size_t i = 0; i < n; ++i)
      EXPECT_EQ(out[i], blake3::keyed_hash(key, ByteView(ptrs[i], 64))) << n << " " << i;
  }
}

TEST(Blake3, KeyedHashManyOfEveryBlockCountMatchesOneShot) {
  Hash32 key;
  for (size_t i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(11 * i + 5);
  const Bytes in = input(64 * 16 * 20);
  for (size_t blocks = 1; blocks <= blake3::kMaxManyBlocks; ++blocks) {
    for (size_t n : {1u, 5u, 16u, 19u}) {
      std::vector<const uint8_t*> ptrs;
      for (size_t i = 0; i < n; ++i) ptrs.push_back(in.data() + 64 * 16 * i + 64 * (blocks % 3));
      std::vector<Hash32> out(n);
      blake3::keyed_hash_many(key, ptrs.data(), n, blocks, out.data());
      for (size_t i = 0; i < n; ++i)
        EXPECT_EQ(out[i], blake3::keyed_hash(key, ByteView(ptrs[i], 64 * blocks))) << blocks << " " << n << " " << i;
    }
  }
}

TEST(Blake3, ShortKeyedHashFastPathMatchesHasher) {
  Hash32 key;
  for (size_t i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(255 - 3 * i);
  const Bytes in = input(200);
  for (size_t len = 0; len <= 130; ++len) {
    ByteView v(in.data() + 3, len);
    EXPECT_EQ(blake3::keyed_hash(key, v), blake3::Hasher::keyed(key).update(v).finalize()) << len;
  }
}

TEST(Blake3, ShortHashFastPathMatchesHasher) {
  const Bytes in = input(200);
  for (size_t len = 0; len <= 130; ++len) {
    ByteView v(in.data() + 5, len);
    EXPECT_EQ(blake3::hash(v), blake3::Hasher().update(v).finalize()) << len;
  }
}

TEST(Blake3, KeyedHashPackedMatchesOneShotAndSkipsEmpty) {
  Hash32 key;
  for (size_t i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(7 * i + 1);
  const Bytes in = input(4000);
  std::vector<size_t> at{0};
  for (size_t len : {64, 0, 30, 128, 64, 1024, 1088, 65, 640}) at.push_back(at.back() + len);
  std::vector<Hash32> out(at.size() - 1, Hash32{});
  out[1][0] = 0xee;  // the empty input's slot must stay as it was
  blake3::keyed_hash_packed(key, ByteView(in.data(), at.back()), at, out.data());
  for (size_t i = 0; i + 1 < at.size(); ++i) {
    if (at[i + 1] == at[i]) {
      EXPECT_EQ(out[i][0], 0xee);
      continue;
    }
    EXPECT_EQ(out[i], blake3::keyed_hash(key, ByteView(in.data() + at[i], at[i + 1] - at[i]))) << i;
  }
}

TEST(Blake3, ModesDiffer) {
  Hash32 zero{};
  const Bytes in = input(10);
  EXPECT_NE(blake3::hash(in), blake3::keyed_hash(zero, in));
  EXPECT_NE(blake3::derive_key("a", in), blake3::derive_key("b", in));
}

}  // namespace
}  // namespace rampart::crypto
