// Real loopback tests: several Transports in one process on 127.0.0.1 ephemeral ports.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "crypto/channel.hpp"
#include "net/harness.hpp"
#include "net/transport.hpp"

namespace rampart::net {
namespace {

using namespace testing;
using crypto::ChannelKeypair;

Bytes msg_of(const std::string& s) { return to_bytes(s); }

// n transports wired to each other; each one's deliveries go to one shared inbox.
class Cluster {
 public:
  Cluster(IoThread& io, uint32_t n, Options opts = fast_options()) : io_(io), opts_(opts) {
    for (uint32_t i = 0; i < n; ++i) keys.push_back(ChannelKeypair::generate());
    ports.assign(n, 0);
    t.resize(n);
    io_.run([&] {
      for (uint32_t i = 0; i < n; ++i) {
        make(i);
        ports[i] = *t[i]->listen();
      }
      for (uint32_t i = 0; i < n; ++i)
        for (uint32_t j = 0; j < n; ++j) t[i]->set_peer_address(j, "127.0.0.1", ports[j]);
      for (auto& x : t) EXPECT_TRUE(x->start().ok());
      return 0;
    });
  }
  ~Cluster() {
    io_.run([&] {
      t.clear();
      return 0;
    });
  }

  static Options fast_options() {
    Options o;
    o.backoff_initial = std::chrono::milliseconds(10);
    o.backoff_max = std::chrono::milliseconds(200);
    return o;
  }

  std::vector<PeerInfo> peers() const {
    std::vector<PeerInfo> v;
    for (uint32_t j = 0; j < keys.size(); ++j) v.push_back({j, "127.0.0.1", ports[j], keys[j].pk});
    return v;
  }

  // Must run on the io thread.
  void make(uint32_t i) {
    t[i] = std::make_unique<Transport>(io_.io, i, peers(), keys[i], opts_);
    t[i]->on_message([this, i](NodeId from, Bytes m) { inbox.add(from, i, std::move(m)); });
  }

  bool all_connected() {
    for (uint32_t i = 0; i < t.size(); ++i)
      for (uint32_t j = 0; j < t.size(); ++j)
        if (i != j && !t[i]->connected(j)) return false;
    return true;
  }

