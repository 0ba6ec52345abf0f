// Unit tests for PoE's recovery paths that were first found (and so far only covered) by
// simulator seeds: a primary that keeps re-proposing uncertified slots, a MAC backup that re-sends
// its SUPPORT after it certified, a MAC replica that leaves a dead view on f+1 later-view
// SUPPORTs, and a replica that hands its STABLE proof to a sender behind its checkpoint. One
// replica under test; its peers are played by the test with the fake keyring.
#include <gtest/gtest.h>

#include "consensus/poe/journal.hpp"
#include "consensus/poe/replica.hpp"
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
  Bytes checkpoint(NodeId i, Seq k, const Hash32& st, View v = 0) const {
    return encode(Checkpoint{v, k, st, sg[i]->sign(checkpoint_statement(v, k, st))});
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

// 500b036, the backups' half: a backup that executed k under an earlier view's certificate
// answers each duplicate PROPOSE of the new primary with its SUPPORT. On its own ticks it re-sends
// that SUPPORT only for the usual 8 ticks: it vouches for k in the new view once it holds the new
// view's certificate (update_attestation), so k is not done yet, but it is no endless chatter.
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
  EXPECT_EQ(count_to(t.env, MsgType::support, 1), 7u);  // ticks 2..8, then quiet
  t.env.out.clear();
  for (int i = 0; i < 10; ++i) t.tick();
  EXPECT_TRUE(of_type(t.env, MsgType::support).empty());
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
  EXPECT_EQ(m->head, t.env.states[3]);
  EXPECT_EQ(m->proof.size(), 3u);  // nf signatures
  for (const auto& e : m->proof) {
    EXPECT_TRUE(t.keys.verifier().verify(e.signer, checkpoint_statement(m->v, 4, m->head), e.sig));
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

// ---- Durable journal (src/consensus/poe/journal.hpp, restart.cpp) ----------------------------
// A replica restarted after a crash gets its journal back (RestartPoint::journal, here from
// scratch: k = 0) and must keep what it signed and promised before.

namespace {

// Like One, but the replica can crash and restart: a fresh FakeEnv (empty state, outputs),
// the same keys, the journal carried over (or not, for the control runs).
struct Durable {
  Config cfg;
  crypto::FakeKeyring keys;
  std::vector<std::unique_ptr<crypto::Signer>> sg;
  std::vector<std::unique_ptr<crypto::ThresholdSigner>> ts;
  std::unique_ptr<FakeEnv> env;
  std::unique_ptr<Protocol> p;

  explicit Durable(NodeId self, bool mac) : keys(4, 3, 11) {
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
    boot();
  }
  void boot() {
    p.reset();
    env = std::make_unique<FakeEnv>();
    p = make_poe(cfg, Crypto{sg[cfg.self].get(), &keys.verifier(), ts[cfg.self].get(), &keys.threshold_verifier()},
                 *env);
    p->start();
  }
  // Crash and restart from the journal (with_journal false: the replica before journaling).
  // The ledger's batches survive with the journal (`with_ledger` false: the blocks never
  // became durable).
  void restart(bool with_journal = true, bool with_ledger = true) {
    auto journal = env->journal;
    auto ledger = env->ledger;
    boot();
    if (!with_journal) return;
    env->journal = std::move(journal);
    if (with_ledger) env->ledger = std::move(ledger);
    p->on_restart(env->restart_point());
  }
  PoeReplica& rep() { return dynamic_cast<PoeReplica&>(*p); }
  uint64_t rejected() const { return p->stats().rejected_messages; }
  Bytes share(NodeId i, View v, Seq k, const Hash32& d) const { return ts[i]->sign_share(support_statement(v, k, d)); }
  Certificate cert(View v, Seq k, const Hash32& d) const {
    Certificate c;
    if (cfg.mac_variant) {
      for (NodeId i = 0; i < 3; ++i) c.sigs.push_back({i, sg[i]->sign(support_statement(v, k, d))});
    } else {
      std::vector<crypto::Share> s;
      for (NodeId i = 0; i < 3; ++i) s.push_back({i, share(i, v, k, d)});
      c.group_sig = *keys.threshold_verifier().combine(support_statement(v, k, d), s);
    }
    return c;
  }
  // The batch at (v, k) view-commits here: CERTIFY (threshold) or the others' SUPPORTs (MAC).
  void commit(View v, Seq k, const Bytes& b) {
    Hash32 d = batch_digest(b);
    if (cfg.mac_variant) {
      for (NodeId i = 0; i < 4; ++i) {
        if (i != cfg.self) p->on_message(i, encode(Support{v, k, d, sg[i]->sign(support_statement(v, k, d))}));
      }
    } else {
      p->on_message(cfg.primary_of(v), encode(Certify{v, k, d, cert(v, k, d).group_sig}));
    }
  }
  Bytes vc(NodeId i, View w, std::vector<CommittedEntry> entries = {}) const {
    VcRequest r;
    r.new_view = w;
    r.sender = i;
    r.entries = std::move(entries);
    r.body = vc_body(r);
    r.sig = sg[i]->sign(vc_statement(r.body));
    return encode(r);
  }
  Bytes checkpoint(NodeId i, Seq k, const Hash32& st, View v = 0) const {
    return encode(Checkpoint{v, k, st, sg[i]->sign(checkpoint_statement(v, k, st))});
  }
  bool has(Seq k, JournalKind kind) const { return env->journal.count({k, static_cast<uint8_t>(kind)}) > 0; }
  Bytes& record(Seq k, JournalKind kind) { return env->journal.at({k, static_cast<uint8_t>(kind)}); }
};

// The SUPPORTs in e.out, decoded.
std::vector<Support> supports_in(const FakeEnv& e) {
  std::vector<Support> r;
  for (const auto& s : of_type(e, MsgType::support)) r.push_back(*decode_support(s.msg, Limits{}));
  return r;
}

bool valid_support(const Durable& t, const Support& m) {
  Bytes stmt = support_statement(m.v, m.k, m.digest);
  return t.cfg.mac_variant ? t.keys.verifier().verify(t.cfg.self, stmt, m.sig)
                           : t.keys.threshold_verifier().verify_share(t.cfg.self, stmt, m.sig);
}

// The VC-REQUESTs in e.out, decoded.
// Does the replica hand batch b to replica `to` (a primary) that asks for it by digest (Want)?
bool hands_out(Protocol& p, FakeEnv& e, NodeId to, const Bytes& b) {
  p.on_message(to, encode(Want{{batch_digest(b)}}));
  for (const auto& s : of_type(e, MsgType::forward)) {
    if (s.to == to && decode_forward(s.msg, Limits{})->batch == b) return true;
  }
  return false;
}

std::vector<VcRequest> vc_requests_in(const FakeEnv& e) {
  std::vector<VcRequest> r;
  for (const auto& s : of_type(e, MsgType::vc_request)) r.push_back(*decode_vc_request(s.msg, Limits{}));
  return r;
}

void backup_keeps_its_vote(bool mac) {
  const Bytes a = batch("A"), b = batch("B");
  // Control: without the journal, the restarted backup supports the primary's second digest.
  {
    Durable u(1, mac);
    u.p->on_message(0, prop(0, 1, a));
    u.restart(/*with_journal=*/false);
    u.p->on_message(0, prop(0, 1, b));
    ASSERT_EQ(supports_in(*u.env).size(), 1u) << "control: amnesia supports a second digest";
  }
  Durable t(1, mac);
  t.p->on_message(0, prop(0, 1, a));
  ASSERT_EQ(supports_in(*t.env).size(), 1u);
  EXPECT_TRUE(t.has(1, JournalKind::support));
  t.restart();
  EXPECT_EQ(t.rep().journal_ignored(), 0u);
  EXPECT_EQ(t.p->stats().view, 0u);
  t.env->out.clear();
  // The Byzantine primary proposes B at the same (view, k): nothing.
  uint64_t before = t.rejected();
  t.p->on_message(0, prop(0, 1, b));
  EXPECT_EQ(t.rejected(), before + 1);
  EXPECT_TRUE(supports_in(*t.env).empty());
  // Our own digest again (a retransmission): we support it again, validly signed.
  t.p->on_message(0, prop(0, 1, a));
  auto s = supports_in(*t.env);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].v, 0u);
  EXPECT_EQ(s[0].k, 1u);
  EXPECT_EQ(s[0].digest, batch_digest(a));
  EXPECT_TRUE(valid_support(t, s[0]));
  // And B still draws nothing afterwards.
  t.env->out.clear();
  t.p->on_message(0, prop(0, 1, b));
  EXPECT_TRUE(supports_in(*t.env).empty());
}

}  // namespace

