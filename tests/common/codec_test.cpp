#include <gtest/gtest.h>

#include "common/codec.hpp"

using namespace rampart;

TEST(Codec, RoundTripLittleEndian) {
  Writer w;
  w.u8(7);
  w.u16(0x1234);
  w.u32(0xdeadbeef);
  w.u64(0x0102030405060708ull);
  w.boolean(true);
  w.str("hello");
  Hash32 h{};
  h[0] = 9;
  w.fixed(h);
  Bytes b = w.take();
  EXPECT_EQ(b[1], 0x34);  // little-endian low byte first

  Reader r(b);
  EXPECT_EQ(r.u8(), 7);
  EXPECT_EQ(r.u16(), 0x1234);
  EXPECT_EQ(r.u32(), 0xdeadbeefu);
  EXPECT_EQ(r.u64(), 0x0102030405060708ull);
  EXPECT_TRUE(r.boolean());
  EXPECT_EQ(r.str(16), "hello");
  EXPECT_EQ(r.fixed<32>(), h);
  EXPECT_TRUE(r.finish().ok());
}

TEST(Codec, BigEndianForGossip) {
  Writer w(Endian::big);
  w.u16(500);
  Bytes b = w.take();
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], 0x01);
  EXPECT_EQ(b[1], 0xf4);
  Reader r(b, Endian::big);
  EXPECT_EQ(r.u16(), 500);
  // Every width, both byte orders, read back through the inline fast path.
  for (Endian e : {Endian::big, Endian::little}) {
    Writer w2(e);
    w2.u8(0xab);
    w2.u16(0x1234);
    w2.u32(0x89abcdefu);
    w2.u64(0x0102030405060708ull);
    Bytes b2 = w2.take();
    EXPECT_EQ(b2[1], e == Endian::big ? 0x12 : 0x34);
    EXPECT_EQ(b2[7], e == Endian::big ? 0x01 : 0x08);
    Reader r2(b2, e);
    EXPECT_EQ(r2.u8(), 0xab);
    EXPECT_EQ(r2.u16(), 0x1234);
    EXPECT_EQ(r2.u32(), 0x89abcdefu);
    EXPECT_EQ(r2.u64(), 0x0102030405060708ull);
    EXPECT_TRUE(r2.finish().ok());
  }
}

TEST(Codec, TruncatedIntegerIsStickyError) {
  Bytes b{1, 2, 3};
  Reader r(b);
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.u8(), 0);  // sticky: nothing read after the first failure
  auto s = r.finish();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("truncated"), std::string::npos);
}

TEST(Codec, LengthAboveLimitRejectedBeforeAllocation) {
  Writer w;
  w.u32(1u << 30);  // claims 1 GiB
  Bytes b = w.take();
  Reader r(b);
  EXPECT_TRUE(r.bytes(1024).empty());
  EXPECT_FALSE(r.finish().ok());
}

TEST(Codec, LengthWithinLimitButBeyondBufferRejected) {
  Writer w;
  w.u32(100);
  w.raw(Bytes(10, 0));
  Bytes b = w.take();
  Reader r(b);
  EXPECT_TRUE(r.bytes(1000).empty());
  EXPECT_FALSE(r.finish().ok());
}

TEST(Codec, CountRejectsMoreElementsThanBytesRemain) {
  Writer w;
  w.u32(1000);  // 1000 elements of >= 8 bytes each, but only 16 bytes follow
  w.raw(Bytes(16, 0));
  Bytes b = w.take();
  Reader r(b);
  EXPECT_EQ(r.count(1u << 20, 8), 0u);
  EXPECT_FALSE(r.status().ok());

  Reader r2(b);
  EXPECT_EQ(r2.count(10, 0), 0u);  // above max_count
  EXPECT_FALSE(r2.status().ok());
}

TEST(Codec, CountAcceptsWhatFits) {
  Writer w;
  w.u32(2);
  w.u64(1);
  w.u64(2);
  Bytes b = w.take();
  Reader r(b);
  EXPECT_EQ(r.count(10, 8), 2u);
  EXPECT_EQ(r.u64(), 1u);
  EXPECT_EQ(r.u64(), 2u);
  EXPECT_TRUE(r.finish().ok());
}

TEST(Codec, TrailingBytesFailFinishButNotStatus) {
  Bytes b{1, 2};
  Reader r(b);
  r.u8();
  EXPECT_TRUE(r.status().ok());
  EXPECT_FALSE(r.finish().ok());
}

TEST(Codec, BadBooleanRejected) {
  Bytes b{2};
  Reader r(b);
  r.boolean();
  EXPECT_FALSE(r.finish().ok());
}

TEST(Codec, FirstErrorReasonKept) {
  Bytes b{};
  Reader r(b);
  r.fail("custom reason");
  r.u8();
  EXPECT_NE(r.finish().error().message.find("custom reason"), std::string::npos);
}

TEST(Hex, RoundTripAndRejects) {
  Bytes b{0x00, 0xab, 0xff};
  EXPECT_EQ(to_hex(b), "00abff");
  Bytes out;
  EXPECT_TRUE(from_hex("00ABff", out));
  EXPECT_EQ(out, b);
  EXPECT_FALSE(from_hex("abc", out));
  EXPECT_FALSE(from_hex("zz", out));
}
