// A broker learning signed-up clients (Broker::learn_signups, docs/brokers.md "Sign-up"): a
// certificate that checks adds the client and is acknowledged, after which the client's Submit is
// accepted; one that does not check, or names a known id with other keys, changes nothing. The
// check itself (a CART-proven reply under the group key) is client::check_signup_certificate,
// covered by tests/replica/signup_path_test.cpp; here a stand-in decides.
#include <gtest/gtest.h>

#include "broker/broker.hpp"
#include "broker/client.hpp"
#include "broker/signup.hpp"
#include "world.hpp"

namespace rampart::broker {
namespace {
using testing::bls_key;
using testing::ed_key;

struct Host final : BrokerHost {
  std::vector<std::pair<ClientAddr, Bytes>> to_clients;
  void send_client(ClientAddr to, Bytes msg) override { to_clients.emplace_back(to, std::move(msg)); }
  void send_replica(uint32_t, Bytes) override {}
  uint64_t now_ms() override { return 0; }
  void set_timer(uint64_t, uint64_t) override {}
};

// Certificates in this test are "cert:<id>:<key index>": the stand-in check accepts them, except
// those starting with "bad".
Bytes cert(uint32_t id, uint32_t key) { return to_bytes("cert:" + std::to_string(id) + ":" + std::to_string(key)); }
Result<CertifiedClient> stand_in_check(ByteView c) {
  const std::string s(c.begin(), c.end());
  if (s.rfind("cert:", 0) != 0) return err("does not check");
  const size_t colon = s.find(':', 5);
  const auto id = static_cast<ClientId>(std::stoul(s.substr(5, colon - 5)));
  const auto key = static_cast<uint32_t>(std::stoul(s.substr(colon + 1)));
  return CertifiedClient{id, {ed_key(key).public_key(), crypto::bls::public_key(bls_key(key))}};
}

Bytes submit(uint32_t id, uint32_t key, uint64_t seq) {
  Submit m;
  m.id = id;
  m.seq = seq;
  m.payload = to_bytes("hello");
  const auto sig = ed_key(key).sign(submit_statement(id, seq, m.payload));
  std::copy(sig.begin(), sig.end(), m.sig.begin());
  return encode(m);
}

TEST(BrokerSignup, ACertifiedClientIsLearntAcknowledgedAndThenServed) {
  MemoryDirectory dir;  // starts empty: every client from a certificate
  Host host;
  Broker b(BrokerConfig{}, dir, nullptr, host);
  b.on_client(7, submit(3, 3, 1));
  EXPECT_EQ(b.stats().rejected, 1u) << "unknown before its sign-up";
  b.on_client(7, encode_signup_cert(cert(3, 3)));  // without learn_signups: rejected
  EXPECT_EQ(dir.find(3), nullptr);
  EXPECT_EQ(b.stats().rejected, 2u);

  b.learn_signups(dir, stand_in_check);
  b.on_client(7, encode_signup_cert(cert(3, 3)));
  ASSERT_NE(dir.find(3), nullptr);
  EXPECT_EQ(dir.find(3)->ed25519, ed_key(3).public_key());
  EXPECT_EQ(b.stats().signups, 1u);
  ASSERT_EQ(host.to_clients.size(), 1u);
  EXPECT_EQ(host.to_clients[0].first, 7u);
  EXPECT_EQ(*decode_signed_up(host.to_clients[0].second), 3u);
  // The same certificate again (a lost acknowledgement): acknowledged again, learnt once.
  b.on_client(7, encode_signup_cert(cert(3, 3)));
  EXPECT_EQ(host.to_clients.size(), 2u);
  EXPECT_EQ(b.stats().signups, 1u);
  b.on_client(7, submit(3, 3, 1));
  EXPECT_EQ(b.stats().submissions, 1u);
}

// The client core hands its certificate itself: right before its Submit to a broker that has not
// acknowledged it (the first one, the next one after a switch), and no more once acknowledged.
TEST(BrokerSignup, TheClientCoreHandsItsCertificateToEachBrokerUntilAcknowledged) {
  MemoryDirectory dir;  // empty: the broker knows the client only from its certificate
  Host host;
  BrokerConfig bc;
  bc.batch_size = 1;
  Broker b(bc, dir, nullptr, host);
  b.learn_signups(dir, stand_in_check);
  testing::RecordingClientHost side;
  ClientConfig cc;
  cc.id = 3;
  cc.brokers = 2;
  cc.attempts_per_broker = 2;
  cc.signup_cert = cert(3, 3);
  Client c(cc, ed_key(3), bls_key(3), nullptr, side);
  const uint8_t submit_kind = uint8_t(ClientKind::submit);

  ASSERT_TRUE(c.submit(to_bytes("hello")).ok());
  EXPECT_EQ(side.kinds(), (std::vector<uint8_t>{kSignupCertKind, submit_kind}));
  EXPECT_EQ(side.out[0].first, 0u);
  for (const auto& [to, m] : side.out) b.on_client(7, m);
  EXPECT_EQ(b.stats().signups, 1u);
  EXPECT_EQ(b.stats().submissions, 1u) << "the Submit after the certificate was taken";
  EXPECT_EQ(b.stats().rejected, 0u);
  ASSERT_FALSE(host.to_clients.empty());
  EXPECT_EQ(host.to_clients[0].second.at(0), kSignedUpKind);
  EXPECT_FALSE(c.introduced_to(0));
  c.on_message(0, encode_signed_up(4));  // someone else's acknowledgement
  EXPECT_FALSE(c.introduced_to(0));
  EXPECT_EQ(c.stats().rejected, 1u);
  c.on_message(0, host.to_clients[0].second);
  EXPECT_TRUE(c.introduced_to(0));
  EXPECT_FALSE(c.introduced_to(1));

  side.out.clear();
  c.on_timer(side.token);  // a retransmission to the same broker: it knows us now
  EXPECT_EQ(side.kinds(), (std::vector<uint8_t>{submit_kind}));
  side.out.clear();
  c.on_timer(side.token);  // no progress: on to broker 1, which has not heard of us
  EXPECT_EQ(c.broker(), 1u);
  EXPECT_EQ(side.kinds(), (std::vector<uint8_t>{kSignupCertKind, submit_kind}));
  EXPECT_EQ(side.out[0].first, 1u);
  EXPECT_EQ(c.stats().certificates_sent, 2u);
}

// A client of the genesis directory has no certificate and sends none.
TEST(BrokerSignup, AGenesisClientSendsNoCertificate) {
  testing::RecordingClientHost side;
  ClientConfig cc;
  cc.id = 1;
  Client c(cc, ed_key(1), bls_key(1), nullptr, side);
  ASSERT_TRUE(c.submit(to_bytes("hello")).ok());
  ASSERT_EQ(side.out.size(), 1u);
  EXPECT_EQ(side.out[0].second.at(0), uint8_t(ClientKind::submit));
  c.on_message(0, encode_signed_up(1));
  EXPECT_FALSE(c.introduced_to(0));
  EXPECT_EQ(c.stats().rejected, 1u);
}

TEST(BrokerSignup, ACertificateThatDoesNotCheckOrContradictsTheDirectoryChangesNothing) {
  MemoryDirectory dir;
  dir.add_trusted(1, {ed_key(1).public_key(), crypto::bls::public_key(bls_key(1))});
  Host host;
  Broker b(BrokerConfig{}, dir, nullptr, host);
  b.learn_signups(dir, stand_in_check);
  b.on_client(7, encode_signup_cert(to_bytes("bad certificate")));
  b.on_client(7, encode_signup_cert(cert(1, 9)));  // id 1 with other keys
  EXPECT_EQ(b.stats().signups_refused, 2u);
  EXPECT_EQ(dir.find(1)->ed25519, ed_key(1).public_key());
  EXPECT_EQ(dir.size(), 2u);
  EXPECT_TRUE(host.to_clients.empty());
  Bytes huge = encode_signup_cert(Bytes(kMaxSignupCert + 1, 0));
  b.on_client(7, huge);
  EXPECT_EQ(b.stats().rejected, 1u) << "above the certificate bound";
}

TEST(BrokerSignup, SignedUpMessagesDecodeStrictly) {
  EXPECT_EQ(*decode_signed_up(encode_signed_up(70000)), 70000u);
  Bytes b = encode_signed_up(1);
  b.push_back(0);
  EXPECT_FALSE(decode_signed_up(b));
  EXPECT_FALSE(decode_signed_up(ByteView(b).first(3)));
  EXPECT_FALSE(decode_signup_cert({}));
}

}  // namespace
}  // namespace rampart::broker
