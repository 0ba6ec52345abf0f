// Wire formats: the VoidPhone API messages byte for byte, the stream splitter, the P2P
// messages and the handshake frames; round trips and the rejections of bad input.
#include <gtest/gtest.h>

#include "gossip/api_message.hpp"
#include "gossip/handshake.hpp"
#include "gossip/p2p_message.hpp"

using namespace rampart;
using namespace rampart::gossip;

namespace {

Bytes hex(const char* h) {
  Bytes b;
  EXPECT_TRUE(from_hex(h, b)) << h;
  return b;
}

std::string decode_error(const Bytes& b) {
  auto m = decode_api(b);
  return m ? std::string("accepted") : m.error().message;
}

}  // namespace

TEST(GossipApiCodec, EncodesThePublishedLayout) {
  // size 10 | type 500 | ttl 3 | reserved | data type 0x1234 | "ab"
  EXPECT_EQ(*encode_api(Announce{3, 0x1234, to_bytes("ab")}), hex("000a01f40300123461" "62"));
  EXPECT_EQ(*encode_api(Notify{0x0102}), hex("000801f500000102"));
  EXPECT_EQ(*encode_api(Notification{0xbeef, 7, to_bytes("x")}), hex("000901f6beef000778"));
  EXPECT_EQ(*encode_api(Validation{0x0a0b, true}), hex("000801f70a0b0001"));
  EXPECT_EQ(*encode_api(Validation{0x0a0b, false}), hex("000801f70a0b0000"));
}

TEST(GossipApiCodec, RoundTrips) {
  std::vector<ApiMessage> all = {Announce{0, 65535, {}}, Announce{255, 1, Bytes(kMaxData, 0x5a)}, Notify{9},
                                 Notification{1, 2, to_bytes("payload")}, Validation{65535, true}, Validation{0, false}};
  for (auto& m : all) {
    auto b = encode_api(m);
    ASSERT_TRUE(b.ok());
    auto d = decode_api(*b);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(*d, m);
  }
}

