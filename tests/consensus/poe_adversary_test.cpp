// Deterministic attacks by one Byzantine PoE replica that holds its own keys and sends validly
// signed messages of its choosing (it re-signs its VC-REQUESTs without the certificates it wants
// hidden, and the network, which the adversary schedules, delivers to chosen subsets).
#include <gtest/gtest.h>

#include "poe_harness.hpp"

using namespace rampart;
using namespace rampart::consensus;
using namespace rampart::consensus::poe;
using namespace rampart::consensus::test;

namespace {

Config cfg4() {
  Config c;
  c.n = 4;
  c.f = 1;
  c.window = 16;
  c.checkpoint_interval = 8;
  c.max_inflight = 4;
  c.view_timeout_ms = 1000;
  return c;
}

bool is(const Cluster::Msg& m, MsgType t) { return peek_type(m.bytes) == t; }

// The Byzantine replica's VC-REQUEST without any certificate, signed again with its own key.
Bytes strip_vc(ByteView raw, const crypto::Signer& signer) {
  auto r = decode_vc_request(raw, Limits{});
  if (!r) return Bytes(raw.begin(), raw.end());
  r->entries.clear();
  r->body = vc_body(*r);
  r->sig = signer.sign(vc_statement(r->body));
  return encode(*r);
}

// The same for the requests it puts into its own NV-PROPOSE.
Bytes strip_nv(ByteView raw, NodeId self, const crypto::Signer& signer) {
  auto nv = decode_nv_propose(raw, Limits{});
  if (!nv) return Bytes(raw.begin(), raw.end());
  for (auto& q : nv->requests) {
    auto r = decode_vc_request(q, Limits{});
    if (r && r->sender == self) q = strip_vc(q, signer);
  }
  return encode(*nv);
}

// What a replica vouches for towards clients: it signs a reply share over (view, k, results
// root). FakeEnv's results root is the batch digest alone, so the state after k (a chain over
// the history 1..k) stands for what a real results root depends on.
struct Vouch {
  NodeId r;
  View v;
  Seq k;
  Hash32 root;
};

// Shares combine into a proof a client accepts when nf distinct replicas signed one message.
// `bind_view`: the message names the view (the rule the argument in docs/protocols.md needs);
// without it, shares from executions in different views combine. The Byzantine replica signs
// whatever helps, so it adds its share to every message a correct replica signed.
bool proof_exists(const std::vector<Vouch>& vs, Seq k, const Hash32& root, uint32_t nf, NodeId byz, bool bind_view) {
  std::map<View, std::set<NodeId>> by_view;
  for (const auto& x : vs) {
    if (x.k != k || x.root != root) continue;
    by_view[bind_view ? x.v : 0].insert(x.r);
  }
  for (auto& [v, signers] : by_view) {
    signers.insert(byz);
    if (signers.size() >= nf) return true;
  }
  return false;
}


// The scenario of issue 14: D = 0 is Byzantine, A = 1, B = 2, C = 3 correct.
// 1. View 0: X (submitted only to D) is certified at k = 1; the CERTIFY reaches only A.
// 2. A is cut off; Y reaches B and C; views move to 2 (B) with D's certificate stripped; B
//    certifies Y at k = 1 and executes it, the CERTIFY reaches nobody.
// 3. B is cut off, A returns; D's view-3 request never reaches C, so view 3 fails; view 4 (D)
//    is built from {D stripped, A, C}: X is kept and re-certified, and only C gets that
//    certificate. With `second`, D also orders W at k = 2 in view 4, and that certificate
//    reaches A and C: A executes W on top of the X it executed in view 0.
// 4. A executed X in view 0, C in view 4 (and with `second`, both executed W in view 4).
// 5. View 5 (A) from {A, D stripped, B}: B's cert(2, Y) is the highest: A rolls back k = 1.
struct Scenario {
  Cluster c{cfg4()};
  static constexpr NodeId D = 0, A = 1, B = 2, C = 3;
  Bytes X = batch("X"), Y = batch("Y"), Z = batch("Z"), W = batch("W");
  std::unique_ptr<crypto::Signer> d_signer = c.keys().signer(D);

  Bytes empty_vc(View w) const {
    VcRequest r;
    r.new_view = w;
    r.sender = D;
    r.body = vc_body(r);
    r.sig = d_signer->sign(vc_statement(r.body));
    return encode(r);
  }

