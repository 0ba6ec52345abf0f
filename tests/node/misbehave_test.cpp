// The Byzantine filter of `rampart replica --misbehave`: its lies are well formed (they decode
// as what they claim to be) and wrong (a share that does not verify for the block it names, a
// reply whose result differs), and everything else passes untouched.
#include <gtest/gtest.h>

#include "crypto/fake.hpp"
#include "ledger/block.hpp"
#include "node/misbehave.hpp"
#include "replica/client_wire.hpp"
#include "replica/peer_msg.hpp"

namespace rampart::node {
namespace {
using replica::PeerTag;

TEST(Misbehave, ParsesItsListAndRefusesUnknownBehaviours) {
  auto both = parse_misbehaviour("bad-shares,lie-results");
  ASSERT_TRUE(both);
  EXPECT_TRUE(both->bad_shares && both->lie_results);
  auto none = parse_misbehaviour("none");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->any());
  auto unset = parse_misbehaviour("");  // the flag not given
  ASSERT_TRUE(unset);
  EXPECT_FALSE(unset->any());
  EXPECT_FALSE(parse_misbehaviour("bad-shares,fly"));
}

TEST(Misbehave, SharesNameTheBlockButDoNotVerifyAndOtherMessagesPass) {
  crypto::FakeKeyring ring(4, 3, 9);
  auto signer = ring.threshold_signer(2);
  metrics::Registry reg;
  Liar liar({true, false}, *signer, reg);
  Hash32 head{};
  head[3] = 7;
  const Bytes msg = ledger::proof_message(1, 5, head);
  const Bytes wire = replica::encode_share({5, 1, head, signer->sign_share(msg)});
  auto lied = replica::decode_share(ByteView(liar.peer(wire)).subspan(1));
  ASSERT_TRUE(lied);
  EXPECT_EQ(lied->k, 5u);
  EXPECT_EQ(lied->view, 1u);
  EXPECT_EQ(lied->hash, head);
  EXPECT_TRUE(ring.threshold_verifier().verify_share(2, msg, signer->sign_share(msg)));
  EXPECT_FALSE(ring.threshold_verifier().verify_share(2, msg, lied->share));
  const Bytes other = replica::wrap(PeerTag::consensus, to_bytes("propose"));
  EXPECT_EQ(liar.peer(other), other);
}

TEST(Misbehave, RepliesAreAlteredButStillParse) {
  crypto::FakeKeyring ring(4, 3, 9);
  auto signer = ring.threshold_signer(0);
  metrics::Registry reg;
  Liar liar({false, true}, *signer, reg);
  client::Reply r;
  r.k = 3;
  r.client = 8;
  r.seq = 2;
  r.result = to_bytes("the truth");
  const Bytes frame = client::encode_reply(r);
  auto m = client::decode_message(liar.reply(frame));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->tag, client::kTagReply);
  EXPECT_EQ(m->reply.seq, 2u);
  EXPECT_NE(m->reply.result, r.result);
  const Bytes reject = client::encode_reject({8, 2, "no"});
  EXPECT_EQ(liar.reply(reject), reject);
}

}  // namespace
}  // namespace rampart::node
