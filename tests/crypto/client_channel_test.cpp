// The client channel's handshake: who can complete it, what binds a connection to a client key,
// and that a channel's frames are private to its two ends.
#include "crypto/client_channel.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

namespace rampart::crypto {
namespace {

struct SignKey {
  Bytes pk = Bytes(crypto_sign_PUBLICKEYBYTES), sk = Bytes(crypto_sign_SECRETKEYBYTES);
  SignKey() { crypto_sign_keypair(pk.data(), sk.data()); }
};

struct Ends {
  SignKey client;
  ChannelKeypair replica = ChannelKeypair::generate();
  ClientChannelInitiator init{client.pk, client.sk};
  ClientChannelResponder resp{3, replica};
};

TEST(ClientChannel, BothSidesDeriveOneChannelAndTheReplicaLearnsTheClientsKey) {
  Ends r;
  auto sh = r.resp.accept(r.init.hello());
  ASSERT_TRUE(sh) << sh.error().message;
  auto est = r.init.finish(*sh, 3, r.replica.pk);
  ASSERT_TRUE(est) << est.error().message;
  auto key = r.resp.authenticate(est->auth);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(Bytes(key->begin(), key->end()), r.client.pk);

  auto req = est->channel.seal(to_bytes("request"));
  auto got = r.resp.channel().open(*req);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, to_bytes("request"));
  auto rep = r.resp.channel().seal(to_bytes("reply"));
  auto back = est->channel.open(*rep);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, to_bytes("reply"));
}

TEST(ClientChannel, AClientThatExpectsAnotherReplicaKeyCannotTalkToThisOne) {
  Ends r;
  auto sh = r.resp.accept(r.init.hello());
  ASSERT_TRUE(sh);
  auto impostor = ChannelKeypair::generate();  // cluster.toml's key for replica 3 is not this one's
  auto est = r.init.finish(*sh, 3, impostor.pk);
  ASSERT_TRUE(est);
  EXPECT_FALSE(r.resp.authenticate(est->auth));
}

TEST(ClientChannel, AHelloFromAnotherReplicaIdIsRefused) {
  Ends r;
  auto sh = r.resp.accept(r.init.hello());
  ASSERT_TRUE(sh);
  auto est = r.init.finish(*sh, 2, r.replica.pk);
  ASSERT_FALSE(est);
  EXPECT_NE(est.error().message.find("answered as replica 3"), std::string::npos) << est.error().message;
}

// Someone who saw a client's hello (its public key is in it) cannot bind a connection to that
// key: the signature must be over this connection's transcript.
TEST(ClientChannel, AClaimedKeyWithoutItsSecretDoesNotAuthenticate) {
  Ends r;
  SignKey thief;
  auto victim_hello = decode_client_hello(r.init.hello());
  ASSERT_TRUE(victim_hello);
  ClientChannelInitiator forger(Bytes(victim_hello->key.begin(), victim_hello->key.end()), thief.sk);
  auto sh = r.resp.accept(forger.hello());
  ASSERT_TRUE(sh);
  auto est = forger.finish(*sh, 3, r.replica.pk);
  ASSERT_TRUE(est);
  auto key = r.resp.authenticate(est->auth);
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().message.find("bad signature"), std::string::npos);
}

// The client's authentication of one connection is useless on another: the other connection's
// transcript differs (fresh ephemerals), so the replayed message does not even open.
TEST(ClientChannel, AnAuthenticationReplayedOnAnotherConnectionFails) {
  Ends r;
  auto sh = r.resp.accept(r.init.hello());
  auto est = r.init.finish(*sh, 3, r.replica.pk);
  ASSERT_TRUE(est);
  ClientChannelResponder second(3, r.replica);
  ASSERT_TRUE(second.accept(r.init.hello()));  // the recorded hello, replayed
  EXPECT_FALSE(second.authenticate(est->auth));
}

TEST(ClientChannel, HellosAreDecodedStrictly) {
  Ends r;
  Bytes h = r.init.hello();
  ASSERT_EQ(h.size(), kClientHelloBytes);
  EXPECT_TRUE(decode_client_hello(h));
  Bytes longer = h;
  longer.push_back(0);
  EXPECT_FALSE(decode_client_hello(longer));
  EXPECT_FALSE(decode_client_hello(ByteView(h).first(h.size() - 1)));
  Bytes magic = h;
  magic[0] ^= 1;
  EXPECT_FALSE(decode_client_hello(magic));
  Bytes version = h;
  version[4] = 9;
  EXPECT_FALSE(decode_client_hello(version));
  EXPECT_FALSE(decode_server_hello(h));  // a client hello is no server hello
  auto sh = r.resp.accept(h);
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->size(), kServerHelloBytes);
  EXPECT_FALSE(r.resp.accept(h)) << "a second hello on one connection";
  EXPECT_LE(std::max(kClientHelloBytes, kServerHelloBytes), kClientHandshakeMaxFrame);
}

TEST(ClientChannel, AnAllZeroEphemeralIsRefused) {
  Ends r;
  auto h = decode_client_hello(r.init.hello());
  h->ephemeral.fill(0);
  EXPECT_FALSE(r.resp.accept(encode_client_hello(*h)));
}

}  // namespace
}  // namespace rampart::crypto
