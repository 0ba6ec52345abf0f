// The gossip semantics on the sans-IO Engine: subscriptions, validation gating, TTL, held
// items, limits, the bounded dedup cache and malformed input, without sockets or clocks.
#include <gtest/gtest.h>

#include <map>

#include "gossip/engine.hpp"
#include "gossip/seen_cache.hpp"

using namespace rampart;
using namespace rampart::gossip;

namespace {

struct FakeIo : EngineIo {
  std::map<ConnId, std::vector<ApiMessage>> api;
  std::map<ConnId, std::string> closed;
  std::map<PeerId, std::vector<ItemMsg>> peers;
  void api_send(ConnId c, Bytes m) override { api[c].push_back(*decode_api(m)); }
  void api_close(ConnId c, const std::string& why) override { closed[c] = why; }
  void peer_send(PeerId p, const ItemMsg& item) override { peers[p].push_back(item); }
  std::vector<Notification> notifications(ConnId c) {
    std::vector<Notification> v;
    for (auto& m : api[c]) v.push_back(std::get<Notification>(m));
    return v;
  }
};

struct GossipEngine : ::testing::Test {
  FakeIo io;
  Clock::time_point t0 = Clock::now();
  EngineOptions opt() {
    EngineOptions o;
    o.degree = 2;
    o.cache_size = 16;
    return o;
  }
  void send(Engine& e, ConnId c, const ApiMessage& m) { e.api_message(c, *encode_api(m), t0); }
};

}  // namespace

TEST_F(GossipEngine, ItemSpreadsOnlyAfterEverySubscriberSaidValid) {
  Engine e(io, opt());
  e.api_open(1);
  e.api_open(2);
  send(e, 1, Notify{7});
  send(e, 2, Notify{7});
  for (PeerId p : {10, 11, 12}) e.peer_up(p, t0);
  e.peer_item(10, ItemMsg{0, 1, 7, to_bytes("x")}, t0);
  ASSERT_EQ(io.notifications(1).size(), 1u);
  ASSERT_EQ(io.notifications(2).size(), 1u);
  uint16_t id = io.notifications(1)[0].message_id;
  EXPECT_EQ(io.notifications(2)[0].message_id, id);
  EXPECT_TRUE(io.peers.empty());
  send(e, 1, Validation{id, true});
  EXPECT_TRUE(io.peers.empty()) << "forwarded before the second subscriber validated";
  send(e, 2, Validation{id, true});
  EXPECT_TRUE(io.peers[10].empty()) << "sent back to the peer it came from";
  ASSERT_EQ(io.peers[11].size(), 1u);
  ASSERT_EQ(io.peers[12].size(), 1u);
  EXPECT_EQ(io.peers[11][0].hops, 2);
  // The same item again, from anyone, is a duplicate.
  e.peer_item(11, ItemMsg{0, 1, 7, to_bytes("x")}, t0);
  EXPECT_EQ(io.notifications(1).size(), 1u);
  EXPECT_EQ(e.stats().duplicates, 1u);
}

TEST_F(GossipEngine, OneInvalidDropsTheItem) {
  Engine e(io, opt());
  e.api_open(1);
  e.api_open(2);
  send(e, 1, Notify{7});
  send(e, 2, Notify{7});
  e.peer_up(10, t0);
  e.peer_up(11, t0);
  e.peer_item(10, ItemMsg{0, 1, 7, to_bytes("bad")}, t0);
  uint16_t id = io.notifications(1)[0].message_id;
  send(e, 1, Validation{id, false});
  send(e, 2, Validation{id, true});
  EXPECT_TRUE(io.peers.empty());
  EXPECT_EQ(e.stats().invalid, 1u);
  EXPECT_EQ(e.pending(), 0u);
  e.peer_item(11, ItemMsg{0, 1, 7, to_bytes("bad")}, t0);  // not offered again
  EXPECT_EQ(io.notifications(1).size(), 1u);
}

