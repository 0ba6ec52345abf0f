// Misbehaving peers on real sockets: garbage, oversize lengths, impostors, tampered and
// replayed frames, silent connections, and a peer that stops reading. Every case must be
// dropped and counted without disturbing the good peers.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "crypto/channel.hpp"
#include "net/cluster.hpp"
#include "net/harness.hpp"
#include "net/transport.hpp"

namespace rampart::net {
namespace {

using namespace testing;
using crypto::Channel;
using crypto::HandshakeRole;

// Runs our half of the handshake on a raw socket. Returns the channel once the other side's
// confirm opened; nullopt if anything failed.
std::optional<Channel> raw_handshake(asio::ip::tcp::socket& s, HandshakeRole role, NodeId claim,
                                     const ChannelKeypair& mine, const crypto::ChannelPublicKey& theirs) {
  crypto::Handshake hs(role, claim, mine);
  raw_write_frame(s, hs.hello());
  Bytes their_hello;
  if (!raw_read_frame(s, their_hello)) return std::nullopt;
  auto ch = hs.finish(their_hello, theirs);
  if (!ch) return std::nullopt;
  raw_write_frame(s, *ch->seal(crypto::confirm_plaintext()));
  Bytes confirm;
  if (!raw_read_frame(s, confirm)) return std::nullopt;
  if (!ch->open(confirm)) return std::nullopt;
  return std::move(*ch);
}

void expect_all_pairs_deliver(IoThread& io, Cluster& c, const std::string& tag) {
  uint32_t n = static_cast<uint32_t>(c.t.size());
  io.run([&] {
    for (uint32_t i = 0; i < n; ++i)
      for (uint32_t j = 0; j < n; ++j)
        if (i != j) c.t[i]->send(j, msg_of(tag + std::to_string(i) + std::to_string(j)));
    return 0;
  });
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j)
      if (i != j) {
        EXPECT_TRUE(c.inbox.has(i, j, msg_of(tag + std::to_string(i) + std::to_string(j)))) << i << "->" << j;
      }
}

uint64_t bad(Cluster& c, uint32_t i) { return c.t[i]->counters().bad_frames; }

TEST(Hostile, OversizeLengthAndGarbageAreDroppedAndCounted) {
  IoThread io;
  Cluster c(io, 3);
  asio::io_context raw_io;
  const std::vector<Bytes> garbage = {
      Bytes{0xff, 0xff, 0xff, 0xff},                  // 4 GiB announced
      Bytes{0x00, 0x00, 0x00, 0x01, 1, 2, 3},         // 16 MiB: above the handshake limit
      to_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),  // not our protocol at all
      encode_frame(Bytes(crypto::kHelloBytes, 0xab)),  // right size, bad magic
  };
  uint64_t expected = 0;
  for (const Bytes& g : garbage) {
    auto s = raw_connect(raw_io, c.ports[2]);
    asio::write(s, asio::buffer(g));
    EXPECT_TRUE(raw_closed_by_peer(s));
    ++expected;
    EXPECT_TRUE(wait_until([&] { return bad(c, 2) >= expected; }));
  }
  EXPECT_EQ(bad(c, 2), expected);
  expect_all_pairs_deliver(io, c, "after garbage ");
}

TEST(Hostile, ImpostorWithoutTheStaticKeyFailsAuthentication) {
  IoThread io;
  Cluster c(io, 3);
  asio::io_context raw_io;
  auto mallory = ChannelKeypair::generate();
  // The real node 0 must be linked first, so the check below shows Mallory did not displace it.
  ASSERT_TRUE(wait_until([&] { return c.t[2]->connected(0); }));
  auto s = raw_connect(raw_io, c.ports[2]);
  // Mallory claims node 0's identity with her own key: her confirm cannot open at node 2, and
  // node 2's confirm cannot open for her.
  EXPECT_FALSE(raw_handshake(s, HandshakeRole::initiator, 0, mallory, c.keys[2].pk).has_value());
  EXPECT_TRUE(wait_until([&] { return bad(c, 2) >= 1; }));
  EXPECT_TRUE(raw_closed_by_peer(s));
  EXPECT_TRUE(c.t[2]->connected(0));  // the real node 0's link was never displaced
  expect_all_pairs_deliver(io, c, "after impostor ");
}

