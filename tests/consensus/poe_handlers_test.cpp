// One PoE replica under test; its peers are played by the test with the fake keyring. Each
// handler's accept path and every rejection path (undecodable, wrong view, wrong sender, bad
// signature/share, outside the window, duplicate).
#include <gtest/gtest.h>

#include "poe_harness.hpp"

using namespace rampart;
using namespace rampart::consensus;
using namespace rampart::consensus::poe;
using namespace rampart::consensus::test;

namespace {

struct Single {
  Config cfg;
  crypto::FakeKeyring keys;
  std::vector<std::unique_ptr<crypto::Signer>> sg;
  std::vector<std::unique_ptr<crypto::ThresholdSigner>> ts;
  FakeEnv env;
  std::unique_ptr<Protocol> p;

  explicit Single(NodeId self, bool mac = false) : keys(4, 3, 11) {
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
  uint64_t rejected() const { return p->stats().rejected_messages; }
  Bytes share(NodeId i, View v, Seq k, const Hash32& d) const {
    return ts[i]->sign_share(support_statement(v, k, d));
  }
  Bytes group(View v, Seq k, const Hash32& d) const {
    std::vector<crypto::Share> s;
    for (NodeId i = 0; i < 3; ++i) s.push_back({i, share(i, v, k, d)});
    return *keys.threshold_verifier().combine(support_statement(v, k, d), s);
  }
  Bytes certify(View v, Seq k, const Bytes& b) const {
    Hash32 d = batch_digest(b);
    return encode(Certify{v, k, d, group(v, k, d)});
  }
  Bytes mac_support(NodeId i, View v, Seq k, const Bytes& b) const {
    Hash32 d = batch_digest(b);
    return encode(Support{v, k, d, sg[i]->sign(support_statement(v, k, d))});
  }
  Bytes checkpoint(NodeId i, Seq k, const Hash32& st, View v = 0) const {
    return encode(Checkpoint{v, k, st, sg[i]->sign(checkpoint_statement(v, k, st))});
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
  // Deliver and report whether it was rejected.
  bool rejects(NodeId from, const Bytes& m) {
    uint64_t before = rejected();
    p->on_message(from, m);
    return rejected() == before + 1;
  }
};

Bytes prop(View v, Seq k, const Bytes& b) { return encode(Propose{v, k, batch_digest(b), b}); }

// The SUPPORT messages a node sent.
std::vector<std::pair<NodeId, Support>> supports(FakeEnv& e) {
  std::vector<std::pair<NodeId, Support>> r;
  for (auto& s : e.out) {
    if (peek_type(s.msg) == MsgType::support) r.push_back({s.to, *decode_support(s.msg, Limits{})});
  }
  return r;
}

}  // namespace

TEST(PoeHandlers, ProposeAcceptedSendsValidShareToPrimary) {
  Single t(1);
  Bytes b = batch("tx1");
  EXPECT_FALSE(t.rejects(0, prop(0, 1, b)));
  auto s = supports(t.env);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].first, 0u);
  EXPECT_EQ(s[0].second.digest, batch_digest(b));
  EXPECT_TRUE(t.keys.threshold_verifier().verify_share(
      1, support_statement(0, 1, batch_digest(b)), s[0].second.sig));
}

TEST(PoeHandlers, ProposeRejections) {
  Single t(1);
  Bytes b = batch("tx1");
  EXPECT_TRUE(t.rejects(0, Bytes{}));                           // empty
  EXPECT_TRUE(t.rejects(0, Bytes{99, 1, 2}));                   // unknown type
  Bytes trunc = prop(0, 1, b);
  trunc.pop_back();
  EXPECT_TRUE(t.rejects(0, trunc));                             // truncated
  EXPECT_TRUE(t.rejects(0, prop(1, 1, b)));                     // wrong view
  EXPECT_TRUE(t.rejects(2, prop(0, 1, b)));                     // wrong sender
  EXPECT_TRUE(t.rejects(0, prop(0, 0, b)));                     // below the low watermark
  EXPECT_TRUE(t.rejects(0, prop(0, 9, b)));                     // above the high watermark
  EXPECT_TRUE(t.rejects(0, encode(Propose{0, 1, Hash32{}, b}))); // digest does not match
  EXPECT_TRUE(t.rejects(0, prop(0, 1, batch("bad batch"))));    // validate_batch refuses
  EXPECT_TRUE(t.rejects(7, prop(0, 1, b)));                     // not a replica
  EXPECT_TRUE(supports(t.env).empty());
  EXPECT_EQ(t.rejected(), 10u);
  // Still accepts the good one afterwards: rejections changed nothing.
  EXPECT_FALSE(t.rejects(0, prop(0, 1, b)));
  EXPECT_EQ(supports(t.env).size(), 1u);
}

TEST(PoeHandlers, ProposeDuplicateAndConflict) {
  Single t(1);
  EXPECT_FALSE(t.rejects(0, prop(0, 1, batch("A"))));
  t.env.out.clear();
  EXPECT_TRUE(t.rejects(0, prop(0, 1, batch("A"))));  // duplicate: counted, share re-sent
  EXPECT_EQ(supports(t.env).size(), 1u);
  t.env.out.clear();
  EXPECT_TRUE(t.rejects(0, prop(0, 1, batch("B"))));  // equivocation: never a second share
  EXPECT_TRUE(supports(t.env).empty());
}

TEST(PoeHandlers, CertifyExecutesInOrderAndBuffers) {
  Single t(1);
  Bytes a = batch("A"), b = batch("B");
  t.p->on_message(0, prop(0, 1, a));
  t.p->on_message(0, prop(0, 2, b));
  EXPECT_FALSE(t.rejects(0, t.certify(0, 2, b)));  // out of order: buffered
  EXPECT_TRUE(t.env.execs.empty());
  EXPECT_FALSE(t.rejects(0, t.certify(0, 1, a)));
  ASSERT_EQ(t.env.execs.size(), 2u);
  EXPECT_EQ(t.env.execs[0].digest, batch_digest(a));
  EXPECT_EQ(t.env.execs[1].digest, batch_digest(b));
  EXPECT_EQ(t.p->stats().last_executed, 2u);
}