  void run(bool second) {
    const Hash32 dx = batch_digest(X), dy = batch_digest(Y);
    c.rewrite = [&](Cluster::Msg& m) {
      if (m.from != D) return;
      if (is(m, MsgType::vc_request)) m.bytes = strip_vc(m.bytes, *d_signer);
      if (is(m, MsgType::nv_propose)) m.bytes = strip_nv(m.bytes, D, *d_signer);
    };

    // 1.
    c.drop = [&](const Cluster::Msg& m) { return is(m, MsgType::certify) && m.to != A; };
    c.node(D).submit(X);
    c.run();
    ASSERT_EQ(c.env(A).chain, (std::vector<Hash32>{dx}));
    ASSERT_TRUE(c.env(B).chain.empty());
    ASSERT_TRUE(c.env(C).chain.empty());

    // 2.
    c.down_ = {A};
    c.drop = [&](const Cluster::Msg& m) {
      if (is(m, MsgType::forward)) return true;       // D keeps X to itself
      return is(m, MsgType::certify) && m.from == B;  // nobody learns cert(2, Y)
    };
    c.node(B).submit(Y);
    c.node(C).submit(Y);
    c.fire(B, TimerKind::view_change);
    c.fire(C, TimerKind::view_change);
    c.run();  // D joins view 1 (its request stripped); view 1's primary A is away
    for (NodeId i : {B, C, D}) c.fire(i, TimerKind::new_view);
    c.run();
    ASSERT_EQ(c.node(B).stats().view, 2u);
    ASSERT_EQ(c.env(B).chain, (std::vector<Hash32>{dy}));
    ASSERT_TRUE(c.env(C).chain.empty());

    // 3.
    c.down_ = {B};
    c.drop = [&](const Cluster::Msg& m) {
      if (is(m, MsgType::forward)) return true;
      if (m.from == D && m.to == C && is(m, MsgType::vc_request)) {
        auto r = decode_vc_request(m.bytes, Limits{});
        return r && r->new_view == 3;  // view 3 must fail
      }
      if (is(m, MsgType::certify)) {
        auto cm = decode_certify(m.bytes, Limits{});
        return cm && (cm->k == 1 ? m.to != C : m.to == B);  // cert(4, 1, X) only to C
      }
      return false;
    };
    c.fire(C, TimerKind::view_change);  // C still waits for Y: asks for view 3
    c.node(A).on_message(D, empty_vc(4));  // D asks for view 4 at A and C, so A joins C's request for 3
    c.node(C).on_message(D, empty_vc(4));
    c.run();
    ASSERT_TRUE(c.env(A).timers.count(TimerKind::new_view));
    ASSERT_TRUE(c.env(C).timers.count(TimerKind::new_view));
    c.fire(A, TimerKind::new_view);
    c.fire(C, TimerKind::new_view);
    c.run();
    ASSERT_EQ(c.node(C).stats().view, 4u);
    ASSERT_EQ(c.env(C).chain, (std::vector<Hash32>{dx}));
    ASSERT_EQ(c.env(A).chain, (std::vector<Hash32>{dx}));  // kept, not executed again
    if (second) {
      c.node(D).submit(W);  // D orders W at k = 2 in view 4
      c.run();
      // A holds view 0's certificate for k = 1 only (view 4's went to C alone): it does not
      // execute view 4's W on a prefix no certificate of view 4 backs (try_execute).
      ASSERT_EQ(c.env(A).chain, (std::vector<Hash32>{dx}));
      ASSERT_EQ(c.env(C).chain, (std::vector<Hash32>{dx, batch_digest(W)}));
    }

    // 5.
    c.down_.clear();
    c.drop = [&](const Cluster::Msg& m) {
      if (is(m, MsgType::forward)) return m.from == D;  // B hands A the Y its request names
      return m.from == C && m.to == A && is(m, MsgType::vc_request);  // C's cert(4, X) arrives late
    };
    c.node(A).submit(Z);  // A waits for Z and times out (a primary that executed meanwhile gets patience)
    for (int t = 0; t < 4 && c.env(A).timers.count(TimerKind::view_change); ++t) c.fire(A, TimerKind::view_change);
    c.node(B).on_message(D, empty_vc(5));  // with A's request: f + 1, so B joins and reports cert(2, Y)
    c.run();
    ASSERT_EQ(c.node(A).stats().view, 5u);
    // The attack worked on the protocol: view 5 rolled back what A executed at k = 1.
    ASSERT_TRUE(c.env(A).chain.empty() || c.env(A).chain[0] != dx);
    ASSERT_FALSE(c.env(A).rollbacks.empty());
    ASSERT_EQ(c.env(A).rollbacks.back(), 0u);
  }

