#include "replica/reply_frame.hpp"

#include <gtest/gtest.h>

#include "replica/client_wire.hpp"

namespace rampart::replica {
namespace {

Hash32 leaf(uint32_t i) {
  Hash32 h{};
  h[0] = static_cast<uint8_t>(i);
  h[1] = static_cast<uint8_t>(i >> 8);
  h[31] = 0x5a;
  return h;
}

// The direct writer must produce exactly the bytes of the general encoder, for every position
// of trees of awkward sizes (odd levels promote nodes without a sibling).
TEST(ReplyFrame, EqualsEncodeReplyForEveryLeafOfSeveralTrees) {
  Writer reused;
  for (uint32_t n : {1u, 2u, 3u, 5u, 8u, 13u, 64u, 100u}) {
    std::vector<Hash32> leaves;
    for (uint32_t i = 0; i < n; ++i) leaves.push_back(leaf(i));
    crypto::merkle::Tree tree(leaves);
    const Bytes sig(96, 0x33);
    ledger::Block b;
    b.k = 42;
    b.batch_digest[0] = 1;
    b.prev_hash[0] = 2;
    b.state_digest[0] = 3;
    b.results_root = tree.root();
    for (uint32_t i = 0; i < n; ++i) {
      replica::ReplyEntry e{1000 + i, 7 + i, i % 2 ? replica::ReplyKind::cached : replica::ReplyKind::executed,
                            Bytes(i % 5, static_cast<uint8_t>(i))};
      client::Reply want{42, 3, e.client, e.seq, static_cast<uint8_t>(e.kind), e.result, tree.proof(i)->encode(),
                         tree.root(), b.batch_digest, b.prev_hash, b.state_digest, sig};
      ASSERT_EQ(reply_frame(3, b, e, i, tree, sig), client::encode_reply(want)) << "n=" << n << " i=" << i;
      // Appended into a reused writer (as send_replies does): the same bytes after what was there.
      reused.clear();
      reused.u8(0xEE);
      ASSERT_TRUE(append_reply_frame(reused, 3, b, e, i, tree, sig));
      Bytes expect{0xEE};
      const Bytes enc = client::encode_reply(want);
      expect.insert(expect.end(), enc.begin(), enc.end());
      ASSERT_EQ(Bytes(reused.data().begin(), reused.data().end()), expect) << "n=" << n << " i=" << i;
    }
    EXPECT_TRUE(reply_frame(3, b, replica::ReplyEntry{}, n, tree, sig).empty()) << "index past the last leaf";
    reused.clear();
    EXPECT_FALSE(append_reply_frame(reused, 3, b, replica::ReplyEntry{}, n, tree, sig));
    EXPECT_EQ(reused.size(), 0u) << "nothing written for an index past the last leaf";
  }
}

TEST(ReplyFrame, DecodesAsAReplyWhoseProofVerifies) {
  std::vector<Hash32> leaves;
  for (uint32_t i = 0; i < 11; ++i) leaves.push_back(leaf(i));
  crypto::merkle::Tree tree(leaves);
  replica::ReplyEntry e{9, 3, replica::ReplyKind::executed, Bytes{1, 2, 3}};
  ledger::Block b;
  b.k = 5;
  b.results_root = tree.root();
  auto m = client::decode_message(reply_frame(2, b, e, 6, tree, Bytes(96, 1)));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->tag, client::kTagReply);
  EXPECT_EQ(m->reply.k, 5u);
  EXPECT_EQ(m->reply.view, 2u);
  EXPECT_EQ(m->reply.result, (Bytes{1, 2, 3}));
  auto p = crypto::merkle::Proof::decode(m->reply.proof);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(crypto::merkle::verify(tree.root(), leaves[6], *p).ok());
  EXPECT_FALSE(crypto::merkle::verify(tree.root(), leaves[5], *p).ok());
}

}  // namespace
}  // namespace rampart::replica