TEST(PoeHandlers, CertifyBeforeProposeWaitsForBatch) {
  Single t(2);
  Bytes a = batch("A");
  EXPECT_FALSE(t.rejects(0, t.certify(0, 1, a)));
  EXPECT_TRUE(t.env.execs.empty());
  t.p->on_message(0, prop(0, 1, a));
  EXPECT_EQ(t.env.execs.size(), 1u);
}

TEST(PoeHandlers, CertifyRejections) {
  Single t(1);
  Bytes a = batch("A");
  t.p->on_message(0, prop(0, 1, a));
  Hash32 d = batch_digest(a);
  EXPECT_TRUE(t.rejects(0, encode(Certify{0, 1, d, Bytes(32, 1)})));  // bad group signature
  // nf-1 shares are not a group signature either.
  EXPECT_TRUE(t.rejects(0, encode(Certify{0, 1, d, t.share(0, 0, 1, d)})));
  EXPECT_TRUE(t.rejects(2, t.certify(0, 1, a)));  // wrong sender
  EXPECT_TRUE(t.rejects(0, t.certify(0, 9, a)));  // outside the window
  EXPECT_TRUE(t.env.execs.empty());
  EXPECT_FALSE(t.rejects(0, t.certify(0, 1, a)));
  EXPECT_TRUE(t.rejects(0, t.certify(0, 1, a)));  // duplicate
  EXPECT_EQ(t.env.execs.size(), 1u);
  // A bad certificate of a later view: rejected, changes nothing.
  t.env.out.clear();
  EXPECT_TRUE(t.rejects(0, encode(Certify{1, 2, d, Bytes(32, 1)})));
  EXPECT_TRUE(t.env.out.empty());
  // A valid one (wrong view for us): rejected, but it proves view 0 dead, so the replica
  // asks for view 1 (the others answer with the NV-PROPOSE of their view).
  EXPECT_TRUE(t.rejects(0, t.certify(1, 1, a)));
  bool asked = false;
  for (const auto& o : t.env.out) asked |= peek_type(o.msg) == MsgType::vc_request;
  EXPECT_TRUE(asked);
}

TEST(PoeHandlers, PrimaryCombinesSharesIncludingItsOwn) {
  Single t(0);
  Bytes a = batch("A");
  t.p->submit(a);
  Hash32 d = batch_digest(a);
  ASSERT_EQ(t.env.out.size(), 1u);  // PROPOSE broadcast; own share kept locally
  EXPECT_EQ(peek_type(t.env.out[0].msg), MsgType::propose);
  t.env.out.clear();
  EXPECT_FALSE(t.rejects(1, encode(Support{0, 1, d, t.share(1, 0, 1, d)})));
  EXPECT_TRUE(t.rejects(1, encode(Support{0, 1, d, t.share(1, 0, 1, d)})));  // duplicate
  EXPECT_TRUE(t.env.execs.empty());
  // A bad share from 2: the interpolation sent first is garbage (backups refuse it), the check
  // after it fails, the share is dropped and counted.
  EXPECT_TRUE(t.rejects(2, encode(Support{0, 1, d, Bytes(32, 9)})));
  EXPECT_TRUE(t.env.execs.empty());
  ASSERT_EQ(t.env.out.size(), 1u);
  auto bad = decode_certify(t.env.out[0].msg, Limits{});
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(t.keys.threshold_verifier().verify_group(support_statement(0, 1, d), bad->group_sig));
  EXPECT_FALSE(t.rejects(3, encode(Support{0, 1, d, t.share(3, 0, 1, d)})));
  ASSERT_EQ(t.env.execs.size(), 1u);
  ASSERT_EQ(t.env.out.size(), 2u);
  auto c = decode_certify(t.env.out[1].msg, Limits{});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(t.keys.threshold_verifier().verify_group(support_statement(0, 1, d), c->group_sig));
}

TEST(PoeHandlers, SupportRejections) {
  Single t(0);
  Bytes a = batch("A");
  t.p->submit(a);
  Hash32 d = batch_digest(a);
  EXPECT_TRUE(t.rejects(1, encode(Support{1, 1, d, t.share(1, 1, 1, d)})));  // wrong view
  EXPECT_TRUE(t.rejects(1, encode(Support{0, 9, d, t.share(1, 0, 9, d)})));  // outside window
  Single b(1);  // threshold SUPPORT is only for the primary
  EXPECT_TRUE(b.rejects(2, encode(Support{0, 1, d, b.share(2, 0, 1, d)})));
}

TEST(PoeHandlers, MacSupportVerifiedAndCommitsAtNf) {
  Single t(1, /*mac=*/true);
  Bytes a = batch("A");
  EXPECT_FALSE(t.rejects(0, prop(0, 1, a)));
  auto s = supports(t.env);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].first, kBroadcast);  // all-to-all
  EXPECT_TRUE(t.rejects(2, encode(Support{0, 1, batch_digest(a), Bytes(32, 1)})));  // bad sig
  EXPECT_TRUE(t.rejects(3, t.mac_support(2, 0, 1, a)));  // signed by 2, sent by 3
  EXPECT_FALSE(t.rejects(0, t.mac_support(0, 0, 1, a)));
  EXPECT_TRUE(t.rejects(0, t.mac_support(0, 0, 1, a)));  // duplicate
  EXPECT_TRUE(t.env.execs.empty());                      // own + 0 = 2 < nf
  EXPECT_TRUE(t.rejects(0, t.certify(0, 1, a)));  // a group signature is no MAC certificate
  EXPECT_FALSE(t.rejects(2, t.mac_support(2, 0, 1, a)));
  EXPECT_EQ(t.env.execs.size(), 1u);
}

