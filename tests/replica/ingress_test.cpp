// The direct path's ingress with a fake host: which requests reach the batcher, which are refused
// before ordering, where replies go, and a retry of a final block answered from the reply cache.
#include "replica/ingress.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <map>

#include "app/kv/kv_store.hpp"
#include "app/kv/op.hpp"
#include "replica/client_wire.hpp"

namespace rampart::replica {
namespace {

struct Key {
  Bytes pk = Bytes(crypto_sign_PUBLICKEYBYTES), sk = Bytes(crypto_sign_SECRETKEYBYTES);
  ClientId id = 0;
  Key() {
    crypto_sign_keypair(pk.data(), sk.data());
    id = client::client_id_of(pk);
  }
  Request request(uint64_t seq, const std::string& k, bool sign = true) const {
    Request r;
    r.client = id;
    r.seq = seq;
    r.payload = pk;
    const Bytes op = app::kv::encode_op(app::kv::put(k, "v"));
    r.payload.insert(r.payload.end(), op.begin(), op.end());
    const Bytes msg = request_signing_bytes(r.client, r.seq, r.payload);
    r.sig.assign(crypto_sign_BYTES, 0);
    if (sign) crypto_sign_detached(r.sig.data(), nullptr, msg.data(), msg.size(), sk.data());
    return r;
  }
  Bytes frame(uint64_t seq, const std::string& k, bool sign = true) const {
    return client::encode_request_frame(request(seq, k, sign));
  }
  Principal principal(bool relay = false) const { return {id, relay}; }
};

struct FakeHost : IngressHost {
  std::map<SinkId, std::vector<Bytes>> sent;
  std::vector<Request> ordered;
  uint64_t final_k = 0;
  std::optional<AnsweredBlock> kept;  // the one final block whose replies went out
  bool send_to_client(SinkId to, ByteView f) override {
    sent[to].emplace_back(f.begin(), f.end());
    return true;
  }
  void order(Request r) override { ordered.push_back(std::move(r)); }
  uint64_t last_final() override { return final_k; }
  std::optional<Proofs::Answer> answered_block(uint64_t k) override {
    if (!kept || kept->header.k != k) return std::nullopt;
    return Proofs::Answer{kept->view, kept->header, kept->replies, *kept->tree, kept->group_sig};
  }
  uint64_t cpu_now_ns() override { return 0; }

  // The last frame sent to `s`, decoded.
  client::Message last(SinkId s) {
    auto m = client::decode_message(sent.at(s).back());
    EXPECT_TRUE(m);
    return *m;
  }
};

struct IngressTest : ::testing::Test {
  app::kv::KvStore kv;
  Executor exec{kv};
  FakeHost host;
  metrics::Registry reg;
  Ingress in{host, exec, ClientAuth::ed25519, reg};