TEST(Hostile, TamperedAndReplayedFramesCloseTheConnection) {
  IoThread io;
  Cluster c(io, 3);
  asio::io_context raw_io;
  // A holder of node 0's real key (a Byzantine node 0): authenticates, then misbehaves. The
  // honest node 0 is stopped meanwhile, since each new authenticated connection of a node
  // replaces its previous one and the two would keep displacing each other.
  io.run([&] {
    c.t[0].reset();
    return 0;
  });
  for (int mode = 0; mode < 2; ++mode) {
    auto s = raw_connect(raw_io, c.ports[2]);
    auto ch = raw_handshake(s, HandshakeRole::initiator, 0, c.keys[0], c.keys[2].pk);
    ASSERT_TRUE(ch.has_value());
    Bytes good = *ch->seal(msg_of("genuine " + std::to_string(mode)));
    raw_write_frame(s, good);
    EXPECT_TRUE(c.inbox.has(0, 2, msg_of("genuine " + std::to_string(mode))));
    uint64_t before = bad(c, 2);
    if (mode == 0) {
      Bytes tampered = *ch->seal(msg_of("tampered"));
      tampered[3] ^= 0x40;
      raw_write_frame(s, tampered);
    } else {
      raw_write_frame(s, good);  // replay of a frame that was accepted
    }
    EXPECT_TRUE(raw_closed_by_peer(s));
    EXPECT_TRUE(wait_until([&] { return bad(c, 2) == before + 1; }));
  }
  for (auto& d : c.inbox.snapshot()) EXPECT_NE(d.msg, msg_of("tampered"));
  io.run([&] {
    c.make(0);
    EXPECT_TRUE(c.t[0]->start().ok());
    return 0;
  });
  expect_all_pairs_deliver(io, c, "after tampering ");
}

TEST(Hostile, HelloFromANodeThatMustNotDialIsRefused) {
  IoThread io;
  Cluster c(io, 4);
  asio::io_context raw_io;
  auto s = raw_connect(raw_io, c.ports[1]);
  // Node 3 has a higher id than node 1, so it never dials node 1; unknown ids are refused too.
  uint64_t fails = c.t[1]->counters().handshake_failures;
  EXPECT_FALSE(raw_handshake(s, HandshakeRole::initiator, 3, c.keys[3], c.keys[1].pk).has_value());
  auto s2 = raw_connect(raw_io, c.ports[1]);
  EXPECT_FALSE(raw_handshake(s2, HandshakeRole::initiator, 99, c.keys[3], c.keys[1].pk).has_value());
  EXPECT_TRUE(wait_until([&] { return c.t[1]->counters().handshake_failures >= fails + 2; }));
  expect_all_pairs_deliver(io, c, "after refusal ");
}

TEST(Hostile, SilentConnectionsTimeOutAndTheOldestAreEvicted) {
  IoThread io;
  Options o = Cluster::fast_options();
  o.handshake_timeout = std::chrono::milliseconds(200);
  o.max_pending_handshakes = 2;
  Cluster c(io, 3, o);
  ASSERT_TRUE(wait_until([&] { return c.all_connected(); }));
  asio::io_context raw_io;
  std::vector<asio::ip::tcp::socket> silent;
  for (int i = 0; i < 4; ++i) silent.push_back(raw_connect(raw_io, c.ports[2]));
  // Two of them made room for the last two; those are closed by the handshake deadline.
  EXPECT_TRUE(wait_until([&] { return c.t[2]->counters().evicted >= 2; }));
  for (auto& s : silent) EXPECT_TRUE(raw_closed_by_peer(s));
  EXPECT_TRUE(wait_until([&] { return c.t[2]->counters().handshake_failures >= 2; }));
  expect_all_pairs_deliver(io, c, "after silence ");
}