  IoThread& io_;
  Options opts_;
  std::vector<ChannelKeypair> keys;
  std::vector<uint16_t> ports;
  std::vector<std::unique_ptr<Transport>> t;
  Inbox inbox;
};

TEST(Transport, DeliversBetweenAllPairs) {
  IoThread io;
  Cluster c(io, 4);
  io.run([&] {
    for (uint32_t i = 0; i < 4; ++i)
      for (uint32_t j = 0; j < 4; ++j)
        EXPECT_TRUE(c.t[i]->send(j, msg_of("m " + std::to_string(i) + "->" + std::to_string(j))));
    return 0;
  });
  for (uint32_t i = 0; i < 4; ++i)
    for (uint32_t j = 0; j < 4; ++j)
      EXPECT_TRUE(c.inbox.has(i, j, msg_of("m " + std::to_string(i) + "->" + std::to_string(j))))
          << i << "->" << j;
  EXPECT_TRUE(wait_until([&] { return c.all_connected(); }));
  auto k = c.t[0]->counters();
  EXPECT_GE(k.handshakes, 3u);
  EXPECT_GE(k.frames_out, 3u);
  EXPECT_EQ(k.bad_frames, 0u);
  EXPECT_EQ(k.dropped_frames, 0u);
}

TEST(Transport, BroadcastReachesEveryoneButSelf) {
  IoThread io;
  Cluster c(io, 4);
  io.run([&] {
    c.t[2]->broadcast(msg_of("to all"));
    return 0;
  });
  for (uint32_t j : {0u, 1u, 3u}) EXPECT_TRUE(c.inbox.has(2, j, msg_of("to all")));
  // Give a send to self (posted after the broadcast) time to arrive, then check no self copy.
  io.run([&] { return c.t[2]->send(2, msg_of("self marker")); });
  EXPECT_TRUE(c.inbox.has(2, 2, msg_of("self marker")));
  for (auto& d : c.inbox.snapshot()) EXPECT_FALSE(d.to == 2 && d.msg == msg_of("to all"));
}

TEST(Transport, PreservesOrderUnderVolume) {
  IoThread io;
  Cluster c(io, 2);
  constexpr int kCount = 5000;
  io.run([&] {
    for (int i = 0; i < kCount; ++i) c.t[1]->send(0, msg_of(std::to_string(i) + std::string(100, 'x')));
    return 0;
  });
  ASSERT_TRUE(c.inbox.wait([&](const std::vector<Delivery>& v) { return v.size() >= size_t(kCount); }));
  auto got = c.inbox.snapshot();
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(got[i].msg, msg_of(std::to_string(i) + std::string(100, 'x')));
  EXPECT_EQ(c.t[1]->counters().dropped_frames, 0u);
}

TEST(Transport, RestartedPeerReconnectsAndDeliveryResumes) {
  IoThread io;
  Cluster c(io, 3);
  ASSERT_TRUE(wait_until([&] { return c.all_connected(); }));
  // Kill node 1 (it dials 2 and is dialed by 0), then bring it back on the same port.
  io.run([&] {
    c.t[1].reset();
    return 0;
  });
  ASSERT_TRUE(wait_until([&] { return !c.t[0]->connected(1) && !c.t[2]->connected(1); }));
  io.run([&] {
    c.make(1);
    EXPECT_TRUE(c.t[1]->start().ok());
    return 0;
  });
  ASSERT_TRUE(wait_until([&] { return c.all_connected(); }));
  io.run([&] {
    for (uint32_t i = 0; i < 3; ++i)
      for (uint32_t j = 0; j < 3; ++j)
        if (i != j) c.t[i]->send(j, msg_of("after " + std::to_string(i) + "->" + std::to_string(j)));
    return 0;
  });
  for (uint32_t i = 0; i < 3; ++i)
    for (uint32_t j = 0; j < 3; ++j)
      if (i != j) {
        EXPECT_TRUE(c.inbox.has(i, j, msg_of("after " + std::to_string(i) + "->" + std::to_string(j))));
      }
  EXPECT_GE(c.t[0]->counters().reconnects, 1u);
}

TEST(Transport, MessagesQueuedWhilePeerIsDownAreDeliveredLater) {
  IoThread io;
  Options o = Cluster::fast_options();
  std::vector<ChannelKeypair> keys = {ChannelKeypair::generate(), ChannelKeypair::generate()};
  // Node 0 starts alone; node 1's port is reserved by a listener that is closed again.
  uint16_t port1;
  {
    asio::ip::tcp::acceptor a(io.io, {asio::ip::make_address("127.0.0.1"), 0});
    port1 = a.local_endpoint().port();
  }
  Inbox inbox;
  std::unique_ptr<Transport> t0, t1;
  std::vector<PeerInfo> peers = {{0, "127.0.0.1", 0, keys[0].pk}, {1, "127.0.0.1", port1, keys[1].pk}};
  io.run([&] {
    t0 = std::make_unique<Transport>(io.io, 0, peers, keys[0], o);
    EXPECT_TRUE(t0->start().ok());
    EXPECT_TRUE(t0->send(1, msg_of("early")));
    return 0;
  });
  ASSERT_TRUE(wait_until([&] { return t0->counters().reconnects >= 2; }));  // refused dials retried
  EXPECT_EQ(t0->queue_depth(1), 1u);
  io.run([&] {
    t1 = std::make_unique<Transport>(io.io, 1, peers, keys[1], o);
    t1->on_message([&](NodeId from, Bytes m) { inbox.add(from, 1, std::move(m)); });
    EXPECT_TRUE(t1->start().ok());
    return 0;
  });
  EXPECT_TRUE(inbox.has(0, 1, msg_of("early")));
  io.run([&] {
    t0.reset();
    t1.reset();
    return 0;
  });
}

}  // namespace
}  // namespace rampart::net
