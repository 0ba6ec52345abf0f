// Unit tests for PoE's recovery paths that were first found (and so far only covered) by
// simulator seeds: a primary that keeps re-proposing uncertified slots, a MAC backup that re-sends
// its SUPPORT after it certified, a MAC replica that leaves a dead view on f+1 later-view
// SUPPORTs, and a replica that hands its STABLE proof to a sender behind its checkpoint. One
// replica under test; its peers are played by the test with the fake keyring.
#include <gtest/gtest.h>

#include "poe_harness.hpp"

using namespace rampart;
using namespace rampart::consensus;
using namespace rampart::consensus::poe;
using namespace rampart::consensus::test;

namespace {

// n=4, f=1, K=4, window 8 (same shape as poe_handlers_test's Single).
struct One {
  Config cfg;
  crypto::FakeKeyring keys;
  std::vector<std::unique_ptr<crypto::Signer>> sg;
  std::vector<std::unique_ptr<crypto::ThresholdSigner>> ts;
  FakeEnv env;
  std::unique_ptr<Protocol> p;

  explicit One(NodeId self, bool mac) : keys(4, 3, 11) {
    cfg.n = 4;
    cfg.f = 1;
    cfg.self = self;
    cfg.window = 8;
    cfg.checkpoint_interval = 4;
    cfg.max_inflight = 8;
    cfg.mac_variant = mac;
    for (NodeId i = 0; i < 4; ++i) {
      sg.push_back(keys.signer(i));
      ts.push_back(keys.threshold_signer(i));
    }
    p = make_poe(cfg, Crypto{sg[self].get(), &keys.verifier(), ts[self].get(),
                             &keys.threshold_verifier()},
                 env);
    p->start();
    env.out.clear();
  }
  Bytes share(NodeId i, View v, Seq k, const Hash32& d) const {
    return ts[i]->sign_share(support_statement(v, k, d));
  }
  Bytes certify(View v, Seq k, const Bytes& b) const {
    Hash32 d = batch_digest(b);
    std::vector<crypto::Share> s;
    for (NodeId i = 0; i < 3; ++i) s.push_back({i, share(i, v, k, d)});
    return encode(Certify{v, k, d, *keys.threshold_verifier().combine(support_statement(v, k, d), s)});
  }
  Bytes mac_support(NodeId signer, View v, Seq k, const Bytes& b) const {
    Hash32 d = batch_digest(b);
    return encode(Support{v, k, d, sg[signer]->sign(support_statement(v, k, d))});
  }
  Bytes checkpoint(NodeId i, Seq k, const Hash32& st) const {
    return encode(Checkpoint{k, st, sg[i]->sign(checkpoint_statement(k, st))});
  }
  Bytes vc(NodeId i, View w, std::vector<CommittedEntry> entries) const {
    VcRequest r;
    r.new_view = w;
    r.sender = i;
    r.entries = std::move(entries);
    r.body = vc_body(r);
    r.sig = sg[i]->sign(vc_statement(r.body));
    return encode(r);
  }
  void tick() { p->on_timer(TimerKind::retransmit); }
};

Bytes prop(View v, Seq k, const Bytes& b) { return encode(Propose{v, k, batch_digest(b), b}); }

// Messages of type t in e.out (optionally only those addressed to `to`).
std::vector<Sent> of_type(const FakeEnv& e, MsgType t) {
  std::vector<Sent> r;
  for (const auto& s : e.out) {
    if (peek_type(s.msg) == t) r.push_back(s);
  }
  return r;
}
size_t count_to(const FakeEnv& e, MsgType t, NodeId to) {
  size_t c = 0;
  for (const auto& s : of_type(e, t)) c += s.to == to;
  return c;
}

// Did the replica ask for a view change to view w?
bool asked_for_view(const FakeEnv& e, View w) {
  for (const auto& s : of_type(e, MsgType::vc_request)) {
    auto r = decode_vc_request(s.msg, Limits{});
    if (r && r->new_view == w) return true;
  }
  return false;
}

// Backup `t.cfg.self` executes k = 1..4 and the checkpoint at 4 becomes stable.
void make_stable_at_4(One& t) {
  for (Seq k = 1; k <= 4; ++k) {
    Bytes b = batch("b" + std::to_string(k));
    t.p->on_message(0, prop(0, k, b));
    if (t.cfg.mac_variant) {
      for (NodeId i : {0u, 2u, 3u}) {
        if (i != t.cfg.self) t.p->on_message(i, t.mac_support(i, 0, k, b));
      }
    } else {
      t.p->on_message(0, t.certify(0, k, b));
    }
  }
  ASSERT_EQ(t.env.execs.size(), 4u);
  Hash32 st = t.env.states[3];
  for (NodeId i : {0u, 2u, 3u}) {
    if (i != t.cfg.self) t.p->on_message(i, t.checkpoint(i, 4, st));
  }
  ASSERT_EQ(t.p->stats().stable_checkpoint, 4u);
  t.env.out.clear();
}

}  // namespace