TEST(PoeJournal, RestartedBackupDoesNotSupportSecondDigestThreshold) { backup_keeps_its_vote(false); }
TEST(PoeJournal, RestartedBackupDoesNotSupportSecondDigestMac) { backup_keeps_its_vote(true); }

// The same in a later view: the restarted backup re-enters view 1 from the NV-PROPOSE it
// journaled (asking for view 1 again would let view 1's primary build a second history for it),
// takes no part in view 0 and keeps its view-1 vote. With the NV-PROPOSE record damaged, it asks
// for view 2 instead, never for view 1 again.
TEST(PoeJournal, RestartedBackupReentersItsViewAndKeepsItsVote) {
  Durable t(2, /*mac=*/false);
  const Bytes a = batch("A"), b = batch("B");
  const Bytes nv = encode(NvPropose{1, {t.vc(0, 1), t.vc(1, 1), t.vc(3, 1)}});
  t.p->on_message(1, nv);
  ASSERT_EQ(t.p->stats().view, 1u);
  ASSERT_TRUE(t.has(0, JournalKind::new_view));
  t.p->on_message(1, prop(1, 1, a));
  ASSERT_EQ(supports_in(*t.env).size(), 1u);
  t.restart();
  EXPECT_EQ(t.rep().journal_ignored(), 0u);
  ASSERT_EQ(t.p->stats().view, 1u);
  EXPECT_TRUE(vc_requests_in(*t.env).empty());
  t.env->out.clear();
  uint64_t before = t.rejected();
  t.p->on_message(0, prop(0, 1, b));
  t.p->on_message(0, encode(Certify{0, 1, batch_digest(b), t.cert(0, 1, batch_digest(b)).group_sig}));
  EXPECT_EQ(t.rejected(), before + 2);
  EXPECT_TRUE(supports_in(*t.env).empty());
  EXPECT_TRUE(t.env->execs.empty());
  // View 1's primary repeats its proposals: B at (1, 1) draws nothing, A our SUPPORT again.
  t.p->on_message(1, prop(1, 1, b));
  EXPECT_TRUE(supports_in(*t.env).empty());
  t.p->on_message(1, prop(1, 1, a));
  auto s = supports_in(*t.env);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].v, 1u);
  EXPECT_EQ(s[0].digest, batch_digest(a));
  // It relays view 1's NV-PROPOSE to a replica that lags (a VC-REQUEST for view 1).
  t.env->out.clear();
  t.p->on_message(3, t.vc(3, 1));
  EXPECT_EQ(of_type(*t.env, MsgType::nv_propose).size(), 1u);

  // The NV-PROPOSE record damaged: the next view, never view 1 again.
  t.record(0, JournalKind::new_view).back() ^= 1;
  t.restart();
  EXPECT_EQ(t.rep().journal_ignored(), 1u);
  auto reqs = vc_requests_in(*t.env);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].new_view, 2u);
  t.env->out.clear();
  t.p->on_message(1, prop(1, 1, a));
  EXPECT_TRUE(supports_in(*t.env).empty());
}