TEST_F(GossipEngine, SilentOrDepartedSubscribersDropTheItem) {
  Engine e(io, opt());
  e.api_open(1);
  send(e, 1, Notify{7});
  e.peer_up(10, t0);
  e.peer_up(11, t0);
  e.peer_item(10, ItemMsg{0, 1, 7, to_bytes("a")}, t0);
  e.api_closed(1);
  EXPECT_EQ(e.stats().unvalidated, 1u);
  EXPECT_EQ(e.subscribers(7), 0u);
  e.api_open(2);
  send(e, 2, Notify{7});
  e.peer_item(10, ItemMsg{0, 1, 7, to_bytes("b")}, t0);
  e.tick(t0 + std::chrono::seconds(11));
  EXPECT_EQ(e.stats().unvalidated, 2u);
  EXPECT_TRUE(io.peers.empty());
  // A late answer is ignored, not malformed.
  send(e, 2, Validation{io.notifications(2)[0].message_id, true});
  EXPECT_TRUE(io.peers.empty());
  EXPECT_TRUE(io.closed.empty());
}

TEST_F(GossipEngine, WithoutSubscribersItemsSpreadAtOnce) {
  Engine e(io, opt());
  e.peer_up(10, t0);
  e.peer_up(11, t0);
  e.peer_item(10, ItemMsg{5, 1, 7, to_bytes("a")}, t0);
  ASSERT_EQ(io.peers[11].size(), 1u);
  EXPECT_EQ(io.peers[11][0].ttl, 4);
}

TEST_F(GossipEngine, TtlOneStopsHereZeroIsUnlimited) {
  Engine e(io, opt());
  e.peer_up(10, t0);
  e.peer_up(11, t0);
  e.peer_item(10, ItemMsg{1, 3, 7, to_bytes("last hop")}, t0);
  EXPECT_TRUE(io.peers[11].empty());
  EXPECT_EQ(e.stats().ttl_stopped, 1u);
  e.peer_item(10, ItemMsg{0, 200, 7, to_bytes("forever")}, t0);
  ASSERT_EQ(io.peers[11].size(), 1u);
  EXPECT_EQ(io.peers[11][0].ttl, 0);
  EXPECT_EQ(io.peers[11][0].hops, 201);
  e.peer_item(10, ItemMsg{2, 1, 7, to_bytes("one more")}, t0);
  ASSERT_EQ(io.peers[11].size(), 2u);
  EXPECT_EQ(io.peers[11][1].ttl, 1);
}

TEST_F(GossipEngine, AnnounceGoesToPeersAndOtherSubscribersNotBack) {
  Engine e(io, opt());
  for (ConnId c : {1, 2, 3}) e.api_open(c);
  send(e, 1, Notify{7});
  send(e, 2, Notify{7});
  send(e, 3, Notify{8});
  e.peer_up(10, t0);
  e.peer_up(11, t0);
  send(e, 1, Announce{1, 7, to_bytes("news")});
  EXPECT_TRUE(io.api[1].empty());
  ASSERT_EQ(io.notifications(2).size(), 1u);
  EXPECT_TRUE(io.api[3].empty());
  ASSERT_EQ(io.peers[10].size(), 1u);
  EXPECT_EQ(io.peers[10][0].ttl, 1);
  EXPECT_EQ(io.peers[10][0].hops, 1);
  // Subscriber 2's answer changes nothing (the item is already out).
  send(e, 2, Validation{io.notifications(2)[0].message_id, false});
  EXPECT_EQ(io.peers[10].size(), 1u);
  EXPECT_EQ(e.pending(), 0u);
  send(e, 1, Announce{1, 7, to_bytes("news")});  // the same again: deduplicated
  EXPECT_EQ(io.peers[10].size(), 1u);
}

TEST_F(GossipEngine, ItemsAreHeldForPeersThatComeLater) {
  Engine e(io, opt());  // degree 2
  e.api_open(1);
  send(e, 1, Announce{0, 7, to_bytes("early")});
  EXPECT_EQ(e.held(), 1u);
  e.peer_up(10, t0);
  ASSERT_EQ(io.peers[10].size(), 1u);
  EXPECT_EQ(e.held(), 1u);
  e.peer_up(11, t0);
  ASSERT_EQ(io.peers[11].size(), 1u);
  EXPECT_EQ(e.held(), 0u) << "reached degree peers, no longer held";
  e.api_open(2);
  send(e, 2, Announce{0, 7, to_bytes("late")});
  e.peer_down(11);
  e.tick(t0 + std::chrono::seconds(31));
  e.peer_up(12, t0);
  EXPECT_TRUE(io.peers[12].empty()) << "held past hold_time";
}

