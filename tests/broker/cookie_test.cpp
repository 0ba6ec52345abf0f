// Return-routability cookies (broker.hpp, BrokerConfig::cookie_key): a Submit is taken only
// with the cookie the broker gave its source address; anything else gets a Cookie answer smaller
// than the Submit and nothing more. The client core takes the cookie and sends again.
#include <gtest/gtest.h>

#include "world.hpp"

namespace rampart::broker::testing {
namespace {

using Host = RecordingBrokerHost;

std::optional<Cookie> cookie_in(const Bytes& msg) {
  auto m = decode_client_message(msg);
  if (!m || !std::holds_alternative<CookieReply>(*m)) return std::nullopt;
  return std::get<CookieReply>(*m).cookie;
}

TEST(BrokerCookie, OnlyTheCookieOfTheSourceAddressGetsASubmitTaken) {
  MemoryDirectory dir;
  dir.add_trusted(1, {ed_key(1).public_key(), crypto::bls::public_key(bls_key(1))});
  Host host;
  BrokerConfig bc;
  bc.cookie_key = Hash32{9};
  bc.cookie_epoch_ms = 1000;
  Broker b(bc, dir, nullptr, host);

  Submit s = signed_submit(1, 0);
  const Bytes plain = encode(s);
  b.on_client(7, plain);  // no cookie: a Cookie answer, smaller than the Submit, and nothing else
  ASSERT_EQ(host.to_clients.size(), 1u);
  EXPECT_EQ(host.to_clients[0].first, 7u);
  EXPECT_LT(host.to_clients[0].second.size(), plain.size());
  const auto c7 = cookie_in(host.to_clients[0].second);
  ASSERT_TRUE(c7);
  EXPECT_EQ(b.stats().submissions, 0u);
  EXPECT_EQ(b.stats().rejected, 0u);
  EXPECT_EQ(b.stats().cookies_sent, 1u);

  s.cookie = c7;
  b.on_client(8, encode(s));  // another address's cookie: asked again, for address 8
  EXPECT_EQ(b.stats().submissions, 0u);
  ASSERT_EQ(host.to_clients.size(), 2u);
  EXPECT_NE(cookie_in(host.to_clients[1].second), c7);

  host.now = 1500;  // the next epoch: the last one's cookie still passes
  b.on_client(7, encode(s));
  EXPECT_EQ(b.stats().submissions, 1u);
  EXPECT_EQ(b.stats().cookies_sent, 2u);

  host.now = 2500;  // two epochs on: stale
  Submit next = signed_submit(1, 1);
  next.cookie = c7;
  b.on_client(7, encode(next));
  EXPECT_EQ(b.stats().cookies_sent, 3u);
}

TEST(BrokerCookie, ClientsTakeTheCookieAndGetDelivered) {
  World::Options o;
  o.clients = 8;
  o.broker.batch_size = 8;
  o.broker.cookie_key = Hash32{3};
  o.client.retransmit_ms = 500;
  World w(o);
  for (uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(w.client(i).submit(to_bytes("m" + std::to_string(i))).ok());
  w.run();  // each client: Submit, Cookie, Submit with it; no timer needed
  EXPECT_EQ(w.broker(0).stats().cookies_sent, 8u);
  EXPECT_EQ(w.broker(0).stats().submissions, 8u);
  ASSERT_EQ(w.ordered.size(), 1u);
  for (uint32_t i = 0; i < 8; ++i) {
    EXPECT_TRUE(w.client(i).last_delivered().has_value()) << i;
    EXPECT_EQ(w.client(i).stats().cookies, 1u) << i;
    EXPECT_EQ(w.client(i).stats().retransmits, 0u) << i;
  }
  // The next message carries the cookie from the start: no second Cookie.
  for (uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(w.client(i).submit(to_bytes("n" + std::to_string(i))).ok());
  w.run();
  EXPECT_EQ(w.broker(0).stats().cookies_sent, 8u);
  EXPECT_EQ(w.ordered.size(), 2u);
}

// A broker (or a path whose address changes on every datagram) answering each Submit with a
// new cookie gets at most two immediate resends per message; after that the client waits for
// its retransmission timer.
TEST(BrokerCookie, AClientResendsAtOnceAtMostTwicePerMessage) {
  RecordingClientHost side;
  ClientConfig cc;
  cc.id = 1;
  Client c(cc, ed_key(1), bls_key(1), nullptr, side);
  ASSERT_TRUE(c.submit(to_bytes("hello")).ok());
  EXPECT_EQ(side.out.size(), 1u);
  for (uint8_t i = 1; i <= 5; ++i) {
    CookieReply r;
    r.cookie.fill(i);  // a new cookie every time
    c.on_message(0, encode(r));
  }
  EXPECT_EQ(side.out.size(), 3u) << "the first Submit and two resends";
  EXPECT_EQ(c.stats().cookies, 5u);
}

TEST(BrokerCookie, CodecRoundTripsBothNewKinds) {
  Submit s = signed_submit(1, 4);
  s.cookie = Cookie{};
  s.cookie->fill(5);
  const Bytes wire = encode(s);
  EXPECT_EQ(wire[0], static_cast<uint8_t>(ClientKind::submit_with_cookie));
  auto d = decode_client_message(wire);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::get<Submit>(*d), s);
  Bytes cut(wire.begin(), wire.end() - 1);
  EXPECT_FALSE(decode_client_message(cut).ok());
  CookieReply c;
  c.cookie.fill(6);
  const Bytes cw = encode(c);
  EXPECT_EQ(cw.size(), 17u);
  auto dc = decode_client_message(cw);
  ASSERT_TRUE(dc.ok());
  EXPECT_EQ(std::get<CookieReply>(*dc), c);
}

}  // namespace
}  // namespace rampart::broker::testing