// A replica that sent a VC-REQUEST for view 1, restarted, sends it again and acts in no view
// below 1 (control: without the journal it supports view-0 proposals again).
TEST(PoeJournal, RestartedReplicaKeepsItsViewChangePromise) {
  const Bytes a = batch("A");
  {
    Durable u(2, false);
    u.p->on_timer(TimerKind::view_change);
    u.restart(false);
    u.p->on_message(0, prop(0, 1, a));
    ASSERT_EQ(supports_in(*u.env).size(), 1u) << "control";
  }
  Durable t(2, false);
  t.p->on_timer(TimerKind::view_change);
  ASSERT_EQ(vc_requests_in(*t.env).size(), 1u);
  ASSERT_TRUE(t.has(0, JournalKind::view));
  t.restart();
  auto reqs = vc_requests_in(*t.env);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].new_view, 1u);
  t.env->out.clear();
  uint64_t before = t.rejected();
  t.p->on_message(0, prop(0, 1, a));
  t.commit(0, 1, a);
  EXPECT_GE(t.rejected(), before + 2);
  EXPECT_TRUE(supports_in(*t.env).empty());
  EXPECT_TRUE(t.env->execs.empty());
  // Its retransmission is the same request.
  t.p->on_timer(TimerKind::retransmit);
  reqs = vc_requests_in(*t.env);
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs[0].new_view, 1u);
  // The view change completes as before the crash.
  t.p->on_message(1, encode(NvPropose{1, {t.vc(0, 1), t.vc(1, 1), t.vc(3, 1)}}));
  EXPECT_EQ(t.p->stats().view, 1u);
}

