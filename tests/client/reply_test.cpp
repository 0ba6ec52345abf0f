// CART reply verification: a genuine reply verifies; any tampering (result, proof, root, k,
// signature, wrong request) is refused. Uses the fake keyring for speed.
#include <gtest/gtest.h>

#include "client/verify.hpp"
#include "replica/client_wire.hpp"
#include "crypto/fake.hpp"
#include "crypto/merkle.hpp"
#include "ledger/block.hpp"

namespace rampart::client {
namespace {
namespace merkle = crypto::merkle;

struct Fixture {
  crypto::FakeKeyring ring{4, 3, 11};
  Reply reply;
  Fixture() {
    std::vector<Hash32> leaves;
    for (uint64_t c = 0; c < 5; ++c) leaves.push_back(merkle::leaf_hash(reply_leaf(c, 1, 0, to_bytes("r" + std::to_string(c)))));
    merkle::Tree t(leaves);
    reply.k = 9;
    reply.view = 2;
    reply.client = 3;
    reply.seq = 1;
    reply.result = to_bytes("r3");
    reply.proof = t.proof(3)->encode();
    reply.results_root = t.root();
    reply.batch_digest[0] = 7;
    reply.prev_hash[0] = 8;
    reply.state_digest[0] = 9;
    Bytes msg = ledger::proof_message(2, 9, reply_block_hash(reply));
    std::vector<crypto::Share> shares;
    for (uint32_t i = 0; i < 3; ++i) shares.push_back({i, ring.threshold_signer(i)->sign_share(msg)});
    reply.group_sig = *ring.threshold_verifier().combine(msg, shares);
  }
};

TEST(Reply, GenuineVerifiesAndRoundTrips) {
  Fixture f;
  EXPECT_TRUE(verify_reply(f.reply, 3, 1, f.ring.threshold_verifier()));
  auto m = decode_message(encode_reply(f.reply));
  ASSERT_TRUE(m);
  EXPECT_TRUE(verify_reply(m->reply, 3, 1, f.ring.threshold_verifier()));
}

TEST(Reply, TamperingIsRefused) {
  Fixture f;
  const auto& tv = f.ring.threshold_verifier();
  auto r = f.reply;
  r.result = to_bytes("r4");
  EXPECT_FALSE(verify_reply(r, 3, 1, tv));
  r = f.reply;
  r.k = 10;
  EXPECT_FALSE(verify_reply(r, 3, 1, tv));
  r = f.reply;
  r.view = 3;  // the proof names view 2
  EXPECT_FALSE(verify_reply(r, 3, 1, tv));
  r = f.reply;
  r.state_digest[0] ^= 1;  // another block (the proof signs the whole header)
  EXPECT_FALSE(verify_reply(r, 3, 1, tv));
  r = f.reply;
  r.prev_hash[0] ^= 1;  // another history
  EXPECT_FALSE(verify_reply(r, 3, 1, tv));
  r = f.reply;
  r.results_root[0] ^= 1;
  EXPECT_FALSE(verify_reply(r, 3, 1, tv));
  r = f.reply;
  r.group_sig[0] ^= 1;
  EXPECT_FALSE(verify_reply(r, 3, 1, tv));
  r = f.reply;
  r.proof.back() ^= 1;
  EXPECT_FALSE(verify_reply(r, 3, 1, tv));
  EXPECT_FALSE(verify_reply(f.reply, 4, 1, tv));  // someone else's reply
  EXPECT_FALSE(verify_reply(f.reply, 3, 2, tv));  // another request of ours
}

TEST(Wire, MalformedFramesAreRejected) {
  EXPECT_FALSE(decode_message(Bytes{}));
  EXPECT_FALSE(decode_message(Bytes{42}));
  Bytes w = encode_reply(Fixture().reply);
  for (size_t cut = 0; cut < w.size(); cut += 7) EXPECT_FALSE(decode_message(ByteView(w).first(cut)));
  EXPECT_EQ(client_id_of(Bytes(32, 1)), client_id_of(Bytes(32, 1)));
  EXPECT_NE(client_id_of(Bytes(32, 1)), client_id_of(Bytes(32, 2)));
}

TEST(Wire, ReplyViewReadsTheFrameInPlace) {
  Fixture f;
  const Bytes w = encode_reply(f.reply);
  auto v = decode_reply_view(w);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->k, f.reply.k);
  EXPECT_EQ(v->client, f.reply.client);
  EXPECT_EQ(v->seq, f.reply.seq);
  EXPECT_EQ(Bytes(v->result.begin(), v->result.end()), f.reply.result);
  EXPECT_EQ(Bytes(v->proof.begin(), v->proof.end()), f.reply.proof);
  EXPECT_EQ(v->results_root, f.reply.results_root);
  EXPECT_EQ(Bytes(v->group_sig.begin(), v->group_sig.end()), f.reply.group_sig);
  // Views into the frame, not copies.
  EXPECT_TRUE(v->proof.data() > w.data() && v->proof.data() < w.data() + w.size());
  // Its leaf, appended in place, is the one the proof covers.
  Writer leaf;
  append_reply_leaf(leaf, v->client, v->seq, v->kind, v->result);
  EXPECT_EQ(Bytes(leaf.data().begin(), leaf.data().end()), reply_leaf(f.reply.client, f.reply.seq, f.reply.kind, f.reply.result));
  // Only whole replies: truncated, trailing bytes, or another message kind are refused.
  for (size_t cut = 0; cut < w.size(); cut += 7) EXPECT_FALSE(decode_reply_view(ByteView(w).first(cut)));
  Bytes longer = w;
  longer.push_back(0);
  EXPECT_FALSE(decode_reply_view(longer));
  EXPECT_FALSE(decode_reply_view(encode_reject({3, 1, "no"})));
}

}  // namespace
}  // namespace rampart::client