// A replica in a view change behind our stable checkpoint gets the checkpoint's proof in answer
// to its VC-REQUEST, whatever view it asks for: alone in a view above ours while we are busy it
// is never joined, and it takes part in no lower view, so checkpoints are how it keeps up (sim
// poe f=1 seeds 2584808548, 2584813633: it stayed on dead speculation for the whole run).
TEST(PoeHandlers, ARequesterBehindOurCheckpointGetsItsProof) {
  Single t(1);
  for (Seq k = 1; k <= 4; ++k) {
    Bytes b = batch("b" + std::to_string(k));
    t.p->on_message(0, prop(0, k, b));
    t.p->on_message(0, t.certify(0, k, b));
  }
  const Hash32 st = t.env.states[3];
  t.p->on_message(2, t.checkpoint(2, 4, st));
  t.p->on_message(0, t.checkpoint(0, 4, st));
  ASSERT_EQ(t.p->stats().stable_checkpoint, 4u);
  t.env.out.clear();
  t.p->on_message(3, t.vc(3, 3));  // asks for view 3, its checkpoint genesis
  auto stables = of_type(t.env, MsgType::stable);
  ASSERT_EQ(stables.size(), 1u);
  EXPECT_EQ(stables[0].to, 3u);
  auto s = decode_stable(stables[0].msg, Limits{});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->k, 4u);
  EXPECT_EQ(t.p->stats().view, 0u);  // one request moves nobody
}

// Validly signed checkpoint votes of a later view from f + 1 replicas end a dead view, however
// far ahead their k (sim poe f=1 seed 2584813633: left in view 2 while the others ran view 4,
// whose primary withheld everything from it, it heard only their checkpoints at k = 200, far
// outside its window, and stayed on its view-2 speculation).
TEST(PoeHandlers, LaterViewCheckpointsFromFPlusOneEndADeadView) {
  Single t(2);
  const Hash32 st{};
  EXPECT_TRUE(t.rejects(1, t.checkpoint(1, 200, st, 4)));  // far outside the window: not counted
  EXPECT_TRUE(of_type(t.env, MsgType::vc_request).empty());  // one replica moves nobody
  EXPECT_TRUE(t.rejects(3, encode(Checkpoint{4, 200, st, Bytes(64)})));  // a bad signature counts for nothing
  EXPECT_TRUE(of_type(t.env, MsgType::vc_request).empty());
  t.p->on_message(3, t.checkpoint(3, 200, st, 4));
  auto reqs = of_type(t.env, MsgType::vc_request);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(decode_vc_request(reqs[0].msg, Limits{})->new_view, 1u);
}

// The replica layer withdraws a batch whose requests executed elsewhere: it leaves pending (and
// the progress timer stops for it), unless a slot holds it (sim poe-mac f=1 seed 2159397098).
TEST(PoeHandlers, AWithdrawnBatchLeavesPendingUnlessASlotHoldsIt) {
  Single t(2);
  const Bytes a = batch("A"), b = batch("B");
  t.p->submit(a);
  t.p->submit(b);
  ASSERT_EQ(t.p->stats().pending, 2u);
  t.p->on_message(0, prop(0, 1, b));  // b is in an open slot now
  t.p->withdraw(a);
  t.p->withdraw(b);
  EXPECT_EQ(t.p->stats().pending, 1u);  // b stays: a slot holds it
  t.p->on_message(0, t.certify(0, 1, b));
  EXPECT_EQ(t.p->stats().pending, 0u);
  EXPECT_FALSE(t.env.timers.count(TimerKind::view_change));
}

TEST(PoeHandlers, CheckpointStableFinalAndGc) {
  Single t(1);
  for (Seq k = 1; k <= 4; ++k) {
    Bytes b = batch("b" + std::to_string(k));
    t.p->on_message(0, prop(0, k, b));
    t.p->on_message(0, t.certify(0, k, b));
  }
  ASSERT_EQ(t.env.execs.size(), 4u);
  Hash32 st = t.env.states[3];
  bool sent = false;
  for (auto& s : t.env.out) sent |= peek_type(s.msg) == MsgType::checkpoint;
  EXPECT_TRUE(sent);
  EXPECT_TRUE(t.rejects(2, t.checkpoint(2, 3, st)));               // not a checkpoint seq
  EXPECT_TRUE(t.rejects(2, encode(Checkpoint{0, 4, st, Bytes(32)})));  // bad signature
  EXPECT_TRUE(t.rejects(3, t.checkpoint(2, 4, st)));               // signed by someone else
  EXPECT_TRUE(t.rejects(2, t.checkpoint(2, 400, st)));             // far above the window
  EXPECT_FALSE(t.rejects(2, t.checkpoint(2, 4, st)));
  EXPECT_TRUE(t.rejects(2, t.checkpoint(2, 4, st)));               // duplicate
  EXPECT_EQ(t.p->stats().stable_checkpoint, 0u);                   // own + 2 = 2 < nf
  EXPECT_FALSE(t.rejects(0, t.checkpoint(0, 4, st)));
  EXPECT_EQ(t.p->stats().stable_checkpoint, 4u);
  ASSERT_EQ(t.env.finals.size(), 1u);
  EXPECT_EQ(t.env.finals[0], 4u);
  ASSERT_EQ(t.env.stable.size(), 1u);
  EXPECT_EQ(t.env.stable[0].second, st);
  // The window moved: 12 is now inside it, 4 is below it (garbage-collected).
  EXPECT_TRUE(t.rejects(0, prop(0, 4, batch("b4"))));
  EXPECT_FALSE(t.rejects(0, prop(0, 12, batch("x"))));
  EXPECT_FALSE(t.rejects(3, t.checkpoint(3, 4, st)));  // late vote for the stable one: ignored
  EXPECT_EQ(t.env.finals.size(), 1u);
}

