// Malformed frames and frames that fail authentication, sent to a replica's peer and client
// ports, are dropped and counted (visible in /metrics) and the replica keeps serving.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/kv/op.hpp"
#include "common/codec.hpp"
#include "client/client.hpp"
#include "process/cluster_fixture.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// Connects, writes raw bytes, waits until the replica closes (or 2 s), closes.
void send_raw(uint16_t port, const Bytes& data) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[256];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
  ::close(fd);
}

Bytes frame(const Bytes& payload) {
  Writer w;
  w.bytes(payload);  // u32 little-endian length, then the payload: a net frame
  return w.take();
}

TEST(Process, HostileFramesAreDroppedAndCounted) {
  LocalCluster c(4);
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  const auto* r = c.config().replica(2);
  auto auth_fail = [&] { return c.metric(2, "rampart_peer_bad_frames_total") + c.metric(2, "rampart_peer_handshake_failures_total"); };
  double peer_before = auth_fail();
  double client_before = c.metric(2, "rampart_client_bad_frames_total");

  // Peer port: a garbage "hello", a forged hello-sized frame of random bytes, an oversize length.
  send_raw(r->peer_port, frame(to_bytes("definitely not a handshake")));
  Bytes forged(200);
  for (size_t i = 0; i < forged.size(); ++i) forged[i] = static_cast<uint8_t>(i * 31 + 7);
  send_raw(r->peer_port, frame(forged));
  send_raw(r->peer_port, Bytes{0xff, 0xff, 0xff, 0xff, 1, 2, 3});
  // Client port: junk payload, unknown tag, oversize length.
  send_raw(r->client_port, frame(Bytes{1, 2, 3}));
  send_raw(r->client_port, frame(Bytes{9, 9, 9, 9, 9, 9, 9, 9, 9}));
  send_raw(r->client_port, Bytes{0xff, 0xff, 0xff, 0x7f, 0});

  EXPECT_TRUE(wait_for([&] { return auth_fail() >= peer_before + 2; }, 10s)) << auth_fail();
  EXPECT_TRUE(c.wait_metric_at_least(2, "rampart_client_bad_frames_total", client_before + 3, 10s));
  EXPECT_TRUE(c.running(2));

  // And it keeps serving, through that very replica.
  client::ClientOptions o;
  o.first_replica = 2;
  auto cl = client::Client::create(c.config(), o);
  ASSERT_TRUE(cl);
  auto a = (*cl)->call(app::kv::encode_op(app::kv::put("still", "serving")));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->replica, 2u);
}

}  // namespace
}  // namespace rampart::test
