// PBFT codec: every message round-trips; truncated, padded, mistyped input is refused.
#include <gtest/gtest.h>

#include "consensus/pbft/certificates.hpp"
#include "consensus/pbft/digest.hpp"
#include "consensus/pbft/messages.hpp"
#include "crypto/fake.hpp"

namespace rampart::consensus::pbft {
namespace {

crypto::FakeKeyring keys(4, 3, 7);

Hash32 h(uint8_t b) {
  Hash32 x{};
  x.fill(b);
  return x;
}

// Every strict prefix and the message plus one trailing byte must fail to decode.
template <typename Decode>
void expect_strict(const Bytes& wire, Decode decode) {
  ASSERT_TRUE(decode(wire).ok());
  for (size_t cut = 0; cut < wire.size(); ++cut)
    EXPECT_FALSE(decode(ByteView(wire.data(), cut)).ok()) << "prefix " << cut;
  Bytes longer = wire;
  longer.push_back(0);
  EXPECT_FALSE(decode(longer).ok());
}

TEST(PbftMessages, PrePrepareRoundTrip) {
  PrePrepare m{3, 9, batch_digest(to_bytes("abc")), to_bytes("sig"), to_bytes("abc")};
  Bytes w = encode_pre_prepare(m);
  auto d = decode_pre_prepare(w);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->view, 3u);
  EXPECT_EQ(d->seq, 9u);
  EXPECT_EQ(d->digest, m.digest);
  EXPECT_EQ(d->batch, m.batch);
  EXPECT_EQ(d->sig, m.sig);
  expect_strict(w, decode_pre_prepare);
  EXPECT_EQ(*peek_type(w), MsgType::pre_prepare);
}

TEST(PbftMessages, VotesAndCheckpointRoundTrip) {
  Bytes p = encode_vote({MsgType::prepare, 1, 2, h(5), 3, to_bytes("s")});
  Bytes c = encode_vote({MsgType::commit, 1, 2, h(5), 3, to_bytes("s")});
  EXPECT_EQ(decode_vote(p)->type, MsgType::prepare);
  EXPECT_EQ(decode_vote(c)->type, MsgType::commit);
  EXPECT_EQ(decode_vote(c)->replica, 3u);
  expect_strict(p, decode_vote);
  Bytes k = encode_checkpoint({64, h(1), 2, to_bytes("s")});
  EXPECT_EQ(decode_checkpoint(k)->seq, 64u);
  expect_strict(k, decode_checkpoint);
  // A vote is not a checkpoint and vice versa.
  EXPECT_FALSE(decode_checkpoint(p).ok());
  EXPECT_FALSE(decode_vote(k).ok());
}

TEST(PbftMessages, ViewChangeNewViewStatusCatchupProofRoundTrip) {
  auto s0 = keys.signer(0);
  ViewChange vc;
  vc.new_view = 2;
  vc.replica = 0;
  vc.stable = {64, h(2), {{1, to_bytes("a")}, {2, to_bytes("b")}}};
  vc.prepared.push_back({1, 65, batch_digest(to_bytes("x")), to_bytes("x"), to_bytes("pp"), {{2, to_bytes("p")}}});
  Bytes w = encode_view_change(vc, *s0);
  auto d = decode_view_change(w);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->prepared.size(), 1u);
  EXPECT_TRUE(d->prepared[0].batch.empty());  // named by digest only
  EXPECT_EQ(d->prepared[0].digest, batch_digest(to_bytes("x")));
  EXPECT_EQ(d->prepared[0].pp_sig, to_bytes("pp"));
  EXPECT_EQ(d->stable.sigs.size(), 2u);
  EXPECT_TRUE(keys.verifier().verify(0, ByteView(w).subspan(0, d->signed_len), d->sig));
  expect_strict(w, decode_view_change);

  NewView nv{2, {w, w}, {{65, h(3), to_bytes("q")}}, {}, 0};
  Bytes nw = encode_new_view(nv, *s0);
  auto nd = decode_new_view(nw);
  ASSERT_TRUE(nd.ok());
  EXPECT_EQ(nd->view_changes.size(), 2u);
  EXPECT_EQ(nd->entries[0].seq, 65u);
  expect_strict(nw, decode_new_view);

  Bytes st = encode_status({4, true, 5, 64, 70, 0, {}, 0}, *s0);
  auto sd = decode_status(st);
  ASSERT_TRUE(sd.ok());
  EXPECT_TRUE(sd->in_view_change);
  EXPECT_EQ(sd->target, 5u);
  EXPECT_EQ(sd->last_executed, 70u);
  expect_strict(st, decode_status);

