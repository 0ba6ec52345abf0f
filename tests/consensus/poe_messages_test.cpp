// PoE wire codecs: round trips, and rejection of truncated, oversized and trailing input.
#include <gtest/gtest.h>

#include "consensus/poe/journal.hpp"
#include "consensus/poe/messages.hpp"

using namespace rampart;
using namespace rampart::consensus;
using namespace rampart::consensus::poe;

namespace {
Limits lim() {
  Config c;
  Limits l = limits_for(c);
  l.max_batch = 1000;
  return l;
}
Hash32 h(uint8_t x) {
  Hash32 r{};
  r.fill(x);
  return r;
}
}  // namespace

TEST(PoeMessages, ProposeRoundTripAndTruncation) {
  Bytes b = to_bytes("batch");
  Bytes m = encode(Propose{3, 9, batch_digest(b), b});
  auto d = decode_propose(m, lim());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->v, 3u);
  EXPECT_EQ(d->k, 9u);
  EXPECT_EQ(d->batch, b);
  for (size_t cut = 0; cut < m.size(); ++cut) {
    EXPECT_FALSE(decode_propose(ByteView(m).first(cut), lim()).ok()) << cut;
  }
  Bytes longer = m;
  longer.push_back(0);
  EXPECT_FALSE(decode_propose(longer, lim()).ok());  // trailing byte
  EXPECT_FALSE(decode_support(m, lim()).ok());        // wrong type byte
}

TEST(PoeMessages, BatchLengthLimit) {
  Bytes big(1001, 'x');
  EXPECT_FALSE(decode_propose(encode(Propose{0, 1, batch_digest(big), big}), lim()).ok());
  EXPECT_FALSE(decode_forward(encode(Forward{big}), lim()).ok());
  EXPECT_TRUE(decode_forward(encode(Forward{Bytes(1000, 'x')}), lim()).ok());
}

TEST(PoeMessages, VotesAndCheckpointRoundTrip) {
  auto s = decode_support(encode(Support{1, 2, h(3), Bytes(32, 4)}), lim());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->digest, h(3));
  auto c = decode_certify(encode(Certify{1, 2, h(3), Bytes(32, 5)}), lim());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->group_sig, Bytes(32, 5));
  auto k = decode_checkpoint(encode(Checkpoint{3, 64, h(1), Bytes(32, 6)}), lim());
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->v, 3u);
  EXPECT_EQ(k->k, 64u);
  EXPECT_EQ(k->head, h(1));
  Bytes huge_sig = encode(Support{1, 2, h(3), Bytes(2000, 4)});
  EXPECT_FALSE(decode_support(huge_sig, lim()).ok());
}

TEST(PoeMessages, VcRequestRoundTripKeepsSignedBody) {
  VcRequest r;
  r.new_view = 5;
  r.sender = 2;
  r.ckpt = 64;
  r.ckpt_view = 3;
  r.ckpt_head = h(7);
  r.ckpt_proof = {{0, Bytes(32, 1)}, {1, Bytes(32, 2)}, {2, Bytes(32, 3)}};
  r.entries.push_back({4, 65, batch_digest(to_bytes("a")), to_bytes("a"), {Bytes(32, 9), {}}});
  r.sig = Bytes(32, 8);
  Bytes m = encode(r);
  auto d = decode_vc_request(m, lim());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->body, vc_body(r));
  EXPECT_EQ(d->entries.size(), 1u);
  EXPECT_EQ(d->ckpt_proof, r.ckpt_proof);
  for (size_t cut = 0; cut < m.size(); cut += 7) {
    EXPECT_FALSE(decode_vc_request(ByteView(m).first(cut), lim()).ok());
  }
  // A proof list longer than n is refused before any allocation.
  r.ckpt_proof.resize(5, {0, Bytes(1, 1)});
  EXPECT_FALSE(decode_vc_request(encode(r), lim()).ok());

  NvPropose nv{5, {m, m, m}};
  auto dn = decode_nv_propose(encode(nv), lim());
  ASSERT_TRUE(dn.ok());
  EXPECT_EQ(dn->requests.size(), 3u);
  nv.requests.resize(5, m);  // more requests than replicas
  EXPECT_FALSE(decode_nv_propose(encode(nv), lim()).ok());
}

TEST(PoeMessages, EmptyAndUnknown) {
  EXPECT_FALSE(peek_type({}).has_value());
  EXPECT_FALSE(decode_certify(Bytes{}, lim()).ok());
}