TEST(PoeHandlers, LaggingReplicaAsksForStateTransfer) {
  Single t(1);
  Hash32 other{};
  other.fill(5);
  for (NodeId i : {0u, 2u, 3u}) t.p->on_message(i, t.checkpoint(i, 4, other));
  EXPECT_EQ(t.p->stats().stable_checkpoint, 0u);  // we have not executed 4: wait
  for (NodeId i : {0u, 2u, 3u}) t.p->on_message(i, t.checkpoint(i, 8, other));
  // Two stable checkpoints beyond us: ask the replica layer for the state.
  EXPECT_EQ(t.p->stats().stable_checkpoint, 8u);
  ASSERT_EQ(t.env.transfers.size(), 1u);
  EXPECT_EQ(t.env.transfers[0].first, 8u);
  EXPECT_TRUE(t.env.finals.empty());
  t.p->on_state_transferred(8, other);
  EXPECT_EQ(t.p->stats().last_executed, 8u);
  ASSERT_EQ(t.env.finals.size(), 1u);
}

// A primary that keeps executing other batches while ours waits gets up to 4 timeouts in all
// (under load a batch waits in its queue); one that executes nothing is replaced after one.
TEST(PoeHandlers, ProgressTimerForgivesAPrimaryThatKeepsExecuting) {
  auto asked = [](const FakeEnv& e) {
    for (const auto& s : e.out) {
      if (peek_type(s.msg) == MsgType::vc_request) return true;
    }
    return false;
  };
  auto execute_other = [](Single& t, Seq k) {
    const Bytes b = batch("other" + std::to_string(k));
    t.p->on_message(0, prop(0, k, b));
    t.p->on_message(0, t.certify(0, k, b));
    ASSERT_EQ(t.p->stats().last_executed, k);
  };
  {
    Single t(3);
    t.p->submit(batch("A"));
    execute_other(t, 1);
    t.p->on_timer(TimerKind::view_change);
    EXPECT_FALSE(asked(t.env)) << "the primary executed something since the timer was armed";
    ASSERT_TRUE(t.env.timers.count(TimerKind::view_change));
    t.p->on_timer(TimerKind::view_change);  // nothing executed since
    EXPECT_TRUE(asked(t.env));
  }
  {
    Single t(3);
    t.p->submit(batch("A"));
    for (Seq k = 1; k <= 3; ++k) {
      execute_other(t, k);
      t.p->on_timer(TimerKind::view_change);
      EXPECT_FALSE(asked(t.env)) << k;
    }
    execute_other(t, 4);
    t.p->on_timer(TimerKind::view_change);
    EXPECT_TRUE(asked(t.env)) << "four timeouts and our batch still waits: censored";
  }
}

// One replica keeps asking for the next view. An idle replica (nothing pending, nothing
// executed for a retransmit tick) joins it after 3 retransmissions, so a replica that fell
// behind is not stranded; a busy one (executing every tick) never does.
TEST(PoeHandlers, LoneViewChangeRequestIsJoinedOnlyWhenIdle) {
  auto asked = [](const FakeEnv& e) {
    for (const auto& s : e.out) {
      if (peek_type(s.msg) == MsgType::vc_request) return true;
    }
    return false;
  };
  {
    Single t(2);
    const Bytes req = t.vc(3, 1);
    t.p->on_message(3, req);
    for (Seq k = 1; k <= 5; ++k) {
      const Bytes b = batch("busy" + std::to_string(k));
      t.p->on_message(0, prop(0, k, b));
      t.p->on_message(0, t.certify(0, k, b));
      ASSERT_EQ(t.p->stats().last_executed, k);
      t.p->on_timer(TimerKind::retransmit);
      t.p->on_message(3, req);
    }
    EXPECT_FALSE(asked(t.env)) << "a busy replica joined a lone request";
  }
  {
    Single t(2);
    const Bytes req = t.vc(3, 1);
    t.p->on_message(3, req);
    for (int i = 0; i < 5 && !asked(t.env); ++i) {
      t.p->on_timer(TimerKind::retransmit);
      t.p->on_message(3, req);
    }
    EXPECT_TRUE(asked(t.env)) << "an idle replica did not join";
  }
}

TEST(PoeHandlers, ViewChangeTimerArmedByBackupSubmit) {
  Single t(3);
  t.p->submit(batch("A"));
  EXPECT_TRUE(t.p->has_pending());
  ASSERT_TRUE(t.env.timers.count(TimerKind::view_change));
  EXPECT_EQ(t.env.timers[TimerKind::view_change], t.cfg.view_timeout_ms);
  t.p->on_timer(TimerKind::view_change);
  bool vc = false;
  for (auto& s : t.env.out) vc |= peek_type(s.msg) == MsgType::vc_request;
  EXPECT_TRUE(vc);
  // Alone in the view change: no new-view timer, so it does not climb views on its own.
  EXPECT_FALSE(t.env.timers.count(TimerKind::new_view));
  t.p->on_message(0, t.vc(0, 1));
  t.p->on_message(2, t.vc(2, 1));
  ASSERT_TRUE(t.env.timers.count(TimerKind::new_view));  // nf asked for view 1
  EXPECT_EQ(t.env.timers[TimerKind::new_view], 2 * t.cfg.view_timeout_ms);  // back-off
  t.p->on_timer(TimerKind::new_view);  // primary 1 never sent NV-PROPOSE: try view 2
  t.p->on_message(0, t.vc(0, 2));
  t.p->on_message(1, t.vc(1, 2));
  EXPECT_EQ(t.env.timers[TimerKind::new_view], 4 * t.cfg.view_timeout_ms);
}

TEST(PoeHandlers, JoinsViewChangeOnFPlusOneRequests) {
  Single t(3);
  t.p->on_message(0, t.vc(0, 2));
  bool vc = false;
  for (auto& s : t.env.out) vc |= peek_type(s.msg) == MsgType::vc_request;
  EXPECT_FALSE(vc);  // one request may come from a faulty replica
  t.p->on_message(1, t.vc(1, 1));
  for (auto& s : t.env.out) {
    if (peek_type(s.msg) == MsgType::vc_request) {
      vc = true;
      EXPECT_EQ(decode_vc_request(s.msg, Limits{})->new_view, 1u);  // the smallest of the f+1
    }
  }
  EXPECT_TRUE(vc);
}