// 500b036: the primary's own uncertified proposal is re-sent every tick, past the 8-tick limit
// that bounds other retransmissions (sim seed 3682: a new primary stuck at exec 0).
TEST(PoeRecoveryPaths, PrimaryReproposesUncertifiedSlotPastTickLimit) {
  One t(0, /*mac=*/false);
  Bytes a = batch("A");
  t.p->submit(a);
  ASSERT_EQ(of_type(t.env, MsgType::propose).size(), 1u);
  t.env.out.clear();
  for (int tick = 1; tick <= 12; ++tick) {
    t.tick();
    size_t proposes = of_type(t.env, MsgType::propose).size();
    if (tick == 1) {
      EXPECT_EQ(proposes, 0u) << "first tick is skipped (original still in flight)";
    } else {
      EXPECT_EQ(proposes, 1u) << "tick " << tick;
    }
    t.env.out.clear();
  }
  // Once certified, the proposal is finished work: re-sends stop at the limit again.
  Hash32 d = batch_digest(a);
  t.p->on_message(1, encode(Support{0, 1, d, t.share(1, 0, 1, d)}));
  t.p->on_message(2, encode(Support{0, 1, d, t.share(2, 0, 1, d)}));
  ASSERT_EQ(t.env.execs.size(), 1u);
  t.env.out.clear();
  t.tick();
  EXPECT_TRUE(of_type(t.env, MsgType::propose).empty());
}

// 500b036, the backups' half: a backup that executed k under an earlier view's certificate does
// not re-send its SUPPORT for k on its own ticks (it is done with k), but answers each duplicate
// PROPOSE of the new primary with it: the only way the re-proposing primary gets it again.
TEST(PoeRecoveryPaths, BackupThatExecutedKSupportsOnlyOnDuplicatePropose) {
  One t(2, /*mac=*/false);
  Bytes a = batch("A");
  Hash32 d = batch_digest(a);
  t.p->on_message(0, prop(0, 1, a));
  t.p->on_message(0, t.certify(0, 1, a));
  ASSERT_EQ(t.env.execs.size(), 1u);
  // View 1 (primary 1) keeps k=1 from view 0's certificate.
  std::vector<crypto::Share> sh;
  for (NodeId i : {0u, 1u, 2u}) sh.push_back({i, t.share(i, 0, 1, d)});
  CommittedEntry e{0, 1, d, a, {*t.keys.threshold_verifier().combine(support_statement(0, 1, d), sh), {}}};
  t.p->on_message(1, encode(NvPropose{1, {t.vc(0, 1, {e}), t.vc(1, 1, {e}), t.vc(3, 1, {e})}}));
  ASSERT_EQ(t.p->stats().view, 1u);
  ASSERT_EQ(t.p->stats().last_executed, 1u);
  ASSERT_EQ(t.env.execs.size(), 1u);  // kept, not rolled back
  t.env.out.clear();
  t.p->on_message(1, prop(1, 1, a));  // the new primary re-proposes the kept batch in view 1
  ASSERT_EQ(count_to(t.env, MsgType::support, 1), 1u);
  t.env.out.clear();
  for (int i = 0; i < 10; ++i) t.tick();
  EXPECT_TRUE(of_type(t.env, MsgType::support).empty());  // executed: no vote chatter
  t.env.out.clear();
  t.p->on_message(1, prop(1, 1, a));  // the primary re-proposes: it lacks our share
  auto s = of_type(t.env, MsgType::support);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].to, 1u);
  auto m = decode_support(s[0].msg, Limits{});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->v, 1u);
  EXPECT_EQ(m->k, 1u);
  EXPECT_TRUE(t.keys.threshold_verifier().verify_share(2, support_statement(1, 1, d), m->sig));
}