// A backup that view-committed k reports k's certified entry (re-verified) in its VC-REQUEST
// after a restart, and re-executes it from the journal (its state restarted empty).
TEST(PoeJournal, RestartedReplicaReportsItsCertifiedEntry) {
  for (bool mac : {false, true}) {
    SCOPED_TRACE(mac ? "mac" : "threshold");
    Durable t(1, mac);
    const Bytes a = batch("A");
    t.p->on_message(0, prop(0, 1, a));
    t.commit(0, 1, a);
    ASSERT_EQ(t.env->execs.size(), 1u);
    ASSERT_TRUE(t.has(1, JournalKind::certified));
    t.restart();
    EXPECT_EQ(t.rep().journal_ignored(), 0u);
    ASSERT_EQ(t.env->execs.size(), 1u);  // back in its slot of view 0: executed again
    EXPECT_EQ(t.env->chain[0], batch_digest(a));
    t.p->on_timer(TimerKind::view_change);
    auto reqs = vc_requests_in(*t.env);
    ASSERT_EQ(reqs.size(), 1u);
    ASSERT_EQ(reqs[0].entries.size(), 1u);
    const CommittedEntry& e = reqs[0].entries[0];
    EXPECT_EQ(e.k, 1u);
    EXPECT_EQ(e.v, 0u);
    EXPECT_EQ(e.digest, batch_digest(a));
    EXPECT_TRUE(e.batch.empty());  // named by digest; the replica hands out the bytes
    EXPECT_TRUE(hands_out(*t.p, *t.env, 0, a));  // asked by the primary of its view
    // The new view built from it keeps A at k = 1: no rollback, and view 1 accepts only A there.
    Bytes own = encode(reqs[0]);
    t.p->on_message(2, encode(NvPropose{1, {own, t.vc(2, 1), t.vc(3, 1)}}));
    ASSERT_EQ(t.p->stats().view, 1u);
    EXPECT_TRUE(t.env->rollbacks.empty());
    EXPECT_EQ(t.p->stats().last_executed, 1u);
  }
}

// The scenario the journal exists for (f = 1): replicas 0, 1, 2 executed A at k = 1, so a
// client accepted it; 0 is Byzantine and reports nothing in the view change, 1 crashed and
// restarted, 2's VC-REQUEST is lost. The new view is built from 0, 1 and 3: only 1's journal
// still holds A's certificate. Control: without it, view 1 drops A and 2 rolls back an
// accepted result.
namespace {
struct AcceptedRun {
  std::vector<std::vector<Hash32>> chains;
  std::vector<Seq> rollbacks_at_2;
  View view_of_3 = 0;
};

AcceptedRun accepted_then_view_change(bool mac, bool with_journal) {
  Config cfg;
  cfg.n = 4;
  cfg.f = 1;
  cfg.window = 16;
  cfg.checkpoint_interval = 8;
  cfg.max_inflight = 8;
  cfg.mac_variant = mac;
  Cluster c(cfg);
  const Bytes a = batch("A");
  // k = 1 view-commits at 0, 1 and 2 only.
  c.drop = [mac](const Cluster::Msg& m) {
    return m.to == 3 && peek_type(m.bytes) == (mac ? MsgType::support : MsgType::certify);
  };
  c.submit(0, a, 0);
  c.run();
  for (NodeId i : {0u, 1u, 2u}) EXPECT_EQ(c.env(i).chain.size(), 1u) << i;
  EXPECT_TRUE(c.env(3).chain.empty());
  c.down_.insert(0);
  c.restart(1, with_journal);
  c.drop = [](const Cluster::Msg& m) { return m.from == 2 && peek_type(m.bytes) == MsgType::vc_request; };
  // Byzantine 0's request for view 1: validly signed, reporting nothing.
  VcRequest r;
  r.new_view = 1;
  r.sender = 0;
  r.body = vc_body(r);
  r.sig = c.keys().signer(0)->sign(vc_statement(r.body));
  Bytes byz = encode(r);
  c.node(1).on_message(0, byz);
  c.node(3).on_message(0, byz);
  for (NodeId i : {1u, 2u, 3u}) c.fire(i, TimerKind::view_change);
  c.run();
  AcceptedRun out;
  for (NodeId i = 0; i < 4; ++i) out.chains.push_back(c.env(i).chain);
  out.rollbacks_at_2 = c.env(2).rollbacks;
  out.view_of_3 = c.node(3).stats().view;
  return out;
}
}  // namespace

