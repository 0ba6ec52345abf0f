// Retries and replays of a client's signed requests (issue 16; docs/operations.md): a retry whose
// reply was lost is answered from the reply cache without a consensus round, and a replay by
// someone else is refused before ordering and learns nothing. The test is its own client on raw
// channels, so it can send the very same signed request twice.
#include <gtest/gtest.h>
#include <sodium.h>

#include "app/kv/op.hpp"
#include "replica/client_wire.hpp"
#include "process/cluster_fixture.hpp"
#include "process/raw_channel.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// Sends the request to replica `id` on a fresh channel opened with the client's key and returns
// its reply.
std::optional<Bytes> ask(const LocalCluster& c, uint32_t id, const client::SigningKey& key, const Bytes& request) {
  auto ch = RawChannel::open(c.config(), id, key);
  if (!ch || !ch->send(request)) return std::nullopt;
  return ch->recv(10s);
}

// A raw client: its own Ed25519 key, requests signed for any seq.
struct RawClient {
  client::SigningKey key = client::SigningKey::generate();
  replica::ClientId id = client::client_id_of(key.pk);
  Bytes request(uint64_t seq, const std::string& k, const std::string& value) const {
    Bytes payload = key.pk;
    const Bytes op = app::kv::encode_op(app::kv::put(k, value));
    payload.insert(payload.end(), op.begin(), op.end());
    const Bytes msg = replica::request_signing_bytes(id, seq, payload);
    replica::Request r;
    r.client = id;
    r.seq = seq;
    r.payload = std::move(payload);
    r.sig.resize(crypto_sign_BYTES);
    crypto_sign_detached(r.sig.data(), nullptr, msg.data(), msg.size(), key.sk.data());
    return client::encode_request_frame(r);
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
  const RawClient me;
  const Bytes frame = me.request(1, "retried", "once");

  // First answer, from replica 1 (a backup: it forwards the request and replies once proven).
  auto first = ask(c, 1, me.key, frame);
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
  auto again = ask(c, 2, me.key, frame);
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

// Someone replays the client's requests on their own connection (opened with their own key)
// while the client's next one is in flight: the replica refuses them before ordering, as
// requests of another key, and the client's reply still comes to the client. The in-flight
// window is held open by stopping two replicas (no quorum).
TEST(Retry, AReplayDoesNotStealTheClientsReplies) {
  LocalCluster c(4, "poe");
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  const RawClient victim, thief;
  auto conn = RawChannel::open(c.config(), 1, victim.key);
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->send(victim.request(1, "a", "1")));
  auto first = conn->recv(10s);
  ASSERT_TRUE(first);
  ASSERT_TRUE(client::decode_reply_view(*first));

  c.signal(2, SIGSTOP);
  c.signal(3, SIGSTOP);
  ASSERT_TRUE(conn->send(victim.request(2, "b", "2")));
  auto stolen = RawChannel::open(c.config(), 1, thief.key);
  ASSERT_TRUE(stolen);
  for (uint64_t seq : {1, 2}) {  // the executed request and the one in flight
    ASSERT_TRUE(stolen->send(victim.request(seq, seq == 1 ? "a" : "b", seq == 1 ? "1" : "2")));
    auto answer = stolen->recv(10s);
    ASSERT_TRUE(answer);
    auto m = client::decode_message(*answer);
    ASSERT_TRUE(m);
    ASSERT_EQ(m->tag, client::kTagReject) << "a replay on another key's connection was answered";
    EXPECT_NE(m->reject.reason.find("only its own key"), std::string::npos) << m->reject.reason;
  }
  c.signal(2, SIGCONT);
  c.signal(3, SIGCONT);
  uint64_t second_seq = 0;
  for (auto until = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < until;) {
    auto second = conn->recv(1s);
    if (!second) continue;
    auto r = client::decode_reply_view(*second);
    if (r && r->seq == 2) {
      second_seq = r->seq;
      break;
    }
  }
  EXPECT_EQ(second_seq, 2u) << "the reply to the client's request went elsewhere";
  EXPECT_TRUE(wait_for([&] { return c.metric(1, "rampart_foreign_requests_total") >= 2; }, 5s));

  // The client's own stale request, replayed on its own connection: refused, not ordered.
  ASSERT_TRUE(conn->send(victim.request(1, "a", "1")));
  std::optional<Bytes> refused;
  for (auto until = std::chrono::steady_clock::now() + 10s; !refused && std::chrono::steady_clock::now() < until;) {
    auto f = conn->recv(1s);
    auto m = f ? client::decode_message(*f) : Result<client::Message>(err("none"));
    if (m && m->tag == client::kTagReject && m->reject.seq == 1) refused = f;
  }
  ASSERT_TRUE(refused) << "the stale request was not refused";
  EXPECT_TRUE(wait_for([&] { return c.metric(1, "rampart_replayed_requests_total") >= 1; }, 5s));
}

}  // namespace
}  // namespace rampart::test