// b7805bd: a MAC backup that already view-committed k (the others' SUPPORTs reached it) answers
// a retransmitted PROPOSE with its SUPPORT, to the primary, which evidently lacks it.
TEST(PoeRecoveryPaths, MacCertifiedBackupResendsSupportOnDuplicatePropose) {
  One t(1, /*mac=*/true);
  Bytes a = batch("A");
  t.p->on_message(0, prop(0, 1, a));
  t.p->on_message(2, t.mac_support(2, 0, 1, a));
  t.p->on_message(3, t.mac_support(3, 0, 1, a));
  ASSERT_EQ(t.env.execs.size(), 1u);  // own + 2 + 3 = nf: certified and executed
  t.env.out.clear();
  t.p->on_message(0, prop(0, 1, a));  // the primary retransmits
  auto s = of_type(t.env, MsgType::support);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].to, 0u);  // to the primary only, not broadcast
  auto m = decode_support(s[0].msg, Limits{});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->v, 0u);
  EXPECT_EQ(m->k, 1u);
  EXPECT_EQ(m->digest, batch_digest(a));
  EXPECT_TRUE(t.keys.verifier().verify(1, support_statement(0, 1, batch_digest(a)), m->sig));
  // A conflicting PROPOSE for the same k draws nothing.
  t.env.out.clear();
  t.p->on_message(0, prop(0, 1, batch("B")));
  EXPECT_TRUE(of_type(t.env, MsgType::support).empty());
}

// d0a0cc5: validly signed SUPPORTs of a later view from f+1 distinct replicas make a MAC
// replica ask for view+1.
TEST(PoeRecoveryPaths, MacLaterViewSupportsFromFPlusOneAskForNextView) {
  One t(3, /*mac=*/true);
  Bytes a = batch("A");
  t.p->on_message(1, t.mac_support(1, 1, 1, a));
  EXPECT_FALSE(asked_for_view(t.env, 1));  // f = 1 sender: may be the faulty one
  t.p->on_message(2, t.mac_support(2, 2, 1, a));  // a different later view counts too
  EXPECT_TRUE(asked_for_view(t.env, 1));
  EXPECT_EQ(t.p->stats().view, 0u);  // asks; does not install anything by itself
}

TEST(PoeRecoveryPaths, MacLaterViewSupportsFromOneSenderDoNotAsk) {
  One t(3, /*mac=*/true);
  Bytes a = batch("A"), b = batch("B");
  for (View v = 1; v <= 3; ++v) {
    t.p->on_message(1, t.mac_support(1, v, 1, a));
    t.p->on_message(1, t.mac_support(1, v, 2, b));
  }
  EXPECT_TRUE(of_type(t.env, MsgType::vc_request).empty());
}