TEST(PoeJournal, AcceptedBatchSurvivesViewChangeThroughRestartedReplica) {
  for (bool mac : {false, true}) {
    SCOPED_TRACE(mac ? "mac" : "threshold");
    const Hash32 da = batch_digest(batch("A"));
    AcceptedRun with = accepted_then_view_change(mac, true);
    EXPECT_EQ(with.view_of_3, 1u);
    for (NodeId i : {1u, 2u, 3u}) {
      ASSERT_EQ(with.chains[i].size(), 1u) << i;
      EXPECT_EQ(with.chains[i][0], da) << i;
    }
    EXPECT_TRUE(with.rollbacks_at_2.empty());
    AcceptedRun without = accepted_then_view_change(mac, false);
    EXPECT_EQ(without.view_of_3, 1u);
    // Control: view 1 did not keep the accepted batch; replica 2 rolled it back.
    EXPECT_EQ(without.rollbacks_at_2, std::vector<Seq>{0});
  }
}

// A primary restarted in its view never proposes another batch at a k it proposed at before.
// When it no longer holds that batch (it was never certified, so only the digest was journaled)
// the view cannot complete: it asks for the next view at once and proposes nothing.
TEST(PoeJournal, RestartedPrimaryWithLostProposalAsksForNextView) {
  for (bool mac : {false, true}) {
    SCOPED_TRACE(mac ? "mac" : "threshold");
    Durable t(0, mac);
    const Bytes a = batch("A"), b = batch("B");
    t.p->submit(a);
    ASSERT_EQ(of_type(*t.env, MsgType::propose).size(), 1u);
    ASSERT_TRUE(t.has(1, JournalKind::support));
    t.restart();
    auto reqs = vc_requests_in(*t.env);
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].new_view, 1u);
    EXPECT_FALSE(t.p->is_primary());
    t.p->submit(b);
    for (int i = 0; i < 3; ++i) t.p->on_timer(TimerKind::retransmit);
    EXPECT_TRUE(of_type(*t.env, MsgType::propose).empty());
    // View 1 (primary 1) goes on without it; it follows as a backup.
    t.p->on_message(1, encode(NvPropose{1, {encode(reqs[0]), t.vc(1, 1), t.vc(2, 1)}}));
    EXPECT_EQ(t.p->stats().view, 1u);
    t.env->out.clear();
    t.p->on_message(1, prop(1, 1, b));
    EXPECT_EQ(supports_in(*t.env).size(), 1u);
  }
}

// The certified record of a batch executed at once names it by digest: the ledger stored it
// with the block (a restart finds it in RestartPoint::batches). If the block never became
// durable the replica never answered for k: the entry is dropped, not trusted without a batch.
TEST(PoeJournal, CertifiedRecordOfAnExecutedBatchNamesTheLedgersCopy) {
  for (bool mac : {false, true}) {
    SCOPED_TRACE(mac ? "mac" : "threshold");
    Durable t(1, mac);
    const Bytes a = batch(std::string(1000, 'A'));
    t.p->on_message(0, prop(0, 1, a));
    t.commit(0, 1, a);
    ASSERT_EQ(t.env->execs.size(), 1u);
    auto rec = decode_certified_record(1, t.record(1, JournalKind::certified), Limits{});
    ASSERT_TRUE(rec.ok());
    EXPECT_FALSE(rec->with_batch);
    EXPECT_LT(t.record(1, JournalKind::certified).size(), a.size());  // written once, in the ledger
    t.restart(/*with_journal=*/true, /*with_ledger=*/false);
    EXPECT_EQ(t.rep().journal_unbacked(), 1u);
    EXPECT_EQ(t.rep().journal_ignored(), 0u);
    EXPECT_TRUE(t.env->execs.empty());
    t.p->on_timer(TimerKind::view_change);
    auto reqs = vc_requests_in(*t.env);
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_TRUE(reqs[0].entries.empty());
  }
}

