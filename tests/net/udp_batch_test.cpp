// UdpBatch on loopback: one sendmmsg of many datagrams arrives intact through recvmmsg, and an
// oversize datagram is dropped and counted rather than delivered cut short.
#include <gtest/gtest.h>
#include <poll.h>

#include "net/harness.hpp"
#include "net/udp_batch.hpp"

namespace rampart::net {
namespace {

// Waits (poll, with the deadline) for readability, then drains one batch.
size_t recv_some(UdpBatch& u, std::vector<Datagram>& out) {
  pollfd pfd{u.socket().native_handle(), POLLIN, 0};
  if (::poll(&pfd, 1, 10000) <= 0) return 0;
  return u.recv_batch(out);
}

TEST(UdpBatch, BatchRoundTrip) {
  asio::io_context io;
  UdpBatch a(io, 16), b(io, 16);
  ASSERT_TRUE(a.bind("127.0.0.1", 0).ok());
  auto pb = b.bind("127.0.0.1", 0);
  ASSERT_TRUE(pb.ok());
  asio::ip::udp::endpoint to(asio::ip::make_address("127.0.0.1"), *pb);
  std::vector<Datagram> batch;
  for (int i = 0; i < 100; ++i) batch.push_back({to, to_bytes("datagram " + std::to_string(i))});
  EXPECT_EQ(a.send_batch(batch), 100u);
  EXPECT_EQ(a.counters().datagrams_out, 100u);

  std::vector<Datagram> got;
  while (got.size() < 100 && recv_some(b, got) > 0) {
  }
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(got[i].data, to_bytes("datagram " + std::to_string(i)));
    EXPECT_EQ(got[i].peer, a.socket().local_endpoint());
  }
  std::vector<Datagram> none;
  EXPECT_EQ(b.recv_batch(none), 0u);  // non-blocking when empty
}

TEST(UdpBatch, OversizeDatagramIsDroppedAndCounted) {
  asio::io_context io;
  UdpBatch a(io), b(io, 8, 100);
  ASSERT_TRUE(a.bind("127.0.0.1", 0).ok());
  auto pb = b.bind("127.0.0.1", 0);
  asio::ip::udp::endpoint to(asio::ip::make_address("127.0.0.1"), *pb);
  std::vector<Datagram> batch = {{to, Bytes(101, 1)}, {to, Bytes(100, 2)}};
  ASSERT_EQ(a.send_batch(batch), 2u);
  std::vector<Datagram> got;
  // Each recv_some waits at most the deadline; loopback delivers both at once in practice.
  for (int i = 0; i < 3 && (got.empty() || b.counters().truncated == 0); ++i) recv_some(b, got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, Bytes(100, 2));
  EXPECT_EQ(b.counters().truncated, 1u);
}

}  // namespace
}  // namespace rampart::net