// VC-REQUESTs name certified batches by digest. A new primary that never saw a batch of its
// history asks for it (Want), re-proposes it once a replica hands it over, ignores bytes that
// do not match, and asks again on the next retransmit tick while it still lacks it.
TEST(PoeHandlers, NewPrimaryFetchesAHistoryBatchItLacks) {
  Single t(1);
  const Bytes a = batch("A");
  const Hash32 d = batch_digest(a);
  CommittedEntry e{0, 1, d, {}, {t.group(0, 1, d), {}}};
  t.p->on_message(2, t.vc(2, 1, {e}));
  t.p->on_message(3, t.vc(3, 1, {e}));  // f+1 ask: it joins; as primary of 1 it needs A first
  auto wants = [&] {
    std::vector<Want> r;
    for (const auto& o : t.env.out) {
      if (peek_type(o.msg) == MsgType::want) r.push_back(*decode_want(o.msg, Limits{}));
    }
    return r;
  };
  auto proposed = [&] {
    for (const auto& o : t.env.out) {
      if (peek_type(o.msg) != MsgType::propose) continue;
      auto m = decode_propose(o.msg, Limits{});
      if (m->v == 1 && m->k == 1) return m->digest == d && m->batch == a;
    }
    return false;
  };
  // Both requests name a batch it lacks: no NV-PROPOSE yet (it could not re-propose k = 1),
  // one WANT per retransmit tick.
  EXPECT_EQ(t.p->stats().view, 0u);
  EXPECT_TRUE(of_type(t.env, MsgType::nv_propose).empty());
  auto w = wants();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].digests, (std::vector<Hash32>{d, d}));
  t.env.out.clear();
  t.p->on_message(2, encode(Forward{batch("B")}));  // not what it asked for: nothing
  EXPECT_TRUE(of_type(t.env, MsgType::nv_propose).empty());
  EXPECT_TRUE(wants().empty());
  t.p->on_timer(TimerKind::retransmit);
  EXPECT_EQ(wants().size(), 1u);  // still missing: asks again
  t.p->on_message(3, encode(Forward{a}));
  ASSERT_EQ(t.p->stats().view, 1u);
  EXPECT_EQ(of_type(t.env, MsgType::nv_propose).size(), 1u);
  EXPECT_TRUE(proposed());
  t.env.out.clear();
  t.p->on_timer(TimerKind::retransmit);
  EXPECT_TRUE(wants().empty());
}

// A faulty requester names a certified batch it never hands over (it withheld the CERTIFY and
// the correct replicas that supported the batch crashed and lost it): the new primary leaves
// its request out once nf others it can serve arrive, instead of adopting a history no view
// can re-propose (sim seed 817299197, poe f=1: views 8 to 12 each stalled on it).
TEST(PoeHandlers, NewPrimaryLeavesOutARequestNamingABatchNobodyHandsOver) {
  Single t(1);
  const Hash32 d = batch_digest(batch("X"));
  CommittedEntry e{0, 1, d, {}, {t.group(0, 1, d), {}}};
  t.p->on_message(0, t.vc(0, 1, {e}));  // the faulty one
  t.p->on_message(2, t.vc(2, 1));       // f+1: it joins
  EXPECT_TRUE(of_type(t.env, MsgType::nv_propose).empty());
  t.p->on_timer(TimerKind::retransmit);
  t.p->on_message(3, t.vc(3, 1));
  auto nvs = of_type(t.env, MsgType::nv_propose);
  ASSERT_EQ(nvs.size(), 1u);
  auto nv = decode_nv_propose(nvs[0].msg, Limits{});
  std::set<NodeId> senders;
  for (const auto& q : nv->requests) senders.insert(decode_vc_request(q, Limits{})->sender);
  EXPECT_EQ(senders, (std::set<NodeId>{1, 2, 3}));
  EXPECT_EQ(t.p->stats().view, 1u);
}

// One view, two valid histories: in its view change a replica installs an NV-PROPOSE that a
// faulty replica relays, built from its own pick of nf requests (it keeps Z at k = 2), while the
// primary installed another one (nothing at 2; it then certifies Y there). Each keeps what was
// proven, but the view's certificates follow the primary's. The replica must follow them, not
// execute them on top of the other history: it executed W at k = 3 in view 1 on Z, a result no
// other replica of view 1 has (sim poe-mac f=1 seed 1367502045).
TEST(PoeHandlers, ACertificateOfTheViewOverridesAnotherHistoryWeWereGiven) {
  Single t(2);
  const Bytes x = batch("X"), z = batch("Z"), y = batch("Y"), w = batch("W");
  const Hash32 dx = batch_digest(x), dz = batch_digest(z);
  for (auto [k, b] : {std::pair<Seq, const Bytes*>{1, &x}, {2, &z}}) {
    t.p->on_message(0, prop(0, k, *b));
    t.p->on_message(0, t.certify(0, k, *b));
  }
  ASSERT_EQ(t.p->stats().last_executed, 2u);
  t.p->on_timer(TimerKind::view_change);  // we ask for view 1
  CommittedEntry ex{0, 1, dx, {}, {t.group(0, 1, dx), {}}}, ez{0, 2, dz, {}, {t.group(0, 2, dz), {}}};
  t.p->on_message(0, encode(NvPropose{1, {t.vc(0, 1, {ex, ez}), t.vc(1, 1), t.vc(3, 1)}}));  // relayed by 0
  ASSERT_EQ(t.p->stats().view, 1u);
  ASSERT_EQ(t.env.chain.size(), 2u);  // X and Z kept: nothing rolled back yet
  // View 1's certificates: Y at 2 (it contradicts the kept Z), then W at 3, then X again at 1.
  t.p->on_message(1, t.certify(1, 2, y));
  t.p->on_message(1, t.certify(1, 3, w));
  t.p->on_message(1, prop(1, 3, w));
  t.p->on_message(1, prop(1, 2, y));
  t.p->on_message(1, t.certify(1, 1, x));
  t.p->on_message(1, prop(1, 1, x));
  EXPECT_EQ(t.env.chain, (std::vector<Hash32>{dx, batch_digest(y), batch_digest(w)}));
  EXPECT_FALSE(t.env.rollbacks.empty());
  EXPECT_EQ(t.p->stats().history_switches, 1u);
  // Every execution in view 1 extended view 1's history (the state chains the digests).
  for (const auto& e : t.env.execs) {
    if (e.v == 1) {
      EXPECT_EQ(e.state, t.env.states[e.k - 1]) << "k=" << e.k << " executed on another history";
    }
  }
}