TEST_F(GossipEngine, PeerRateAndPendingLimits) {
  EngineOptions o = opt();
  o.item_rate = 1;
  o.item_burst = 3;
  o.max_pending_per_peer = 2;
  Engine e(io, o);
  e.peer_up(10, t0);
  e.peer_up(11, t0);
  for (int i = 0; i < 5; ++i) e.peer_item(10, ItemMsg{0, 1, 7, Bytes{uint8_t(i)}}, t0);
  EXPECT_EQ(io.peers[11].size(), 3u);
  EXPECT_EQ(e.stats().rate_limited, 2u);
  e.peer_item(10, ItemMsg{0, 1, 7, Bytes{9}}, t0 + std::chrono::seconds(1));
  EXPECT_EQ(io.peers[11].size(), 4u) << "the bucket refills";

  // At most max_pending_per_peer items of one peer await validation (a later second).
  auto t1 = t0 + std::chrono::seconds(10);
  e.api_open(1);
  send(e, 1, Notify{8});
  for (int i = 0; i < 3; ++i) e.peer_item(11, ItemMsg{0, 1, 8, Bytes{uint8_t(i)}}, t1);
  EXPECT_EQ(io.notifications(1).size(), 2u);
  EXPECT_EQ(e.stats().pending_full, 1u);
  EXPECT_EQ(e.stats().rate_limited, 2u);
  send(e, 1, Validation{io.notifications(1)[0].message_id, true});
  e.peer_item(11, ItemMsg{0, 1, 8, Bytes{2}}, t1 + std::chrono::seconds(1));  // refused before, welcome now
  EXPECT_EQ(io.notifications(1).size(), 3u);
}

TEST_F(GossipEngine, MalformedInputClosesOnlyThatConnection) {
  Engine e(io, opt());
  e.api_open(1);
  e.api_open(2);
  send(e, 2, Notify{7});
  e.api_message(1, Bytes{0, 9, 1, 0xf5, 0, 0, 0, 7, 0}, t0);  // NOTIFY of 9 bytes
  EXPECT_TRUE(io.closed.count(1));
  EXPECT_FALSE(io.closed.count(2));
  e.api_open(3);
  send(e, 3, Notification{1, 7, to_bytes("from a client")});
  EXPECT_NE(io.closed[3].find("NOTIFICATION"), std::string::npos);
  e.api_open(4);
  send(e, 4, Announce{0, 7, to_bytes("still works")});
  EXPECT_EQ(io.notifications(2).size(), 1u);
  EXPECT_EQ(e.stats().malformed_api, 2u);
}

// cache_size bounds what the module remembers: the least recently seen id goes first, so an
// item is a duplicate while it is among the last cache_size seen and new again after that.
TEST(GossipSeenCache, BoundedLeastRecentlySeenGoesFirst) {
  SeenCache c(3);
  auto id = [](uint8_t b) {
    Hash32 h{};
    h[0] = b;
    return h;
  };
  EXPECT_TRUE(c.insert(id(1)));
  EXPECT_TRUE(c.insert(id(2)));
  EXPECT_TRUE(c.insert(id(3)));
  EXPECT_FALSE(c.insert(id(1)));  // seen again: now the most recent
  EXPECT_TRUE(c.insert(id(4)));   // evicts 2, the least recently seen
  EXPECT_EQ(c.size(), 3u);
  EXPECT_FALSE(c.contains(id(2)));
  EXPECT_TRUE(c.contains(id(1)));
  EXPECT_TRUE(c.contains(id(3)));
}

TEST_F(GossipEngine, DedupCacheHoldsCacheSizeItems) {
  Engine e(io, opt());  // cache_size 16, no subscribers: items spread at once
  e.peer_up(10, t0);
  e.peer_up(11, t0);
  auto item = [](int i) { return ItemMsg{0, 1, 7, to_bytes("item " + std::to_string(i))}; };
  e.peer_item(10, item(0), t0);
  for (int i = 1; i < 16; ++i) e.peer_item(10, item(i), t0);
  e.peer_item(10, item(0), t0);  // 16 distinct seen: still remembered
  EXPECT_EQ(e.stats().duplicates, 1u);
  for (int i = 16; i < 32; ++i) e.peer_item(10, item(i), t0);  // 16 newer ones push it out
  const size_t sent = io.peers[11].size();
  e.peer_item(10, item(0), t0);
  EXPECT_EQ(e.stats().duplicates, 1u) << "an item beyond cache_size was still remembered";
  EXPECT_EQ(io.peers[11].size(), sent + 1) << "forgotten, it is forwarded again as new";
}
