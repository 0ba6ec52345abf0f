// Node-level peer messages: round trips and rejection of malformed input.
#include <gtest/gtest.h>

#include "replica/peer_msg.hpp"

namespace rampart::replica {
namespace {

TEST(PeerMsg, ShareRoundTripAndTruncation) {
  ShareMsg s{7, 3, {}, Bytes(48, 9)};
  s.hash[0] = 1;
  Bytes w = encode_share(s);
  ASSERT_EQ(w[0], static_cast<uint8_t>(PeerTag::share));
  auto d = decode_share(ByteView(w).subspan(1));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->k, 7u);
  EXPECT_EQ(d->view, 3u);
  EXPECT_EQ(d->hash, s.hash);
  EXPECT_EQ(d->share, s.share);
  for (size_t cut = 1; cut < w.size(); ++cut) EXPECT_FALSE(decode_share(ByteView(w).subspan(1, cut - 1))) << cut;
}

TEST(PeerMsg, DurableRoundTripFlagsAndTruncation) {
  DurableMsg m{9, {}, {}, true, false};
  m.head[0] = 1;
  m.proof[31] = 2;
  for (bool checked : {false, true})
    for (bool ask : {false, true}) {
      m.checked = checked;
      m.ask = ask;
      Bytes w = encode_durable(m);
      ASSERT_EQ(w[0], static_cast<uint8_t>(PeerTag::durable));
      auto d = decode_durable(ByteView(w).subspan(1));
      ASSERT_TRUE(d);
      EXPECT_EQ(*d, m);
    }
  Bytes w = encode_durable(m);
  for (size_t cut = 1; cut < w.size(); ++cut) EXPECT_FALSE(decode_durable(ByteView(w).subspan(1, cut - 1))) << cut;
  w.back() |= 4;  // an unknown flag
  auto bad = decode_durable(ByteView(w).subspan(1));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("flags"), std::string::npos);
}

TEST(PeerMsg, StateRequestAndResponse) {
  auto q = decode_state_req(ByteView(encode_state_req(5, 64)).subspan(1));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->first, 5u);
  EXPECT_EQ(q->second, 64u);
  StateResp r;
  r.checkpoint.k = 64;
  r.snapshot = to_bytes("snap");
  ledger::Block b;
  b.k = 5;
  b.proof = Bytes(48, 3);
  r.blocks.push_back(b);
  r.batches.push_back(to_bytes("batch"));
  Bytes w = encode_state_resp(r);
  auto d = decode_state_resp(ByteView(w).subspan(1));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->checkpoint.k, 64u);
  EXPECT_EQ(d->blocks.size(), 1u);
  EXPECT_EQ(d->blocks[0], b);
  EXPECT_EQ(d->batches[0], to_bytes("batch"));
  Bytes junk = w;
  junk.push_back(0);
  EXPECT_FALSE(decode_state_resp(ByteView(junk).subspan(1)));
}

}  // namespace
}  // namespace rampart::replica