  Catchup cu{0, {1, 7, h(4), to_bytes("pp"), {{1, to_bytes("c")}}, to_bytes("batch")}, {}, 0};
  Bytes cw = encode_catchup(cu, *s0);
  EXPECT_EQ(decode_catchup(cw)->cert.batch, to_bytes("batch"));
  expect_strict(cw, decode_catchup);

  Bytes pw = encode_stable_proof({0, {64, h(9), {{3, to_bytes("z")}}}, {}, 0}, *s0);
  EXPECT_EQ(decode_stable_proof(pw)->proof.seq, 64u);
  expect_strict(pw, decode_stable_proof);
}

TEST(PbftMessages, PeekRejectsGarbage) {
  EXPECT_FALSE(peek_type(Bytes{}).ok());
  EXPECT_FALSE(peek_type(to_bytes("PBF")).ok());
  EXPECT_FALSE(peek_type(to_bytes("XXXX\x01")).ok());
  Bytes w = encode_vote({MsgType::prepare, 0, 1, h(0), 0, {}});
  w[4] = 99;  // unknown type
  EXPECT_FALSE(peek_type(w).ok());
}

TEST(PbftMessages, HostileCountsDoNotAllocate) {
  // A VIEW-CHANGE that claims 2^32-1 certificates in a few bytes is refused.
  Bytes w = encode_view_change(ViewChange{}, *keys.signer(0));
  auto d = decode_view_change(w);
  ASSERT_TRUE(d.ok());
  // The P-set count sits right after magic(4) type(1) view(8) replica(4) proof(8+32+4).
  size_t at = 4 + 1 + 8 + 4 + 8 + 32 + 4;
  for (size_t i = 0; i < 4; ++i) w[at + i] = 0xff;
  EXPECT_FALSE(decode_view_change(w).ok());
}

TEST(PbftMessages, NewViewPlanFillsGapsWithNull) {
  Config cfg;
  ViewChange a, b;
  a.new_view = b.new_view = 1;
  a.prepared.push_back({0, 2, batch_digest(to_bytes("two")), to_bytes("two"), {}, {}});
  b.prepared.push_back({0, 4, batch_digest(to_bytes("four")), to_bytes("four"), {}, {}});
  // A higher-view certificate for seq 2 wins.
  b.prepared.push_back({0, 2, batch_digest(to_bytes("old")), to_bytes("old"), {}, {}});
  a.prepared[0].view = 1;
  a.new_view = b.new_view = 2;
  NewViewPlan p = compute_new_view({a, b});
  EXPECT_EQ(p.stable.seq, 0u);
  EXPECT_EQ(p.max_seq, 4u);
  ASSERT_EQ(p.entries.size(), 4u);
  EXPECT_EQ(p.entries[0].digest, null_digest());
  EXPECT_EQ(p.entries[1].digest, batch_digest(to_bytes("two")));
  EXPECT_EQ(p.entries[2].digest, null_digest());
  EXPECT_EQ(p.entries[3].digest, batch_digest(to_bytes("four")));
  // A batch prepared at two seqs (an old view's leftover and a later re-proposal) is kept
  // once, at the higher view's seq; the other seq becomes a null request.
  {
    ViewChange x = a, y = b;
    x.prepared.push_back({0, 5, batch_digest(to_bytes("four")), to_bytes("four"), {}, {}});
    y.prepared[0].view = 1;  // "four" at seq 4 now has the higher view
    NewViewPlan q = compute_new_view({x, y});
    ASSERT_EQ(q.entries.size(), 5u);
    EXPECT_EQ(q.entries[3].digest, batch_digest(to_bytes("four")));
    EXPECT_EQ(q.entries[4].digest, null_digest());
    EXPECT_EQ(q.max_seq, 5u);
  }
  // Prepared at two seqs in one view (a faulty primary, or one back from a crash): either may be
  // the committed one, so both stay (sim pbft f=1 seed 2010 nulled the committed higher seq).
  {
    ViewChange x = a, y = b;
    x.prepared.push_back({1, 5, batch_digest(to_bytes("four")), to_bytes("four"), {}, {}});
    y.prepared[0].view = 1;
    NewViewPlan q = compute_new_view({x, y});
    ASSERT_EQ(q.entries.size(), 5u);
    EXPECT_EQ(q.entries[3].digest, batch_digest(to_bytes("four")));
    EXPECT_EQ(q.entries[4].digest, batch_digest(to_bytes("four")));
  }
  // Certificates at or below the highest stable checkpoint are dropped.
  b.stable.seq = 64;
  p = compute_new_view({a, b});
  EXPECT_EQ(p.max_seq, 64u);
  EXPECT_TRUE(p.entries.empty());
}

}  // namespace
}  // namespace rampart::consensus::pbft