  // Executes the ordered requests as block k and returns its proof, as Proofs would hold it.
  BlockProof execute_ordered(uint64_t k) {
    Batch b;
    for (auto& r : host.ordered) b.requests.push_back(r);
    host.ordered.clear();
    auto o = exec.execute(k, encode_batch(b));
    BlockProof p;
    p.executed = true;
    p.header.k = k;
    p.header.results_root = o.results_root;
    p.header.state_digest = o.state_digest;
    p.header.batch_digest = o.batch_digest;
    p.replies = o.replies;
    p.tree = o.tree;
    p.proof_view = 0;
    p.group_sig = Bytes(96, 7);
    return p;
  }
  void keep_answered(const BlockProof& p) {
    host.kept = AnsweredBlock{p.proof_view, p.header, p.replies, p.tree, p.group_sig};
    host.final_k = p.header.k;
  }
};

TEST_F(IngressTest, AClientsRequestIsOrderedAndItsReplyGoesBackWhereItAsked) {
  Key a;
  ASSERT_TRUE(in.on_frame(10, a.principal(), a.frame(1, "x")));
  ASSERT_EQ(host.ordered.size(), 1u);
  in.deliver(execute_ordered(1));
  ASSERT_EQ(host.sent[10].size(), 1u);
  auto m = host.last(10);
  EXPECT_EQ(m.tag, client::kTagReply);
  EXPECT_EQ(m.reply.seq, 1u);
  EXPECT_EQ(m.reply.client, a.id);
}

TEST_F(IngressTest, AnotherKeysRequestIsRefusedUnlessTheSinkIsARelays) {
  Key victim, thief, relay;
  ASSERT_TRUE(in.on_frame(20, thief.principal(), victim.frame(1, "x")));
  EXPECT_TRUE(host.ordered.empty()) << "a replay on another key's sink was ordered";
  EXPECT_EQ(host.last(20).tag, client::kTagReject);
  ASSERT_TRUE(in.on_frame(30, relay.principal(true), victim.frame(1, "x")));
  EXPECT_EQ(host.ordered.size(), 1u);
  in.deliver(execute_ordered(1));
  EXPECT_EQ(host.last(30).tag, client::kTagReply) << "the relay carries the victim's reply";
  EXPECT_EQ(host.sent[20].size(), 1u) << "the thief got more than its reject";
}

TEST_F(IngressTest, ABadSignatureIsRejectedAndNotOrdered) {
  Key a;
  ASSERT_TRUE(in.on_frame(1, a.principal(), a.frame(1, "x", /*sign=*/false)));
  EXPECT_TRUE(host.ordered.empty());
  EXPECT_EQ(host.last(1).tag, client::kTagReject);
  EXPECT_FALSE(in.on_frame(1, a.principal(), to_bytes("not a request"))) << "junk must close the sink";
}

// A relay replays a client's executed request: it is not ordered as new and does not move the
// client's replies (only an unexecuted request binds); an older one is refused before ordering.
TEST_F(IngressTest, ReplaysThroughARelayNeitherMoveRepliesNorCostAnOrdering) {
  Key a, relay;
  ASSERT_TRUE(in.on_frame(1, a.principal(), a.frame(1, "x")));
  in.deliver(execute_ordered(1));
  ASSERT_TRUE(in.on_frame(1, a.principal(), a.frame(2, "y")));
  ASSERT_EQ(host.ordered.size(), 1u);
  ASSERT_TRUE(in.on_frame(2, relay.principal(true), a.frame(1, "x")));  // executed; block 1 not final
  auto p2 = execute_ordered(2);  // seq 2 and the replay, ordered together
  in.deliver(p2);
  ASSERT_FALSE(host.sent[1].empty());
  EXPECT_EQ(host.last(1).reply.seq, 2u) << "the client's reply went elsewhere";
  const size_t relay_frames = host.sent[2].size();
  ASSERT_TRUE(in.on_frame(2, relay.principal(true), a.frame(1, "x")));  // now older than the last
  EXPECT_TRUE(host.ordered.empty());
  EXPECT_EQ(host.sent[2].size(), relay_frames + 1);
  EXPECT_EQ(host.last(2).tag, client::kTagReject);
}

TEST_F(IngressTest, ARetryOfAFinalBlockIsAnsweredFromTheCacheWithoutOrdering) {
  Key a;
  ASSERT_TRUE(in.on_frame(1, a.principal(), a.frame(1, "x")));
  auto p = execute_ordered(1);
  in.deliver(p);
  keep_answered(p);
  const Bytes first = host.sent[1].back();
  ASSERT_TRUE(in.on_frame(5, a.principal(), a.frame(1, "x")));  // the reply was lost: again, elsewhere
  EXPECT_TRUE(host.ordered.empty()) << "a retry of a final block was ordered again";
  ASSERT_EQ(host.sent[5].size(), 1u);
  EXPECT_EQ(host.sent[5].back(), first) << "not the same reply";
  // Before the block is final the retry is ordered (the executor answers it from its cache).
  host.final_k = 0;
  ASSERT_TRUE(in.on_frame(5, a.principal(), a.frame(1, "x")));
  EXPECT_EQ(host.ordered.size(), 1u);
}

// A replica that restarted has lost its sinks, but its executor recovered the client's last
// request: the client's retry on its own connection must bind the reply there (it used to be
// ordered and answered to nobody, for ever if every replica had restarted).
TEST_F(IngressTest, ARetryOfAnExecutedRequestIsAnsweredOnTheClientsOwnSinkAfterARestart) {
  Key a;
  ASSERT_TRUE(in.on_frame(1, a.principal(), a.frame(1, "x")));
  execute_ordered(1);  // executed; its replies never went out (the replica crashed)
  Ingress restarted{host, exec, ClientAuth::ed25519, reg};
  ASSERT_TRUE(restarted.on_frame(7, a.principal(), a.frame(1, "x")));
  ASSERT_EQ(host.ordered.size(), 1u) << "the retry of a block not final and answered is ordered again";
  restarted.deliver(execute_ordered(2));
  ASSERT_EQ(host.sent[7].size(), 1u) << "the retry was answered to nobody";
  EXPECT_EQ(host.last(7).tag, client::kTagReply);
  EXPECT_EQ(host.last(7).reply.seq, 1u);
}

}  // namespace
}  // namespace rampart::replica