// A replica reports only certificates whose batch it holds: one it adopted with a history and
// never got the bytes of is not its to vouch for in a VC-REQUEST.
TEST(PoeHandlers, VcRequestLeavesOutCertificatesWhoseBatchItLacks) {
  for (bool gets_batch : {false, true}) {
    SCOPED_TRACE(gets_batch ? "with the batch" : "without");
    Single t(2);
    const Bytes x = batch("X");
    const Hash32 d = batch_digest(x);
    CommittedEntry e{0, 1, d, {}, {t.group(0, 1, d), {}}};
    // View 1 keeps X at k = 1 (from replica 0's request); we never had its bytes.
    t.p->on_message(1, encode(NvPropose{1, {t.vc(0, 1, {e}), t.vc(1, 1), t.vc(3, 1)}}));
    ASSERT_EQ(t.p->stats().view, 1u);
    if (gets_batch) t.p->on_message(1, prop(1, 1, x));  // view 1's primary re-proposes it
    t.env.out.clear();
    t.p->on_timer(TimerKind::view_change);
    auto reqs = of_type(t.env, MsgType::vc_request);
    ASSERT_EQ(reqs.size(), 1u);
    auto r = decode_vc_request(reqs[0].msg, Limits{});
    EXPECT_EQ(r->new_view, 2u);
    if (gets_batch) {
      ASSERT_EQ(r->entries.size(), 1u);
      EXPECT_EQ(r->entries[0].digest, d);
      EXPECT_EQ(r->entries[0].v, 0u);
    } else {
      EXPECT_TRUE(r->entries.empty());
    }
  }
}

// The new view's history is certified: a backup accepts its re-proposal without checking the
// batch again (the replica layer's check, client signatures, is the cost of a batch), while a
// batch outside the history is still checked.
TEST(PoeHandlers, HistoryBatchIsNotCheckedAgainWhenReProposed) {
  Single t(2);
  const Bytes x = batch("bad: certified, so never checked again"), y = batch("bad: fresh");
  const Hash32 d = batch_digest(x);
  CommittedEntry e{0, 1, d, {}, {t.group(0, 1, d), {}}};
  t.p->on_message(1, encode(NvPropose{1, {t.vc(0, 1, {e}), t.vc(1, 1, {e}), t.vc(3, 1)}}));
  ASSERT_EQ(t.p->stats().view, 1u);
  t.env.out.clear();
  EXPECT_FALSE(t.rejects(1, encode(Propose{1, 1, d, x})));
  EXPECT_TRUE(t.rejects(1, encode(Propose{1, 2, batch_digest(y), y})));
  auto s = supports(t.env);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].second.k, 1u);
  EXPECT_EQ(s[0].second.digest, d);
}

// Likewise a batch whose certificate arrived first (a primary answers FETCH with the CERTIFY
// before the PROPOSE): executed without checking it again, so a replica that catches up does
// not spend its time re-checking client signatures nf replicas checked already.
TEST(PoeHandlers, CertifiedBatchIsNotCheckedAgain) {
  Single t(2);
  const Bytes x = batch("bad: certified, so never checked again"), y = batch("bad: fresh");
  EXPECT_FALSE(t.rejects(0, t.certify(0, 1, x)));
  EXPECT_TRUE(t.env.execs.empty());  // no bytes yet
  EXPECT_FALSE(t.rejects(0, prop(0, 1, x)));
  ASSERT_EQ(t.env.execs.size(), 1u);
  EXPECT_EQ(t.env.execs[0].digest, batch_digest(x));
  EXPECT_TRUE(t.rejects(0, prop(0, 2, y)));  // not certified: checked, and refused
}

// A lagging backup's FETCH is answered with each certified slot's CERTIFY before its PROPOSE.
TEST(PoeHandlers, FetchAnswerSendsTheCertificateBeforeTheBatch) {
  Single t(0);
  const Bytes a = batch("A");
  t.p->submit(a);
  const Hash32 d = batch_digest(a);
  t.p->on_message(1, encode(Support{0, 1, d, t.share(1, 0, 1, d)}));
  t.p->on_message(2, encode(Support{0, 1, d, t.share(2, 0, 1, d)}));
  ASSERT_EQ(t.p->stats().last_executed, 1u);
  t.env.out.clear();
  t.p->on_message(3, encode(Fetch{0, 1}));
  std::vector<MsgType> to3;
  for (const auto& o : t.env.out) {
    if (o.to == 3) to3.push_back(*peek_type(o.msg));
  }
  EXPECT_EQ(to3, (std::vector<MsgType>{MsgType::certify, MsgType::propose}));
}

// A replica answers its (new) primary's Want with the batches it holds, by digest, once per
// retransmit tick; a Want from any other replica is refused (answering costs bandwidth).
TEST(PoeHandlers, WantIsAnsweredWithHeldBatchesOncePerTick) {
  Single t(2);
  const Bytes a = batch("A");
  t.p->on_message(0, encode(Propose{0, 1, batch_digest(a), a}));
  t.env.out.clear();
  const Bytes want = encode(Want{{batch_digest(a), batch_digest(batch("unknown"))}});
  auto forwards = [&] {
    size_t n = 0;
    for (const auto& o : t.env.out) {
      if (peek_type(o.msg) == MsgType::forward) {
        EXPECT_EQ(o.to, 0u);
        EXPECT_EQ(decode_forward(o.msg, Limits{})->batch, a);
        ++n;
      }
    }
    return n;
  };
  EXPECT_TRUE(t.rejects(1, want));  // not the primary
  EXPECT_EQ(forwards(), 0u);
  EXPECT_FALSE(t.rejects(0, want));
  EXPECT_EQ(forwards(), 1u);
  EXPECT_TRUE(t.rejects(0, want));  // again in the same tick: not answered
  EXPECT_EQ(forwards(), 1u);
  t.p->on_timer(TimerKind::retransmit);
  EXPECT_FALSE(t.rejects(0, want));
  EXPECT_EQ(forwards(), 2u);
  EXPECT_TRUE(t.rejects(0, Bytes{static_cast<uint8_t>(MsgType::want), 0xff, 0xff, 0xff, 0xff}));
}