// A replica comes back while anyone can fill its pending-handshake slots with connections
// that never send a byte (and a long handshake timeout keeps them there): its peers' dials
// must still get through. Before eviction they were refused until the flood timed out.
TEST(Hostile, IdleConnectionsHoldingEveryPendingSlotDoNotStarveAKnownPeer) {
  IoThread io;
  Options o = Cluster::fast_options();
  o.handshake_timeout = std::chrono::seconds(60);
  o.max_pending_handshakes = 8;
  Cluster c(io, 3, o);
  ASSERT_TRUE(wait_until([&] { return c.all_connected(); }));
  // Node 2 restarts; its peers dial a dead port meanwhile, so the flood is in first.
  io.run([&] {
    for (uint32_t i : {0u, 1u}) c.t[i]->set_peer_address(2, "127.0.0.1", 1);
    c.t[2].reset();
    c.make(2);
    EXPECT_TRUE(c.t[2]->listen().ok());
    EXPECT_TRUE(c.t[2]->start().ok());
    return 0;
  });
  asio::io_context raw_io;
  std::vector<asio::ip::tcp::socket> flood;
  for (int i = 0; i < 20; ++i) flood.push_back(raw_connect(raw_io, c.ports[2]));
  ASSERT_TRUE(wait_until([&] {
    auto k = c.t[2]->counters();
    return k.evicted + k.connections_rejected >= 12;
  }));
  io.run([&] {
    for (uint32_t i : {0u, 1u}) c.t[i]->set_peer_address(2, "127.0.0.1", c.ports[2]);
    return 0;
  });
  EXPECT_TRUE(wait_until([&] { return c.t[2]->connected(0) && c.t[2]->connected(1); }));
  expect_all_pairs_deliver(io, c, "after the flood ");
}

TEST(Hostile, QueueBoundHoldsWhenThePeerStopsReading) {
  IoThread io;
  auto k0 = ChannelKeypair::generate(), k1 = ChannelKeypair::generate();
  // Node 1 is played by the test: it completes the handshake, then reads nothing.
  asio::io_context raw_io;
  asio::ip::tcp::acceptor acc(raw_io);
  acc.open(asio::ip::tcp::v4());
  acc.set_option(asio::socket_base::receive_buffer_size(4096));
  acc.bind({asio::ip::make_address("127.0.0.1"), 0});
  acc.listen();
  Options o = Cluster::fast_options();
  o.max_queue_messages = 16;
  o.max_queue_bytes = 16 * 40000;
  o.write_batch_bytes = 64 * 1024;
  std::unique_ptr<Transport> t0;
  std::vector<PeerInfo> peers = {{0, "127.0.0.1", 0, k0.pk}, {1, "127.0.0.1", acc.local_endpoint().port(), k1.pk}};
  io.run([&] {
    t0 = std::make_unique<Transport>(io.io, 0, peers, k0, o);
    EXPECT_TRUE(t0->start().ok());
    return 0;
  });
  asio::ip::tcp::socket s(raw_io);
  acc.accept(s);
  auto ch = raw_handshake(s, HandshakeRole::responder, 1, k1, k0.pk);
  ASSERT_TRUE(ch.has_value());
  ASSERT_TRUE(wait_until([&] { return t0->connected(1); }));

  constexpr int kCount = 1000;
  constexpr size_t kSize = 32 * 1024;
  auto payload = [&](int i) {
    Bytes m(kSize, static_cast<uint8_t>(i));
    m[0] = static_cast<uint8_t>(i);
    m[1] = static_cast<uint8_t>(i >> 8);
    return m;
  };
  io.run([&] {
    for (int i = 0; i < kCount; ++i) t0->send(1, payload(i));
    return 0;
  });
  auto k = t0->counters();
  EXPECT_LE(t0->queue_depth(1), o.max_queue_messages);
  EXPECT_LE(t0->queue_bytes(1), o.max_queue_bytes);
  // At most the queue plus two write buffers' worth left the queue; everything else dropped.
  EXPECT_GE(k.dropped_frames, uint64_t(kCount - o.max_queue_messages - 2 * (o.write_batch_bytes / kSize + 1)));

  // Drop-oldest: once the peer reads again, the newest message still arrives, intact.
  int last = -1;
  Bytes f;
  while (last != kCount - 1 && raw_read_frame(s, f)) {
    auto pt = ch->open(f);
    ASSERT_TRUE(pt.ok());
    ASSERT_EQ(pt->size(), kSize);
    last = (*pt)[0] | ((*pt)[1] << 8);
  }
  EXPECT_EQ(last, kCount - 1);
  EXPECT_TRUE(wait_until([&] { return t0->queue_depth(1) == 0; }));
  EXPECT_EQ(t0->counters().bad_frames, 0u);
  io.run([&] {
    t0.reset();
    return 0;
  });
}

}  // namespace
}  // namespace rampart::net
