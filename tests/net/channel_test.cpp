// The replica channel: handshake agreement, round trips, and every way a frame must fail.
#include <gtest/gtest.h>

#include "crypto/channel.hpp"

namespace rampart::crypto {
namespace {

struct Pair {
  Channel a;  // initiator side
  Channel b;  // responder side
};

Pair connect(const ChannelKeypair& ka, const ChannelKeypair& kb) {
  Handshake ha(HandshakeRole::initiator, 0, ka);
  Handshake hb(HandshakeRole::responder, 1, kb);
  auto ca = ha.finish(hb.hello(), kb.pk);
  auto cb = hb.finish(ha.hello(), ka.pk);
  EXPECT_TRUE(ca.ok());
  EXPECT_TRUE(cb.ok());
  return Pair{std::move(*ca), std::move(*cb)};
}

TEST(Channel, RoundTripBothDirections) {
  auto ka = ChannelKeypair::generate(), kb = ChannelKeypair::generate();
  auto [a, b] = connect(ka, kb);
  for (int i = 0; i < 5; ++i) {
    Bytes msg = to_bytes("message " + std::to_string(i));
    auto sealed = a.seal(msg);
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->size(), msg.size() + Channel::kTagBytes);
    auto opened = b.open(*sealed);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(*opened, msg);
    auto back = b.seal(msg);
    auto got = a.open(*back);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, msg);
  }
  auto empty = a.seal({});
  EXPECT_TRUE(b.open(*empty).ok());
  EXPECT_EQ(a.sent(), 6u);
  EXPECT_EQ(b.received(), 6u);
}

TEST(Channel, DirectionsUseDifferentKeys) {
  auto ka = ChannelKeypair::generate(), kb = ChannelKeypair::generate();
  auto [a, b] = connect(ka, kb);
  // A's own message reflected back to A must not open.
  auto sealed = a.seal(to_bytes("hello"));
  EXPECT_FALSE(a.open(*sealed).ok());
}

TEST(Channel, TamperedFrameRejected) {
  auto ka = ChannelKeypair::generate(), kb = ChannelKeypair::generate();
  auto [a, b] = connect(ka, kb);
  Bytes msg = to_bytes("transfer 10 to bob");
  auto sealed = *a.seal(msg);
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_FALSE(b.open(bad).ok()) << "flip at byte " << i;
  }
  Bytes truncated(sealed.begin(), sealed.end() - 1);
  EXPECT_FALSE(b.open(truncated).ok());
  EXPECT_FALSE(b.open(Bytes(5, 0)).ok());
  // Failures did not advance the counter: the genuine frame still opens.
  auto ok = b.open(sealed);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, msg);
}

TEST(Channel, ReplayAndReorderRejected) {
  auto ka = ChannelKeypair::generate(), kb = ChannelKeypair::generate();
  auto [a, b] = connect(ka, kb);
  auto m0 = *a.seal(to_bytes("zero"));
  auto m1 = *a.seal(to_bytes("one"));
  auto m2 = *a.seal(to_bytes("two"));
  EXPECT_FALSE(b.open(m1).ok());  // reordered: expects counter 0
  ASSERT_TRUE(b.open(m0).ok());
  EXPECT_FALSE(b.open(m0).ok());  // replayed
  EXPECT_FALSE(b.open(m2).ok());  // skipped one
  ASSERT_TRUE(b.open(m1).ok());
  ASSERT_TRUE(b.open(m2).ok());
}

TEST(Channel, WrongStaticKeyRejected) {
  auto ka = ChannelKeypair::generate(), kb = ChannelKeypair::generate();
  auto mallory = ChannelKeypair::generate();
  // Mallory claims to be node 0 but holds her own key; B uses node 0's configured key.
  Handshake hm(HandshakeRole::initiator, 0, mallory);
  Handshake hb(HandshakeRole::responder, 1, kb);
  auto cm = hm.finish(hb.hello(), kb.pk);
  auto cb = hb.finish(hm.hello(), ka.pk);
  ASSERT_TRUE(cm.ok());
  ASSERT_TRUE(cb.ok());
  auto confirm = cm->seal(confirm_plaintext());
  EXPECT_FALSE(cb->open(*confirm).ok());
  auto other = cb->seal(confirm_plaintext());
  EXPECT_FALSE(cm->open(*other).ok());
}

TEST(Channel, ReplayedHandshakeYieldsDifferentKeys) {
  // An attacker records A's Hello and first sealed frame and replays them to B later: B's new
  // ephemeral key gives a different session, so the recorded frame does not open.
  auto ka = ChannelKeypair::generate(), kb = ChannelKeypair::generate();
  Handshake ha(HandshakeRole::initiator, 0, ka);
  Handshake hb1(HandshakeRole::responder, 1, kb);
  auto ca = ha.finish(hb1.hello(), kb.pk);
  Bytes recorded_hello = ha.hello();
  Bytes recorded_frame = *ca->seal(confirm_plaintext());
  auto cb1 = hb1.finish(recorded_hello, ka.pk);
  EXPECT_TRUE(cb1->open(recorded_frame).ok());

  Handshake hb2(HandshakeRole::responder, 1, kb);
  auto cb2 = hb2.finish(recorded_hello, ka.pk);
  ASSERT_TRUE(cb2.ok());
  EXPECT_FALSE(cb2->open(recorded_frame).ok());
}

TEST(Channel, HelloCodecIsStrict) {
  Hello h{HandshakeRole::responder, 7, {}};
  h.ephemeral[0] = 9;
  Bytes b = encode_hello(h);
  EXPECT_EQ(b.size(), kHelloBytes);
  auto d = decode_hello(b);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->node, 7u);
  EXPECT_EQ(d->role, HandshakeRole::responder);
  EXPECT_EQ(d->ephemeral, h.ephemeral);

  Bytes longer = b;
  longer.push_back(0);
  EXPECT_FALSE(decode_hello(longer).ok());
  EXPECT_FALSE(decode_hello(ByteView(b).first(b.size() - 1)).ok());
  Bytes bad_magic = b;
  bad_magic[0] ^= 1;
  EXPECT_FALSE(decode_hello(bad_magic).ok());
  Bytes bad_version = b;
  bad_version[4] = 2;
  EXPECT_FALSE(decode_hello(bad_version).ok());
  Bytes bad_role = b;
  bad_role[5] = 2;
  EXPECT_FALSE(decode_hello(bad_role).ok());
}

TEST(Channel, HandshakeRejectsSameRoleAndLowOrderKeys) {
  auto ka = ChannelKeypair::generate(), kb = ChannelKeypair::generate();
  Handshake h1(HandshakeRole::initiator, 0, ka);
  Handshake h2(HandshakeRole::initiator, 1, kb);
  EXPECT_FALSE(h1.finish(h2.hello(), kb.pk).ok());
  // An all-zero ephemeral key is a low-order point: X25519 yields zero and must be refused.
  Bytes zero = encode_hello(Hello{HandshakeRole::responder, 1, {}});
  EXPECT_FALSE(h1.finish(zero, kb.pk).ok());
}

TEST(Channel, SeededKeysAreDeterministic) {
  Bytes seed(32, 0x42);
  auto k1 = ChannelKeypair::from_seed(seed);
  auto k2 = ChannelKeypair::from_seed(seed);
  ASSERT_TRUE(k1.ok());
  EXPECT_EQ(k1->pk, k2->pk);
  EXPECT_FALSE(ChannelKeypair::from_seed(Bytes(31, 0)).ok());
}

}  // namespace
}  // namespace rampart::crypto