TEST(PoeRecoveryPaths, MacLaterViewSupportsWithBadSignaturesDoNotAsk) {
  One t(3, /*mac=*/true);
  Bytes a = batch("A");
  Hash32 d = batch_digest(a);
  t.p->on_message(1, t.mac_support(1, 1, 1, a));  // one valid
  t.p->on_message(2, encode(Support{1, 1, d, Bytes(32, 7)}));  // garbage signature
  t.p->on_message(0, t.mac_support(2, 1, 1, a));  // signed by 2, sent by 0
  {
    Bytes m = t.mac_support(2, 1, 1, a);
    m.back() ^= 1;  // tampered signature
    t.p->on_message(2, m);
  }
  EXPECT_TRUE(of_type(t.env, MsgType::vc_request).empty());
}

TEST(PoeRecoveryPaths, ThresholdVariantIgnoresLaterViewSupports) {
  One t(3, /*mac=*/false);
  Bytes a = batch("A");
  Hash32 d = batch_digest(a);
  // Shares, and even ordinary signatures (what a MAC SUPPORT carries), from f+1 replicas.
  for (NodeId i : {0u, 1u, 2u}) t.p->on_message(i, encode(Support{1, 1, d, t.share(i, 1, 1, d)}));
  for (NodeId i : {0u, 1u, 2u}) t.p->on_message(i, t.mac_support(i, 1, 1, a));
  EXPECT_TRUE(of_type(t.env, MsgType::vc_request).empty());
}

// 43fdb0e: a primary re-proposing k <= our stable checkpoint gets our STABLE proof, at most
// once per sender per retransmit tick.
TEST(PoeRecoveryPaths, ProposeAtOrBelowStableDrawsStableOncePerTick) {
  One t(1, /*mac=*/false);
  make_stable_at_4(t);
  t.p->on_message(0, prop(0, 4, batch("b4")));
  auto st = of_type(t.env, MsgType::stable);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].to, 0u);
  auto m = decode_stable(st[0].msg, Limits{});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->k, 4u);
  EXPECT_EQ(m->state, t.env.states[3]);
  EXPECT_EQ(m->proof.size(), 3u);  // nf signatures
  for (const auto& e : m->proof) {
    EXPECT_TRUE(t.keys.verifier().verify(e.signer, checkpoint_statement(4, m->state), e.sig));
  }
  // More stale proposals in the same tick: no second copy.
  t.env.out.clear();
  t.p->on_message(0, prop(0, 2, batch("b2")));
  t.p->on_message(0, prop(0, 3, batch("b3")));
  EXPECT_TRUE(of_type(t.env, MsgType::stable).empty());
  // Above the checkpoint: no STABLE either.
  t.p->on_message(0, prop(0, 5, batch("b5")));
  EXPECT_TRUE(of_type(t.env, MsgType::stable).empty());
  // Next tick: the limit resets.
  t.tick();
  t.env.out.clear();
  t.p->on_message(0, prop(0, 1, batch("b1")));
  EXPECT_EQ(count_to(t.env, MsgType::stable, 0), 1u);
}

// 43fdb0e, SUPPORT side (MAC variant: SUPPORTs go all-to-all): once per sender per tick.
TEST(PoeRecoveryPaths, MacSupportAtOrBelowStableDrawsStableOncePerSenderPerTick) {
  One t(1, /*mac=*/true);
  make_stable_at_4(t);
  t.p->on_message(3, t.mac_support(3, 0, 3, batch("b3")));
  EXPECT_EQ(count_to(t.env, MsgType::stable, 3), 1u);
  t.p->on_message(3, t.mac_support(3, 0, 4, batch("b4")));  // same sender, same tick
  EXPECT_EQ(count_to(t.env, MsgType::stable, 3), 1u);
  t.p->on_message(2, t.mac_support(2, 0, 4, batch("b4")));  // another sender: its own copy
  EXPECT_EQ(count_to(t.env, MsgType::stable, 2), 1u);
  EXPECT_EQ(of_type(t.env, MsgType::stable).size(), 2u);
  t.tick();
  t.env.out.clear();
  t.p->on_message(3, t.mac_support(3, 0, 2, batch("b2")));
  EXPECT_EQ(count_to(t.env, MsgType::stable, 3), 1u);
}