  // Shares as a replica would sign them at each execution, in the view it executed in.
  std::vector<Vouch> executions() {
    std::vector<Vouch> out;
    for (NodeId r : {A, B, C})
      for (const auto& e : c.env(r).execs) out.push_back({r, e.v, e.k, e.state});
    return out;
  }
  // Shares as replicas sign them: when the protocol lets them vouch (Env::attested).
  std::vector<Vouch> attested() {
    std::vector<Vouch> out;
    for (NodeId r : {A, B, C})
      for (const auto& x : c.env(r).vouched) out.push_back({r, x.v, x.k, x.state});
    return out;
  }
  Hash32 state_after(std::vector<Bytes> history) {
    FakeEnv e;
    for (size_t i = 0; i < history.size(); ++i) e.execute(i + 1, 0, history[i]);
    return e.states.back();
  }
};

}  // namespace

// Shares over (k, results root) from executions in different views (A in view 0, C in view 4,
// and D's) would prove X at k = 1, which view 5 rolls back: the proof message must bind the view.
TEST(PoeAdversary, SharesOfDifferentViewsMustNotCombine) {
  Scenario s;
  s.run(false);
  const Hash32 x1 = s.state_after({s.X});
  EXPECT_TRUE(proof_exists(s.executions(), 1, x1, 3, Scenario::D, /*bind_view=*/false));
  EXPECT_FALSE(proof_exists(s.attested(), 1, x1, 3, Scenario::D, /*bind_view=*/true));
  // The attested shares alone would combine too if the view were not signed (views 0 and 4).
  EXPECT_TRUE(proof_exists(s.attested(), 1, x1, 3, Scenario::D, /*bind_view=*/false));
}

// Binding the view is not enough: A executed W at k = 2 in view 4 holding only view 0's
// certificate for k = 1, so shares signed at execution, in the view of execution, proved W (A, C
// and D in view 4), and view 5 rolled it back at A. A replica vouches in view v only for a prefix
// it holds view-v certificates for (update_attestation), and now does not even execute a
// certificate of view v on another prefix (try_execute): A neither executes nor vouches for k = 2.
TEST(PoeAdversary, AVoucherMustHoldCertificatesOfItsViewForTheWholePrefix) {
  Scenario s;
  s.run(true);
  const Hash32 w2 = s.state_after({s.X, s.W});
  EXPECT_FALSE(proof_exists(s.executions(), 2, w2, 3, Scenario::D, /*bind_view=*/true));
  EXPECT_FALSE(proof_exists(s.attested(), 2, w2, 3, Scenario::D, /*bind_view=*/true));
  bool a_vouched_2 = false;
  for (const auto& x : s.c.env(Scenario::A).vouched) a_vouched_2 |= x.k == 2 && x.state == w2;
  EXPECT_FALSE(a_vouched_2);
}

// Issue 14, liveness: an idle replica joins a lone VC-REQUEST after a few copies, and every join
// used to double the next timeout (failures_ reset only when something executed). One Byzantine
// replica forced view after view on an idle cluster; after 16 the progress timeout was
// view_timeout << 16 (18 h at 1 s), and it could then stay silent as primary that long. Now only
// our own timers' expiries count as failures, an idle view change that completes resets them,
// and the back-off is capped.
TEST(PoeAdversary, LoneRequestsOnAnIdleClusterCannotInflateTheTimeout) {
  Cluster c(cfg4());
  const NodeId D = 0;
  auto d_signer = c.keys().signer(D);
  c.down_ = {D};  // the test speaks for D
  uint32_t changes = 0;
  for (int round = 0; round < 40; ++round) {
    const View target = c.node(1).stats().view + 1;
    VcRequest r;
    r.new_view = target;
    r.sender = D;
    r.body = vc_body(r);
    r.sig = d_signer->sign(vc_statement(r.body));
    c.fire_all(TimerKind::retransmit);  // idle for a tick
    for (int copy = 0; copy < 4; ++copy)
      for (NodeId i : {1u, 2u, 3u}) c.node(i).on_message(D, encode(r));
    c.run();
    // A view D leads never starts (D sends no NV-PROPOSE): the new-view timers move on.
    for (int t = 0; t < 3 && c.node(1).stats().view < target; ++t) {
      c.fire_all(TimerKind::new_view);
      c.run();
    }
    ASSERT_GE(c.node(1).stats().view, target) << "round " << round;
    changes = static_cast<uint32_t>(c.node(1).stats().view_changes);
  }
  ASSERT_GE(changes, 40u);
  // Work arrives at a backup: its progress timer is armed with the current timeout.
  NodeId backup = c.node(1).is_primary() ? 2 : 1;
  c.node(backup).submit(batch("work"));
  ASSERT_TRUE(c.env(backup).timers.count(TimerKind::view_change));
  // The views D forced completed (with nothing pending): no evidence of a slow network.
  EXPECT_EQ(c.env(backup).timers[TimerKind::view_change], cfg4().view_timeout_ms);
}
