// Frame codec: exact, split, truncated and oversize input.
#include <gtest/gtest.h>

#include "net/frame.hpp"

namespace rampart::net {
namespace {

TEST(Frame, ExactFrameRoundTrip) {
  Bytes payload = to_bytes("hello frames");
  Bytes wire = encode_frame(payload);
  ASSERT_EQ(wire.size(), payload.size() + kFrameHeaderBytes);
  EXPECT_EQ(wire[0], payload.size());
  FrameDecoder d(64);
  std::vector<Bytes> out;
  ASSERT_TRUE(d.feed(wire, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], payload);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(Frame, ManyFramesInOneChunkAndEmptyFrame) {
  Bytes wire;
  append_frame(wire, to_bytes("a"));
  append_frame(wire, {});
  append_frame(wire, to_bytes("ccc"));
  FrameDecoder d(64);
  std::vector<Bytes> out;
  ASSERT_TRUE(d.feed(wire, out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], to_bytes("a"));
  EXPECT_TRUE(out[1].empty());
  EXPECT_EQ(out[2], to_bytes("ccc"));
}

TEST(Frame, ByteByByteFeeding) {
  Bytes wire;
  append_frame(wire, to_bytes("split across reads"));
  append_frame(wire, to_bytes("second"));
  FrameDecoder d(64);
  std::vector<Bytes> out;
  for (uint8_t b : wire) ASSERT_TRUE(d.feed(ByteView(&b, 1), out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], to_bytes("split across reads"));
  EXPECT_EQ(out[1], to_bytes("second"));
}

TEST(Frame, TruncatedFrameYieldsNothingYet) {
  Bytes wire = encode_frame(to_bytes("truncated payload"));
  FrameDecoder d(64);
  std::vector<Bytes> out;
  ASSERT_TRUE(d.feed(ByteView(wire).first(wire.size() - 1), out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.buffered(), wire.size() - 1);
  ASSERT_TRUE(d.feed(ByteView(wire).last(1), out).ok());
  ASSERT_EQ(out.size(), 1u);
  // A partial header alone is also held, not delivered.
  FrameDecoder d2(64);
  std::vector<Bytes> out2;
  ASSERT_TRUE(d2.feed(ByteView(wire).first(3), out2).ok());
  EXPECT_TRUE(out2.empty());
}

TEST(Frame, LimitIsInclusive) {
  FrameDecoder d(8);
  std::vector<Bytes> out;
  ASSERT_TRUE(d.feed(encode_frame(Bytes(8, 1)), out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(d.feed(encode_frame(Bytes(9, 1)), out).ok());
  EXPECT_TRUE(d.failed());
  EXPECT_EQ(out.size(), 1u);
}

TEST(Frame, OversizeHeaderFailsBeforeAnyPayload) {
  // A 4 GiB announcement fails on the header alone and buffers nothing.
  Bytes header = {0xff, 0xff, 0xff, 0xff};
  FrameDecoder d;
  std::vector<Bytes> out;
  auto st = d.feed(header, out);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(d.buffered(), 0u);
  // The decoder stays failed.
  EXPECT_FALSE(d.feed(encode_frame(to_bytes("x")), out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(Frame, FramesBeforeAnOversizeOneAreKept) {
  Bytes wire;
  append_frame(wire, to_bytes("good"));
  append_frame(wire, Bytes(100, 0));
  FrameDecoder d(16);
  std::vector<Bytes> out;
  EXPECT_FALSE(d.feed(wire, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], to_bytes("good"));
}

TEST(Frame, HugeAnnouncedLengthDoesNotReserveIt) {
  // 16 MiB announced, 10 bytes sent: the decoder holds about 10 bytes, not 16 MiB.
  Bytes wire = {0x00, 0x00, 0x00, 0x01};
  wire.resize(wire.size() + 10, 7);
  FrameDecoder d;
  std::vector<Bytes> out;
  ASSERT_TRUE(d.feed(wire, out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.buffered(), kFrameHeaderBytes + 10u);
}

TEST(Frame, ViewFeedPointsIntoTheInputAndAssemblesSplitFrames) {
  Bytes wire;
  append_frame(wire, to_bytes("first"));
  append_frame(wire, {});
  append_frame(wire, to_bytes("split across reads"));
  const size_t cut = wire.size() - 5;  // inside the third frame
  FrameDecoder d(64);
  std::vector<Bytes> got;
  std::vector<bool> in_input;
  auto on = [&](ByteView f) {
    got.emplace_back(f.begin(), f.end());
    in_input.push_back(f.empty() || (f.data() >= wire.data() && f.data() + f.size() <= wire.data() + wire.size()));
  };
  ASSERT_TRUE(d.feed(ByteView(wire).first(cut), on).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(d.buffered(), cut - (2 * kFrameHeaderBytes + 5));
  ASSERT_TRUE(d.feed(ByteView(wire).subspan(cut), on).ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], to_bytes("first"));
  EXPECT_TRUE(got[1].empty());
  EXPECT_EQ(got[2], to_bytes("split across reads"));
  // Whole frames were not copied; the split one came from the decoder's own buffer.
  EXPECT_TRUE(in_input[0]);
  EXPECT_FALSE(in_input[2]);
  EXPECT_EQ(d.buffered(), 0u);
  // An oversize frame fails the view feed like the other.
  FrameDecoder small(4);
  EXPECT_FALSE(small.feed(encode_frame(to_bytes("too long")), on).ok());
  EXPECT_TRUE(small.failed());
}

// A client-channel record: whole frames end to end, each handed over; a frame over the limit or
// cut short fails after the ones before it.
TEST(Frame, ARecordSplitsIntoItsWholeFrames) {
  Bytes rec;
  append_frame(rec, to_bytes("a"));
  append_frame(rec, {});
  append_frame(rec, to_bytes("ccc"));
  std::vector<Bytes> got;
  auto take = [&](ByteView f) {
    got.emplace_back(f.begin(), f.end());
    return true;
  };
  ASSERT_TRUE(for_each_frame(rec, 3, take));
  EXPECT_EQ(got, (std::vector<Bytes>{to_bytes("a"), {}, to_bytes("ccc")}));
  got.clear();
  EXPECT_FALSE(for_each_frame(rec, 2, take)) << "a frame over the limit";
  EXPECT_EQ(got.size(), 2u);
  got.clear();
  EXPECT_FALSE(for_each_frame(ByteView(rec).first(rec.size() - 1), 3, take)) << "cut short";
  EXPECT_EQ(got.size(), 2u);
}

}  // namespace
}  // namespace rampart::net