// A batch certified before the one below it cannot be executed yet, so the ledger does not
// hold it: its record carries the batch, and a restart reports it without any ledger.
TEST(PoeJournal, CertifiedRecordAheadOfExecutionCarriesItsBatch) {
  Durable t(1, /*mac=*/false);
  const Bytes b = batch("B");
  t.p->on_message(0, prop(0, 2, b));
  t.commit(0, 2, b);
  ASSERT_TRUE(t.env->execs.empty());
  auto rec = decode_certified_record(2, t.record(2, JournalKind::certified), Limits{});
  ASSERT_TRUE(rec.ok());
  EXPECT_TRUE(rec->with_batch);
  t.restart(/*with_journal=*/true, /*with_ledger=*/false);
  EXPECT_EQ(t.rep().journal_unbacked(), 0u);
  EXPECT_EQ(t.rep().journal_ignored(), 0u);
  t.p->on_timer(TimerKind::view_change);
  auto reqs = vc_requests_in(*t.env);
  ASSERT_EQ(reqs.size(), 1u);
  ASSERT_EQ(reqs[0].entries.size(), 1u);
  EXPECT_EQ(reqs[0].entries[0].k, 2u);
  EXPECT_TRUE(hands_out(*t.p, *t.env, 0, b));
}

// Records at or below the stable checkpoint are pruned; the checkpoint itself is journaled, so
// a replica restarted from scratch knows its low watermark and asks for that state.
TEST(PoeJournal, PrunedAtStableCheckpoint) {
  Durable t(1, /*mac=*/false);
  for (Seq k = 1; k <= 5; ++k) {
    Bytes b = batch("b" + std::to_string(k));
    t.p->on_message(0, prop(0, k, b));
    t.commit(0, k, b);
  }
  ASSERT_EQ(t.env->execs.size(), 5u);
  for (Seq k = 1; k <= 5; ++k) ASSERT_TRUE(t.has(k, JournalKind::certified)) << k;
  const Hash32 st = t.env->states[3];
  for (NodeId i : {0u, 2u}) t.p->on_message(i, t.checkpoint(i, 4, st));
  ASSERT_EQ(t.p->stats().stable_checkpoint, 4u);
  for (const auto& [key, body] : t.env->journal) EXPECT_TRUE(key.first == 0 || key.first > 4) << key.first;
  EXPECT_TRUE(t.has(0, JournalKind::stable));
  EXPECT_TRUE(t.has(5, JournalKind::support));
  EXPECT_TRUE(t.has(5, JournalKind::certified));
  t.restart();
  EXPECT_EQ(t.rep().journal_ignored(), 0u);
  EXPECT_EQ(t.p->stats().stable_checkpoint, 4u);
  ASSERT_EQ(t.env->transfers.size(), 1u);
  EXPECT_EQ(t.env->transfers[0], std::make_pair(Seq{4}, st));
  // Once the replica layer installed the state, k = 5 runs from the journaled certificate.
  t.env->chain.assign(4, Hash32{});
  t.env->states.assign(4, st);
  t.p->on_state_transferred(4, st);
  EXPECT_EQ(t.p->stats().last_executed, 5u);
  ASSERT_EQ(t.env->execs.size(), 1u);
  EXPECT_EQ(t.env->execs[0].k, 5u);
}