TEST(PoeHandlers, PrimaryDedupsIdenticalBatches) {
  Single t(0);
  t.p->submit(batch("A"));
  t.p->submit(batch("A"));
  size_t proposes = 0;
  for (auto& s : t.env.out) proposes += peek_type(s.msg) == MsgType::propose;
  EXPECT_EQ(proposes, 1u);
}

TEST(PoeHandlers, VcRequestAndNvProposeRejections) {
  Single t(1);
  auto vc = [&](NodeId i, View w, std::vector<CommittedEntry> entries = {}) {
    return t.vc(i, w, std::move(entries));
  };
  EXPECT_TRUE(t.rejects(2, vc(3, 1)));  // sender field differs from the transport's
  Bytes forged = vc(2, 1);
  forged[forged.size() - 1] ^= 1;
  EXPECT_TRUE(t.rejects(2, forged));  // bad signature
  Bytes a = batch("A");
  Hash32 d = batch_digest(a);
  CommittedEntry fake{0, 1, d, a, {Bytes(32, 3), {}}};
  EXPECT_TRUE(t.rejects(2, vc(2, 1, {fake})));  // forged certificate
  CommittedEntry good{0, 1, d, a, {t.group(0, 1, d), {}}};
  CommittedEntry wrong_digest = good;
  wrong_digest.digest = batch_digest(batch("B"));
  EXPECT_TRUE(t.rejects(2, vc(2, 1, {wrong_digest})));  // the certificate is for another digest
  CommittedEntry far = good;
  far.k = 9;
  EXPECT_TRUE(t.rejects(2, vc(2, 1, {far})));  // outside the window above its checkpoint
  VcRequest badckpt;
  badckpt.new_view = 1;
  badckpt.sender = 2;
  badckpt.ckpt = 4;  // claims a stable checkpoint without nf signatures
  badckpt.body = vc_body(badckpt);
  badckpt.sig = t.sg[2]->sign(vc_statement(badckpt.body));
  EXPECT_TRUE(t.rejects(2, encode(badckpt)));
  EXPECT_TRUE(t.rejects(2, vc(2, 0)));  // not above the current view
  EXPECT_FALSE(t.rejects(2, vc(2, 1, {good})));
  EXPECT_TRUE(t.rejects(2, vc(2, 1, {good})));  // duplicate

  // NV-PROPOSE for view 1 must come from its primary, replica 1; replica 2 checks it.
  Single u(2);
  NvPropose nv{1, {vc(0, 1), vc(1, 1), vc(3, 1)}};
  {
    // Not from primary(1) and we are not in a view change: not adopted, but a valid relayed
    // NV-PROPOSE of a later view shows our view is dead, so the replica asks for view 1.
    Single w(2);
    EXPECT_TRUE(w.rejects(0, encode(nv)));  // wrong sender
    EXPECT_EQ(w.p->stats().view, 0u);
    bool asked = false;
    for (const auto& o : w.env.out) asked |= peek_type(o.msg) == MsgType::vc_request;
    EXPECT_TRUE(asked);
    // In the view change, the relayed one is adopted.
    EXPECT_FALSE(w.rejects(0, encode(nv)));
    EXPECT_EQ(w.p->stats().view, 1u);
  }
  EXPECT_TRUE(u.rejects(1, encode(NvPropose{1, {vc(0, 1), vc(3, 1)}})));  // fewer than nf
  EXPECT_TRUE(u.rejects(1, encode(NvPropose{1, {vc(0, 1), vc(0, 1), vc(3, 1)}})));  // repeated
  EXPECT_TRUE(u.rejects(1, encode(NvPropose{1, {vc(0, 1), forged, vc(3, 1)}})));  // bad request
  EXPECT_TRUE(u.rejects(1, encode(NvPropose{2, {vc(0, 2), vc(1, 2), vc(3, 2)}})));  // 2's view
  EXPECT_EQ(u.p->stats().view, 0u);
  EXPECT_FALSE(u.rejects(1, encode(nv)));
  EXPECT_EQ(u.p->stats().view, 1u);
  EXPECT_TRUE(u.rejects(1, encode(nv)));  // duplicate
  ASSERT_EQ(u.env.views.size(), 1u);
  EXPECT_EQ(u.env.views[0].second, 1u);
}

// A restarted replica whose replica layer restored its last stable checkpoint from disk resumes
// after it (before, PoE ignored the call and executed k=1 on top of the restored state).
TEST(PoeHandlers, RestartFromDiskCheckpointResumesAfterIt) {
  Single t(1);
  Hash32 st{};
  st[0] = 7;
  t.p->on_state_transferred(4, st);
  EXPECT_EQ(t.p->stats().last_executed, 4u);
  EXPECT_TRUE(t.env.execs.empty());
  // A second call (no state transfer was asked for) changes nothing.
  t.p->on_state_transferred(8, st);
  EXPECT_EQ(t.p->stats().last_executed, 4u);
}

