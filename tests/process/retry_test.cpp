// Retries and replays of a client's signed requests (issue 16; docs/operations.md): a retry whose
// reply was lost is answered from the reply cache without a consensus round, and a replay by
// someone else neither moves the client's replies to the replayer nor costs an ordering. The
// test is its own client on raw sockets, so it can send the very same signed request twice.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/kv/op.hpp"
#include "client/wire.hpp"
#include "crypto/ed25519.hpp"
#include "net/frame.hpp"
#include "process/cluster_fixture.hpp"
#include "process/raw_net.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// Reads exactly n bytes, or fails after `d`.
bool read_exact(int fd, uint8_t* out, size_t n, std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  size_t got = 0;
  while (got < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t r = ::recv(fd, out + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

// The next frame's payload from the replica, if one comes within `d`.
std::optional<Bytes> read_frame(int fd, std::chrono::milliseconds d) {
  uint8_t h[4];
  if (!read_exact(fd, h, 4, d)) return std::nullopt;
  const uint32_t len = uint32_t{h[0]} | uint32_t{h[1]} << 8 | uint32_t{h[2]} << 16 | uint32_t{h[3]} << 24;
  if (len > (1u << 20)) return std::nullopt;
  Bytes b(len);
  if (!read_exact(fd, b.data(), len, d)) return std::nullopt;
  return b;
}

// Sends the request to replica `id` on a fresh connection and returns its reply.
std::optional<Bytes> ask(const LocalCluster& c, uint32_t id, const Bytes& request_frame) {
  int fd = tcp_connect("127.0.0.1", c.config().replica(id)->client_port);
  if (fd < 0) return std::nullopt;
  std::optional<Bytes> reply;
  if (send_all(fd, net::encode_frame(request_frame))) reply = read_frame(fd, 10s);
  ::close(fd);
  return reply;
}

// A raw client: its own Ed25519 key, requests signed for any seq.
struct RawClient {
  crypto::ed25519::KeyPair kp = crypto::ed25519::KeyPair::generate();
  replica::ClientId id = client::client_id_of(ByteView(kp.public_key().data(), kp.public_key().size()));
  Bytes request(uint64_t seq, const std::string& key, const std::string& value) const {
    Bytes payload(kp.public_key().begin(), kp.public_key().end());
    const Bytes op = app::kv::encode_op(app::kv::put(key, value));
    payload.insert(payload.end(), op.begin(), op.end());
    replica::ClientSignerFrom signer(std::make_unique<crypto::ed25519::Ed25519Signer>(kp));
    return client::encode_request_frame(replica::make_request(id, seq, payload, signer));
  }
};

double sum_metric(const LocalCluster& c, const std::string& name) {
  double s = 0;
  for (uint32_t i = 0; i < 4; ++i) s += std::max(0.0, c.metric(i, name));
  return s;
}

TEST(Retry, AnsweredFromTheReplyCacheWithoutOrdering) {
  LocalCluster c(4, "poe");
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  const auto kp = crypto::ed25519::KeyPair::generate();
  const auto& pk = kp.public_key();
  Bytes payload(pk.begin(), pk.end());
  const Bytes op = app::kv::encode_op(app::kv::put("retried", "once"));
  payload.insert(payload.end(), op.begin(), op.end());
  replica::ClientSignerFrom signer(std::make_unique<crypto::ed25519::Ed25519Signer>(kp));
  const auto id = client::client_id_of(ByteView(pk.data(), pk.size()));
  const Bytes frame = client::encode_request_frame(replica::make_request(id, 1, payload, signer));

  // First answer, from replica 1 (a backup: it forwards the request and replies once proven).
  auto first = ask(c, 1, frame);
  ASSERT_TRUE(first) << "no reply to the first request";
  auto r1 = client::decode_reply_view(*first);
  ASSERT_TRUE(r1) << r1.error().message;
  const uint64_t k = r1->k;
  const Bytes result(r1->result.begin(), r1->result.end());
  // Every replica holds block k final: nothing is left in flight.
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(c.wait_metric_at_least(i, "rampart_final_height", double(k), 20s));
  double height_before = 0;
  for (uint32_t i = 0; i < 4; ++i) height_before = std::max(height_before, c.metric(i, "rampart_height"));

  // The reply was "lost": the same request again, to replica 2.
  auto again = ask(c, 2, frame);
  ASSERT_TRUE(again) << "no reply to the retry";
  auto r2 = client::decode_reply_view(*again);
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_EQ(r2->k, k);
  EXPECT_EQ(r2->seq, 1u);
  EXPECT_EQ(Bytes(r2->result.begin(), r2->result.end()), result);
  EXPECT_EQ(r2->results_root, r1->results_root);
  EXPECT_FALSE(r2->group_sig.empty());

  // Answered from the cache (metrics are published per tick): replica 2 answered it while
  // reading the frame and handed nothing to its batcher, so no block follows from it.
  EXPECT_TRUE(wait_for([&] { return c.metric(2, "rampart_retries_from_cache_total") >= 1; }, 5s));
  double height_after = 0;
  for (uint32_t i = 0; i < 4; ++i) height_after = std::max(height_after, c.metric(i, "rampart_height"));
  EXPECT_EQ(height_after, height_before);
  EXPECT_EQ(sum_metric(c, "rampart_salted_slots_total"), 0);
}

// Someone replays the client's last request on its own connection while the client's next one
// is in flight: the next reply still goes to the client (before, the replay rebound the client's
// replies to the replayer's connection); an older request replayed later is refused before it is
// ordered. The in-flight window is held open by stopping two replicas (no quorum).
TEST(Retry, AReplayDoesNotStealTheClientsReplies) {
  LocalCluster c(4, "poe");
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  const RawClient victim;
  const uint16_t port = c.config().replica(1)->client_port;
  int conn = tcp_connect("127.0.0.1", port);
  ASSERT_GE(conn, 0);
  ASSERT_TRUE(send_all(conn, net::encode_frame(victim.request(1, "a", "1"))));
  auto first = read_frame(conn, 10s);
  ASSERT_TRUE(first);
  ASSERT_TRUE(client::decode_reply_view(*first));

  c.signal(2, SIGSTOP);
  c.signal(3, SIGSTOP);
  ASSERT_TRUE(send_all(conn, net::encode_frame(victim.request(2, "b", "2"))));
  int thief = tcp_connect("127.0.0.1", port);
  ASSERT_GE(thief, 0);
  ASSERT_TRUE(send_all(thief, net::encode_frame(victim.request(1, "a", "1"))));
  // The replay of an executed request is answered (its result is no secret from a replayer
  // until client connections are authenticated), and nothing more is bound to that connection.
  auto to_thief = read_frame(thief, 10s);
  ASSERT_TRUE(to_thief);
  c.signal(2, SIGCONT);
  c.signal(3, SIGCONT);
  std::optional<Bytes> second;
  uint64_t second_seq = 0;
  for (auto until = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < until;) {
    second = read_frame(conn, 1s);
    if (!second) continue;
    auto r = client::decode_reply_view(*second);
    if (r && r->seq == 2) {
      second_seq = r->seq;
      break;
    }
  }
  EXPECT_EQ(second_seq, 2u) << "the reply to the client's request went elsewhere";

  // Replayed after the client moved on: refused, counted, not ordered.
  ASSERT_TRUE(send_all(thief, net::encode_frame(victim.request(1, "a", "1"))));
  auto refused = read_frame(thief, 10s);
  ASSERT_TRUE(refused);
  auto m = client::decode_message(*refused);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tag, client::kTagReject);
  EXPECT_TRUE(wait_for([&] { return c.metric(1, "rampart_replayed_requests_total") >= 1; }, 5s));
  ::close(conn);
  ::close(thief);
}

}  // namespace
}  // namespace rampart::test