TEST(GossipApiCodec, ReservedBitsAreIgnored) {
  auto v = decode_api(hex("000801f70a0bfffe"));  // every reserved bit set, V = 0
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(std::get<Validation>(*v).valid);
  auto a = decode_api(hex("000901f405ff00017a"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(std::get<Announce>(*a), (Announce{5, 1, to_bytes("z")}));
}

TEST(GossipApiCodec, RefusesOversizeData) {
  EXPECT_FALSE(encode_api(Announce{0, 1, Bytes(kMaxData + 1, 0)}).ok());
  EXPECT_FALSE(encode_api(Notification{0, 1, Bytes(kMaxData + 1, 0)}).ok());
}

TEST(GossipApiCodec, RejectsMalformedMessages) {
  EXPECT_NE(decode_error(hex("0008")).find("truncated"), std::string::npos);
  EXPECT_NE(decode_error(hex("000901f500000102")).find("size field says 9"), std::string::npos);
  EXPECT_NE(decode_error(hex("000701f500000102ff")).find("size field says 7"), std::string::npos);
  EXPECT_NE(decode_error(hex("000401f3")).find("unknown type 499"), std::string::npos);
  EXPECT_NE(decode_error(hex("000601f50000")).find("NOTIFY must be 8"), std::string::npos);
  EXPECT_NE(decode_error(hex("000901f500000102ff")).find("NOTIFY must be 8"), std::string::npos);
  EXPECT_NE(decode_error(hex("000a01f70a0b00010000")).find("VALIDATION must be 8"), std::string::npos);
  EXPECT_NE(decode_error(hex("000601f70a0b")).find("VALIDATION must be 8"), std::string::npos);
  EXPECT_NE(decode_error(hex("000701f4030012")).find("ANNOUNCE truncated"), std::string::npos);
  EXPECT_NE(decode_error(hex("000601f6beef")).find("NOTIFICATION truncated"), std::string::npos);
}

TEST(GossipApiStream, SplitsAnyChunkingTheSameWay) {
  Bytes stream;
  std::vector<ApiMessage> sent = {Notify{1}, Announce{2, 3, Bytes(1000, 7)}, Validation{4, true},
                                  Announce{0, 5, {}}, Notification{6, 7, to_bytes("n")}};
  for (auto& m : sent) {
    auto b = *encode_api(m);
    stream.insert(stream.end(), b.begin(), b.end());
  }
  for (size_t chunk : {1u, 2u, 3u, 5u, 7u, 64u, 100000u}) {
    ApiStreamDecoder d;
    std::vector<ApiMessage> got;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      ByteView part(stream.data() + at, std::min(chunk, stream.size() - at));
      ASSERT_TRUE(d.feed(part, [&](ByteView m) {
                     got.push_back(*decode_api(m));
                     return true;
                   }).ok());
    }
    EXPECT_EQ(got, sent) << "chunk " << chunk;
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(GossipApiStream, SizeBelowHeaderFailsForGood) {
  for (size_t chunk : {1u, 4u, 100u}) {
    ApiStreamDecoder d;
    Bytes bad = hex("000801f500000001000301f5");  // a NOTIFY, then size 3
    Status st;
    size_t got = 0;
    for (size_t at = 0; at < bad.size() && st.ok(); at += chunk)
      st = d.feed(ByteView(bad.data() + at, std::min(chunk, bad.size() - at)), [&](ByteView) {
        ++got;
        return true;
      });
    EXPECT_FALSE(st.ok()) << "chunk " << chunk;
    EXPECT_EQ(got, 1u);
    EXPECT_TRUE(d.failed());
    EXPECT_FALSE(d.feed(hex("000801f500000001"), [](ByteView) { return true; }).ok());
  }
}

TEST(GossipP2pCodec, RoundTrips) {
  std::vector<P2pMessage> all = {ItemMsg{0, 0, 1, {}}, ItemMsg{255, 9, 65535, Bytes(kMaxData, 1)}, PeersRequest{},
                                 PeersMsg{{}}, PeersMsg{{"127.0.0.1:1", "[::1]:65535", std::string(262, 'h')}}};
  for (auto& m : all) {
    auto d = decode_p2p(encode_p2p(m));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(*d, m);
  }
}

TEST(GossipP2pCodec, RejectsMalformed) {
  auto error = [](const Bytes& b) {
    auto m = decode_p2p(b);
    return m ? std::string("accepted") : m.error().message;
  };
  EXPECT_NE(error({}), "accepted");
  EXPECT_NE(error({9}).find("unknown gossip peer message kind 9"), std::string::npos);
  Bytes item = encode_p2p(ItemMsg{1, 1, 1, to_bytes("abc")});
  for (size_t cut = 0; cut < item.size(); ++cut)
    EXPECT_NE(error(Bytes(item.begin(), item.begin() + cut)), "accepted") << cut;
  Bytes trailing = item;
  trailing.push_back(0);
  EXPECT_NE(error(trailing), "accepted");
  // An item whose length field claims more than the API can carry.
  Bytes huge = {1, 0, 0, 0, 1};
  uint32_t n = kMaxData + 1;
  for (int i = 0; i < 4; ++i) huge.push_back(static_cast<uint8_t>(n >> (8 * i)));
  huge.resize(huge.size() + n);
  EXPECT_NE(error(huge).find("above limit"), std::string::npos);
  // A peer list longer than kMaxPeerList.
  PeersMsg many;
  for (size_t i = 0; i <= kMaxPeerList; ++i) many.addresses.push_back("h:1");
  EXPECT_NE(error(encode_p2p(many)).find("above limit"), std::string::npos);
}

TEST(GossipP2pCodec, ContentIdIgnoresTtlAndHopsButNotTypeOrData) {
  EXPECT_EQ(content_id(1, to_bytes("a")), content_id(1, to_bytes("a")));
  EXPECT_NE(content_id(1, to_bytes("a")), content_id(2, to_bytes("a")));
  EXPECT_NE(content_id(1, to_bytes("a")), content_id(1, to_bytes("b")));
}

TEST(GossipHandshakeCodec, RoundTripsAndRejects) {
  Hello h;
  h.role = Role::acceptor;
  h.difficulty = 12;
  h.challenge.fill(3);
  h.ephemeral.fill(4);
  h.address = "127.0.0.1:6001";
  h.public_key = Bytes(44, 5);
  Bytes b = encode_hello(h);
  ASSERT_TRUE(decode_hello(b).ok());
  EXPECT_EQ(*decode_hello(b), h);
  for (size_t cut = 0; cut < b.size(); ++cut) EXPECT_FALSE(decode_hello(Bytes(b.begin(), b.begin() + cut)).ok());
  Bytes bad_magic = b;
  bad_magic[1] ^= 1;
  EXPECT_NE(decode_hello(bad_magic).error().message.find("magic"), std::string::npos);
  Bytes bad_role = b;
  bad_role[6] = 2;
  EXPECT_FALSE(decode_hello(bad_role).ok());
  Bytes bad_difficulty = b;
  bad_difficulty[7] = 33;
  EXPECT_FALSE(decode_hello(bad_difficulty).ok());
  Bytes trailing = b;
  trailing.push_back(0);
  EXPECT_FALSE(decode_hello(trailing).ok());

  Auth a{0x0102030405060708ull, Bytes(64, 9)};
  Bytes ab = encode_auth(a);
  EXPECT_EQ(*decode_auth(ab), a);
  EXPECT_FALSE(decode_auth(Bytes(ab.begin(), ab.end() - 1)).ok());
  EXPECT_FALSE(decode_auth(b).ok());  // a HELLO where an AUTH belongs
}