// Sim seeds 928774190 and 443760938 (f = 2): a replica still in a dead view executed k from its
// branch (batches of cached retries, which change nothing), the next view ordered other batches
// there reaching the same state, and a checkpoint above became stable. Comparing state digests
// made the dead branch final. Checkpoints sign the ledger head, which binds the batches: the
// replica sees its history is not the cluster's, rolls back, asks for the state and leaves the view.
TEST(PoeHandlers, StableCheckpointOfAnotherHistoryWithTheSameStateIsNotFinalHere) {
  Single t(1);
  t.env.constant_state = true;
  for (Seq k = 1; k <= 4; ++k) {
    Bytes b = batch("dead" + std::to_string(k));
    t.p->on_message(0, prop(0, k, b));
    t.p->on_message(0, t.certify(0, k, b));
  }
  ASSERT_EQ(t.env.execs.size(), 4u);
  FakeEnv other;  // the history the cluster kept: other batches, the same (constant) state
  other.constant_state = true;
  for (Seq k = 1; k <= 4; ++k) other.execute(k, 1, batch("kept" + std::to_string(k)));
  const Hash32 kept_head = other.states.back();
  ASSERT_NE(kept_head, t.env.states.back());
  for (NodeId i : {0u, 2u, 3u}) t.p->on_message(i, t.checkpoint(i, 4, kept_head, 1));
  EXPECT_EQ(t.p->stats().stable_checkpoint, 4u);
  EXPECT_TRUE(t.env.finals.empty()) << "the dead branch became final";
  ASSERT_EQ(t.env.rollbacks.size(), 1u);
  EXPECT_EQ(t.env.rollbacks[0], 0u);
  ASSERT_EQ(t.env.transfers.size(), 1u);
  EXPECT_EQ(t.env.transfers[0], std::make_pair(Seq{4}, kept_head));
  bool asked = false;
  for (const auto& s : t.env.out) asked |= peek_type(s.msg) == MsgType::vc_request;
  EXPECT_TRUE(asked) << "the replica stays in the dead view";
}

// A checkpoint vote is kept per sender, its latest view: a correct replica signs k again after a
// view change re-certified its history, and that vote counts (first-wins per sender ignored it).
// Votes of different views never combine.
TEST(PoeHandlers, CheckpointVotesOfALaterViewReplaceEarlierOnesAndViewsDoNotMix) {
  Single t(1);
  for (Seq k = 1; k <= 4; ++k) {
    Bytes b = batch("b" + std::to_string(k));
    t.p->on_message(0, prop(0, k, b));
    t.p->on_message(0, t.certify(0, k, b));
  }
  const Hash32 head = t.env.states.back();  // our own vote is (view 0, 4, head)
  EXPECT_FALSE(t.rejects(2, t.checkpoint(2, 4, head, 1)));
  EXPECT_FALSE(t.rejects(3, t.checkpoint(3, 4, head, 1)));
  EXPECT_EQ(t.p->stats().stable_checkpoint, 0u) << "votes of views 0 and 1 combined";
  EXPECT_FALSE(t.rejects(0, t.checkpoint(0, 4, head, 0)));  // two in view 0, two in view 1
  EXPECT_EQ(t.p->stats().stable_checkpoint, 0u) << "votes of views 0 and 1 combined";
  EXPECT_TRUE(t.rejects(0, t.checkpoint(0, 4, head, 0)));   // the same again: duplicate
  EXPECT_FALSE(t.rejects(0, t.checkpoint(0, 4, head, 1)));  // re-signed in view 1: replaces
  EXPECT_EQ(t.p->stats().stable_checkpoint, 4u);
  ASSERT_EQ(t.env.finals.size(), 1u);
  EXPECT_EQ(t.env.finals[0], 4u);
}

// A faulty backup forwarding many different valid batches (subsets of genuine requests) cannot
// grow the primary's queue without bound: each backup has a quota (2 * max_inflight), others
// still get theirs.
TEST(PoeHandlers, ForwardFloodIsBoundedPerBackup) {
  Single t(0);  // the primary of view 0
  size_t rejected = 0;
  for (int i = 0; i < 200; ++i) rejected += t.rejects(1, encode(Forward{batch("flood" + std::to_string(i))}));
  EXPECT_LE(t.p->stats().pending, 2u * t.cfg.max_inflight);
  EXPECT_GE(rejected, 200u - 2u * t.cfg.max_inflight);
  EXPECT_FALSE(t.rejects(2, encode(Forward{batch("honest")})));  // another backup's share is untouched
  EXPECT_EQ(t.p->stats().pending, 2u * t.cfg.max_inflight + 1);
}

// FETCH is answered once per requester per retransmit tick: each answer re-sends up to
// 2 * max_inflight proposals, which a faulty backup must not multiply at will.
TEST(PoeHandlers, FetchIsAnsweredOncePerRequesterPerTick) {
  Single t(0);
  t.p->submit(batch("a"));
  auto proposals = [&] {
    size_t n = 0;
    for (const auto& s : t.env.out) n += s.to == 1 && peek_type(s.msg) == MsgType::propose;
    return n;
  };
  t.env.out.clear();
  EXPECT_FALSE(t.rejects(1, encode(Fetch{0, 1})));
  EXPECT_EQ(proposals(), 1u);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(t.rejects(1, encode(Fetch{0, 1})));
  EXPECT_EQ(proposals(), 1u);
  t.p->on_timer(TimerKind::retransmit);
  t.env.out.clear();
  EXPECT_FALSE(t.rejects(1, encode(Fetch{0, 1})));
  EXPECT_EQ(proposals(), 1u);
}

// poe-mac sim seed 443743024 (f = 2, the primary equivocating as twins): a backup accepted the
// primary's proposal of its batch at k, which that twin could never certify (the others followed
// the other twin). The batch counted as known (in an open slot), so every re-submission was
// dropped, the backup had nothing pending, its progress timer never ran, and the request waited
// for good. A backup's batch stays pending until executed, whatever slot it sits in.
TEST(PoeHandlers, BackupBatchInAnUncertifiableSlotStaysPendingAndArmsTheTimer) {
  for (bool mac : {false, true}) {
    Single t(1, mac);
    Bytes b = batch("mine");
    EXPECT_FALSE(t.rejects(0, prop(0, 1, b)));  // accepted; no certificate ever comes
    t.p->submit(b);                             // the client's retry reaches us
    EXPECT_TRUE(t.p->has_pending()) << "mac=" << mac;
    EXPECT_TRUE(t.env.timers.count(TimerKind::view_change)) << "mac=" << mac;
  }
}
