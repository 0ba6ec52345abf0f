// Real loopback tests: several Transports in one process on 127.0.0.1 ephemeral ports.
#include <gtest/gtest.h>

#include <memory>
#include <algorithm>
#include <atomic>
#include <functional>
#include <cstdio>
#include <string>

#include "crypto/channel.hpp"
#include "net/cluster.hpp"
#include "net/harness.hpp"
#include "net/transport.hpp"

namespace rampart::net {
namespace {

using namespace testing;
using crypto::ChannelKeypair;

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

namespace rampart::net {
namespace {

// Not a pass/fail test: prints loopback throughput. Run with
//   net_test --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
TEST(Transport, DISABLED_Throughput) {
  for (size_t size : {size_t(256), size_t(4096), size_t(65536)}) {
    IoThread io;
    Options o = Cluster::fast_options();
    o.max_queue_messages = 1u << 20;
    o.max_queue_bytes = 1u << 30;
    Cluster c(io, 2, o);
    ASSERT_TRUE(wait_until([&] { return c.all_connected(); }));
    const size_t count = size == 256 ? 400000 : size == 4096 ? 100000 : 10000;
    std::atomic<size_t> got{0};
    io.run([&] {
      c.t[1]->on_message([&](NodeId, Bytes) { got.fetch_add(1, std::memory_order_relaxed); });
      return 0;
    });
    // The sender keeps at most `window` messages outstanding (as a consensus primary would),
    // re-posting itself, so the measurement is the transport, not a giant pre-filled queue.
    const size_t window = std::max<size_t>(64, (4u << 20) / size);
    size_t sent = 0;
    Bytes m(size, 7);
    std::function<void()> feed = [&] {
      while (sent < count && sent - got.load(std::memory_order_relaxed) < window) {
        c.t[0]->send(1, m);
        ++sent;
      }
      if (sent < count) asio::post(io.io, feed);
    };
    auto start = std::chrono::steady_clock::now();
    io.run([&] {
      feed();
      return 0;
    });
    ASSERT_TRUE(wait_until([&] { return got.load() == count; }, std::chrono::seconds(60)));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("size %6zu B: %9.0f msgs/s  %7.1f MB/s\n", size, count / secs, count * size / secs / 1e6);
  }
}

}  // namespace
}  // namespace rampart::net