// A damaged record is counted and ignored; the replica starts and does not use it.
TEST(PoeJournal, CorruptedRecordsAreIgnored) {
  Durable t(1, /*mac=*/false);
  const Bytes a = batch("A"), b = batch("B"), c2 = batch("C");
  t.p->on_message(0, prop(0, 1, a));
  t.commit(0, 1, a);
  t.p->on_message(0, prop(0, 2, b));
  ASSERT_TRUE(t.has(1, JournalKind::certified));
  ASSERT_TRUE(t.has(2, JournalKind::support));
  t.record(1, JournalKind::certified).back() ^= 1;  // in the check (the batch is in the ledger)
  t.record(2, JournalKind::support)[3] ^= 0x10;     // before the check: check fails
  t.env->journal[{3, 9}] = Bytes{1, 2, 3};          // unknown kind
  t.restart();
  EXPECT_EQ(t.rep().journal_ignored(), 3u);
  EXPECT_TRUE(t.env->execs.empty());  // the damaged certificate is not executed
  t.env->out.clear();
  t.p->on_message(0, prop(0, 2, c2));  // the damaged vote record is not used
  EXPECT_EQ(supports_in(*t.env).size(), 1u);
  t.p->on_timer(TimerKind::view_change);
  auto reqs = vc_requests_in(*t.env);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_TRUE(reqs[0].entries.empty());
}

// A well-formed, correctly sealed record whose certificate does not verify is not trusted.
TEST(PoeJournal, RecordWithInvalidCertificateIsIgnored) {
  Durable t(1, /*mac=*/false);
  const Bytes a = batch("A");
  const Hash32 d = batch_digest(a);
  CommittedEntry e{0, 1, d, a, {t.share(1, 0, 1, d), {}}};  // one share, not a group signature
  t.env->journal[{1, static_cast<uint8_t>(JournalKind::certified)}] = encode_certified_record(e);
  t.restart();
  EXPECT_EQ(t.rep().journal_ignored(), 1u);
  EXPECT_TRUE(t.env->execs.empty());
  t.p->on_timer(TimerKind::view_change);
  auto reqs = vc_requests_in(*t.env);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_TRUE(reqs[0].entries.empty());
}

// No journal and no snapshot: on_restart changes nothing (the replica is as fresh as before).
TEST(PoeJournal, EmptyRestartPointChangesNothing) {
  Durable t(1, false);
  t.p->on_restart(RestartPoint{});
  EXPECT_TRUE(t.env->out.empty());
  EXPECT_EQ(t.p->stats().view, 0u);
  t.p->on_message(0, prop(0, 1, batch("A")));
  EXPECT_EQ(supports_in(*t.env).size(), 1u);
}

// The cost: one SUPPORT (or PROPOSE) record and one certified record per k and view, however
// often messages are retransmitted; nothing else while no checkpoint or view change happens.
TEST(PoeJournal, OneRecordPerKindPerSlot) {
  for (bool mac : {false, true}) {
    SCOPED_TRACE(mac ? "mac" : "threshold");
    Config cfg;
    cfg.n = 4;
    cfg.f = 1;
    cfg.window = 64;
    cfg.checkpoint_interval = 64;
    cfg.max_inflight = 64;
    cfg.mac_variant = mac;
    Cluster c(cfg);
    for (int i = 0; i < 10; ++i) c.submit(0, batch("x" + std::to_string(i)), 0);
    c.run();
    for (int tick = 0; tick < 4; ++tick) {
      c.fire_all(TimerKind::retransmit);
      c.run();
    }
    for (NodeId i = 0; i < 4; ++i) {
      EXPECT_EQ(c.env(i).chain.size(), 10u) << i;
      EXPECT_EQ(c.env(i).journal_puts, 20u) << i;
      EXPECT_EQ(c.env(i).journal.size(), 20u) << i;
    }
  }
}