// Journal records (journal.hpp): round trips; truncation, trailing bytes, a flipped bit, another
// key (seq or kind) and an unknown version are refused; decode_journal counts what it ignores.
TEST(PoeJournalCodec, RoundTripsAndRejections) {
  const Limits l = lim();
  ViewRecord vr{3, true, 5};
  auto v = decode_view_record(encode_view_record(vr));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, vr);
  EXPECT_FALSE(decode_view_record(encode_view_record({3, true, 3})).ok());   // target <= view
  EXPECT_FALSE(decode_view_record(encode_view_record({3, false, 4})).ok());  // target outside a view change

  SupportRecord sr{2, h(7)};
  Bytes sb = encode_support_record(9, sr);
  auto s = decode_support_record(9, sb);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, sr);
  EXPECT_FALSE(decode_support_record(10, sb).ok());  // filed under another k

  std::vector<SigEntry> proof{{0, Bytes(5, 1)}, {2, Bytes(6, 2)}, {3, Bytes(7, 3)}};
  auto st = decode_stable_record(encode_stable_record(StableRecord{8, 2, h(4), proof}), l);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->k, 8u);
  EXPECT_EQ(st->v, 2u);
  EXPECT_EQ(st->head, h(4));
  EXPECT_EQ(st->proof, proof);

  CommittedEntry e{1, 9, h(9), to_bytes("the batch"), {Bytes(10, 5), proof}};
  Bytes cb = encode_certified_record(e);
  auto c = decode_certified_record(9, cb, l);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->with_batch);
  EXPECT_EQ(c->entry.v, 1u);
  EXPECT_EQ(c->entry.k, 9u);
  EXPECT_EQ(c->entry.digest, h(9));
  EXPECT_EQ(c->entry.batch, e.batch);
  EXPECT_EQ(c->entry.cert.group_sig, e.cert.group_sig);
  EXPECT_EQ(c->entry.cert.sigs, proof);
  EXPECT_FALSE(decode_certified_record(8, cb, l).ok());
  // Without the batch (the ledger holds it): the same fields, no batch, and the flag is sealed.
  Bytes nb = encode_certified_record(e, /*with_batch=*/false);
  EXPECT_LT(nb.size() + e.batch.size(), cb.size() + 1);
  auto n = decode_certified_record(9, nb, l);
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->with_batch);
  EXPECT_TRUE(n->entry.batch.empty());
  EXPECT_EQ(n->entry.digest, h(9));
  EXPECT_EQ(n->entry.cert.sigs, proof);
  EXPECT_EQ(encode_certified_record(n->entry, false), nb);
  Bytes flag = nb;
  flag[nb.size() - 9] = 1;  // claims a batch follows: the check no longer matches
  EXPECT_FALSE(decode_certified_record(9, flag, l).ok());
  flag[nb.size() - 9] = 2;
  EXPECT_FALSE(decode_certified_record(9, flag, l).ok());
  for (size_t cut = 0; cut < cb.size(); ++cut) {
    EXPECT_FALSE(decode_certified_record(9, ByteView(cb).subspan(0, cut), l).ok()) << cut;
  }
  Bytes trailing = cb;
  trailing.push_back(0);
  EXPECT_FALSE(decode_certified_record(9, trailing, l).ok());
  Bytes flipped = sb;
  flipped[5] ^= 4;
  EXPECT_FALSE(decode_support_record(9, flipped).ok());
  Bytes version = sb;
  version[0] = 1;  // the layout before the certified record's batch flag
  EXPECT_FALSE(decode_support_record(9, version).ok());
  Limits small = l;
  small.max_batch = 4;
  EXPECT_FALSE(decode_certified_record(9, cb, small).ok());  // batch above the limit

  std::vector<JournalRecord> recs{
      {0, static_cast<uint8_t>(JournalKind::view), encode_view_record(vr)},
      {0, static_cast<uint8_t>(JournalKind::support), sb},          // seq 0 for a per-k kind
      {9, static_cast<uint8_t>(JournalKind::support), sb},
      {9, static_cast<uint8_t>(JournalKind::certified), cb},
      {9, static_cast<uint8_t>(JournalKind::view), encode_view_record(vr)},  // view record at k
      {10, static_cast<uint8_t>(JournalKind::certified), cb},       // misfiled
      {11, 77, Bytes{1, 2}},                                       // unknown kind
  };
  DecodedJournal j = decode_journal(recs, l);
  EXPECT_EQ(j.ignored, 4u);
  ASSERT_TRUE(j.view.has_value());
  EXPECT_EQ(*j.view, vr);
  EXPECT_EQ(j.supports.size(), 1u);
  EXPECT_EQ(j.certified.size(), 1u);
  EXPECT_FALSE(j.stable.has_value());
}