// Whole-cluster restart with a lost batch: k = 1 was supported everywhere but never certified
// (its SUPPORTs were lost), k = 2 was certified everywhere, nothing executed. After the restart
// nobody holds k = 1's batch (only certified records carry batches): the primary can neither
// re-send it nor propose anything else at (0, 1). The restored k = 2 is pending again, so the
// backups' progress timers run, and the primary asks for the next view itself; view 1 keeps
// nothing (gap at 1) and orders B anew. (This deadlocked in the process test
// WholeClusterCrashOnlyNfReturnPoe before restored work counted as pending.)
TEST(PoeJournal, WholeClusterRestartWithLostBatchMovesOn) {
  for (bool mac : {false, true}) {
    SCOPED_TRACE(mac ? "mac" : "threshold");
    Config cfg;
    cfg.n = 4;
    cfg.f = 1;
    cfg.window = 16;
    cfg.checkpoint_interval = 8;
    cfg.max_inflight = 8;
    cfg.mac_variant = mac;
    Cluster c(cfg);
    const Bytes a = batch("A"), b = batch("B");
    c.drop = [](const Cluster::Msg& m) {
      if (peek_type(m.bytes) != MsgType::support) return false;
      auto s = decode_support(m.bytes, Limits{});
      return s && s->k == 1;
    };
    c.submit(0, a, 0);
    c.submit(0, b, 0);
    c.run();
    for (NodeId i = 0; i < 4; ++i) ASSERT_TRUE(c.env(i).chain.empty()) << i;
    c.drop = nullptr;
    for (NodeId i = 0; i < 4; ++i) c.restart(i);
    for (NodeId i = 1; i < 4; ++i) EXPECT_TRUE(c.env(i).timers.count(TimerKind::view_change)) << i;
    c.run();
    c.fire_all(TimerKind::view_change);
    c.run();
    for (NodeId i = 0; i < 4; ++i) {
      EXPECT_EQ(c.node(i).stats().view, 1u) << i;
      ASSERT_EQ(c.env(i).chain.size(), 1u) << i;
      EXPECT_EQ(c.env(i).chain[0], batch_digest(b)) << i;
    }
  }
}

// Whole-cluster crash inside a view that re-certified part of its history (sim seed 543712306,
// poe-mac). View 0 orders A, B, C (replica 2 misses k = 2, so it never holds B); view 1 keeps
// them and re-certifies k = 1 and k = 3 but not k = 2. Everyone crashes and restarts. Asking for
// view 1 again, the replicas could not report k = 1 (its view-1 certificate is not below view 1,
// its view-0 one was replaced) and view 1's primary built a second, empty history for it; the
// view-0 entry at k = 2 was dropped with it, and view 2 (primary 2, holding only C) put C at
// k = 2 where a client had accepted B. Re-entering view 1 from the journaled NV-PROPOSE keeps
// A, B, C in place.
TEST(PoeJournal, WholeClusterCrashInsideAViewKeepsItsHistory) {
  for (bool mac : {false, true}) {
    SCOPED_TRACE(mac ? "mac" : "threshold");
    Config cfg;
    cfg.n = 4;
    cfg.f = 1;
    cfg.window = 16;
    cfg.checkpoint_interval = 8;
    cfg.max_inflight = 8;
    cfg.mac_variant = mac;
    Cluster c(cfg);
    const Bytes a = batch("A"), b = batch("B"), cc = batch("C");
    auto at = [](const Cluster::Msg& m, View v, Seq k) {
      auto t = peek_type(m.bytes);
      if (t == MsgType::support) {
        auto s = decode_support(m.bytes, Limits{});
        return s && s->v == v && s->k == k;
      }
      if (t == MsgType::certify) {
        auto s = decode_certify(m.bytes, Limits{});
        return s && s->v == v && s->k == k;
      }
      return false;
    };
    c.drop = [&](const Cluster::Msg& m) { return (m.to == 2 && at(m, 0, 2)) || at(m, 1, 2); };
    for (const Bytes* x : {&a, &b, &cc}) c.submit(0, *x, 0);
    c.run();
    const std::vector<Hash32> accepted{batch_digest(a), batch_digest(b), batch_digest(cc)};
    for (NodeId i : {0u, 1u, 3u}) ASSERT_EQ(c.env(i).chain, accepted) << i;
    ASSERT_EQ(c.env(2).chain.size(), 1u);
    for (NodeId i = 0; i < 4; ++i) c.fire(i, TimerKind::view_change);
    c.run();
    for (NodeId i = 0; i < 4; ++i) ASSERT_EQ(c.node(i).stats().view, 1u) << i;
    c.drop = nullptr;
    for (NodeId i = 0; i < 4; ++i) c.restart(i);
    for (int round = 0; round < 6; ++round) {
      c.run();
      c.fire_all(TimerKind::view_change);
      c.fire_all(TimerKind::new_view);
    }
    c.run();
    for (NodeId i = 0; i < 4; ++i) {
      EXPECT_EQ(c.env(i).chain, accepted) << i;
      EXPECT_EQ(c.node(i).stats().view, 1u) << i;  // back in view 1, which completes
    }
  }
}
