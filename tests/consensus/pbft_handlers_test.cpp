// PBFT handlers one at a time: a single replica (id 1, a backup in view 0) fed hand-made
// messages signed with the fake keyring; every rejection path is counted and changes nothing.
#include <gtest/gtest.h>

#include "pbft_harness.hpp"

namespace rampart::consensus::pbft::testing {
namespace {

class PbftHandlers : public ::testing::Test {
 protected:
  PbftHandlers() : keys(4, 3, 11) {
    for (NodeId i = 0; i < 4; ++i) signers.push_back(keys.signer(i));
    cfg.n = 4;
    cfg.f = 1;
    cfg.self = 1;
    cfg.window = 16;
    cfg.checkpoint_interval = 4;
    cfg.max_inflight = 8;
    rep = std::make_unique<PbftReplica>(cfg, Crypto{signers[1].get(), &keys.verifier(), nullptr, nullptr}, env);
    rep->start();
  }

  Bytes pp(View v, Seq n, const Bytes& batch, NodeId signer = 0) {
    Hash32 d = batch_digest(batch);
    return encode_pre_prepare({v, n, d, signers[signer]->sign(pre_prepare_body(v, n, d)), batch});
  }
  Bytes vote(MsgType t, View v, Seq n, const Hash32& d, NodeId id, NodeId signer) {
    return encode_vote({t, v, n, d, id, signers[signer]->sign(vote_body(t, v, n, d, id))});
  }
  Bytes vote(MsgType t, View v, Seq n, const Bytes& batch, NodeId id) {
    return vote(t, v, n, batch_digest(batch), id, id);
  }
  Bytes ckpt(Seq n, const Hash32& s, NodeId id, NodeId signer) {
    return encode_checkpoint({n, s, id, signers[signer]->sign(checkpoint_body(n, s, id))});
  }
  // Drive seq n (batch b) to execution in view 0 at replica 1.
  void commit_slot(Seq n, const Bytes& b) {
    rep->on_message(0, pp(0, n, b));
    rep->on_message(2, vote(MsgType::prepare, 0, n, b, 2));
    rep->on_message(2, vote(MsgType::commit, 0, n, b, 2));
    rep->on_message(3, vote(MsgType::commit, 0, n, b, 3));
  }
  uint64_t rejected() const { return rep->stats().rejected_messages; }

  crypto::FakeKeyring keys;
  std::vector<std::unique_ptr<crypto::Signer>> signers;
  Config cfg;
  RecordingEnv env;
  std::unique_ptr<PbftReplica> rep;
};

TEST_F(PbftHandlers, PrePrepareAcceptedSendsPrepare) {
  rep->on_message(0, pp(0, 1, batch_of(1)));
  auto prepares = env.of_type(MsgType::prepare);
  ASSERT_EQ(prepares.size(), 1u);
  auto v = decode_vote(prepares[0]);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->seq, 1u);
  EXPECT_EQ(v->replica, 1u);
  EXPECT_EQ(v->digest, batch_digest(batch_of(1)));
  EXPECT_TRUE(keys.verifier().verify(1, vote_body(MsgType::prepare, 0, 1, v->digest, 1), v->sig));
  EXPECT_EQ(rejected(), 0u);
  // Waiting for the primary to finish: the progress timer runs.
  EXPECT_TRUE(env.timers.count(TimerKind::view_change));
}

TEST_F(PbftHandlers, PrePrepareRejections) {
  Bytes good = pp(0, 1, batch_of(1));
  rep->on_message(0, to_bytes("garbage"));
  Bytes trailing = good;
  trailing.push_back(0);
  rep->on_message(0, trailing);
  rep->on_message(0, ByteView(good).subspan(0, good.size() - 1));
  EXPECT_EQ(rep->rejected(Reject::decode), 3u);

  rep->on_message(0, pp(1, 1, batch_of(1), 1));  // view 1 (its primary is 1) while in view 0
  EXPECT_EQ(rep->rejected(Reject::wrong_view), 1u);
  rep->on_message(2, pp(0, 1, batch_of(1)));     // relayed by a backup
  rep->on_message(2, pp(0, 1, batch_of(1), 2));  // a backup's own pre-prepare
  rep->on_message(7, good);                      // no such replica
  rep->on_message(1, good);                      // claims to be ourselves
  EXPECT_EQ(rep->rejected(Reject::wrong_sender), 4u);
  rep->on_message(0, pp(0, 1, batch_of(1), 3));  // signed with another key
  EXPECT_EQ(rep->rejected(Reject::bad_signature), 1u);
  rep->on_message(0, pp(0, 0, batch_of(1)));   // below the low watermark
  rep->on_message(0, pp(0, 17, batch_of(1)));  // above low + window
  EXPECT_EQ(rep->rejected(Reject::out_of_window), 2u);

  // Digest that does not match the batch.
  Hash32 d = batch_digest(batch_of(9));
  rep->on_message(0, encode_pre_prepare({0, 1, d, signers[0]->sign(pre_prepare_body(0, 1, d)), batch_of(1)}));
  // A batch the application refuses.
  env.validator = [](ByteView b) { return b.size() != 7; };  // "batch-1" is 7 bytes long
  rep->on_message(0, good);
  EXPECT_EQ(rep->rejected(Reject::invalid), 2u);
  EXPECT_TRUE(env.sent.empty()) << "a rejected pre-prepare must not be answered";

  env.validator = [](ByteView) { return true; };
  rep->on_message(0, good);
  EXPECT_EQ(env.of_type(MsgType::prepare).size(), 1u);
  rep->on_message(0, good);
  EXPECT_EQ(rep->rejected(Reject::duplicate), 1u);
  rep->on_message(0, pp(0, 1, batch_of(2)));  // equivocation: another batch for (0, 1)
  EXPECT_EQ(rep->rejected(Reject::conflict), 1u);
  rep->on_message(0, pp(0, 2, batch_of(1)));  // the same batch at a second seq
  EXPECT_EQ(rep->rejected(Reject::conflict), 2u);
  EXPECT_EQ(env.of_type(MsgType::prepare).size(), 1u);
  EXPECT_EQ(rejected(), 3u + 1 + 4 + 1 + 2 + 2 + 1 + 2);
}

TEST_F(PbftHandlers, NullBatchIsNotValidated) {
  env.validator = [](ByteView) { return false; };
  rep->on_message(0, pp(0, 1, Bytes{}));
  EXPECT_EQ(env.of_type(MsgType::prepare).size(), 1u);
}

TEST_F(PbftHandlers, PreparedSendsCommitAndCommittedExecutes) {
  Bytes b = batch_of(1);
  rep->on_message(0, pp(0, 1, b));
  EXPECT_TRUE(env.of_type(MsgType::commit).empty());
  rep->on_message(2, vote(MsgType::prepare, 0, 1, b, 2));  // own + this = 2f
  ASSERT_EQ(env.of_type(MsgType::commit).size(), 1u);
  rep->on_message(2, vote(MsgType::commit, 0, 1, b, 2));
  EXPECT_TRUE(env.executed.empty());  // 2 of nf = 3
  rep->on_message(3, vote(MsgType::commit, 0, 1, b, 3));
  ASSERT_EQ(env.executed.size(), 1u);
  EXPECT_EQ(std::get<0>(env.executed[0]), 1u);
  EXPECT_EQ(std::get<2>(env.executed[0]), b);
  EXPECT_EQ(env.finals, std::vector<Seq>{1});
  EXPECT_EQ(rep->stats().last_executed, 1u);
  EXPECT_EQ(rejected(), 0u);
}

TEST_F(PbftHandlers, CommitsWithoutOwnPrepareStillCommit) {
  // nf commits prove f + 1 correct replicas prepared: executing is safe without our prepared.
  Bytes b = batch_of(1);
  rep->on_message(0, pp(0, 1, b));
  for (NodeId i : {0u, 2u, 3u}) rep->on_message(i, vote(MsgType::commit, 0, 1, b, i));
  EXPECT_EQ(env.executed.size(), 1u);
}

TEST_F(PbftHandlers, VoteRejections) {
  Bytes b = batch_of(1);
  Hash32 d = batch_digest(b);
  rep->on_message(2, to_bytes("PBFT"));
  EXPECT_EQ(rep->rejected(Reject::decode), 1u);
  rep->on_message(0, vote(MsgType::prepare, 0, 1, b, 0));  // the primary does not prepare
  rep->on_message(3, vote(MsgType::prepare, 0, 1, b, 2));  // sender is not the named replica
  rep->on_message(3, vote(MsgType::commit, 0, 1, b, 2));
  EXPECT_EQ(rep->rejected(Reject::wrong_sender), 3u);
  rep->on_message(2, vote(MsgType::prepare, 1, 1, b, 2));
  rep->on_message(2, vote(MsgType::commit, 1, 1, b, 2));
  EXPECT_EQ(rep->rejected(Reject::wrong_view), 2u);
  rep->on_message(2, vote(MsgType::prepare, 0, 0, b, 2));
  rep->on_message(2, vote(MsgType::commit, 0, 17, b, 2));
  EXPECT_EQ(rep->rejected(Reject::out_of_window), 2u);
  rep->on_message(2, vote(MsgType::prepare, 0, 1, d, 2, 3));
  rep->on_message(2, vote(MsgType::commit, 0, 1, d, 2, 3));
  EXPECT_EQ(rep->rejected(Reject::bad_signature), 2u);
  rep->on_message(2, vote(MsgType::prepare, 0, 1, b, 2));
  rep->on_message(2, vote(MsgType::prepare, 0, 1, b, 2));
  rep->on_message(2, vote(MsgType::commit, 0, 1, b, 2));
  rep->on_message(2, vote(MsgType::commit, 0, 1, b, 2));
  EXPECT_EQ(rep->rejected(Reject::duplicate), 2u);
  EXPECT_EQ(rejected(), 1u + 3 + 2 + 2 + 2 + 2);
  EXPECT_TRUE(env.sent.empty());
}

TEST_F(PbftHandlers, MismatchedVotesDoNotCount) {
  Bytes b = batch_of(1);
  rep->on_message(0, pp(0, 1, b));
  rep->on_message(2, vote(MsgType::prepare, 0, 1, batch_of(2), 2));  // for another batch
  EXPECT_TRUE(env.of_type(MsgType::commit).empty());
  rep->on_message(3, vote(MsgType::prepare, 0, 1, b, 3));
  EXPECT_EQ(env.of_type(MsgType::commit).size(), 1u);
}

TEST_F(PbftHandlers, ExecutesInSequenceOrder) {
  commit_slot(2, batch_of(2));
  EXPECT_TRUE(env.executed.empty()) << "2 must wait for 1";
  commit_slot(1, batch_of(1));
  ASSERT_EQ(env.executed.size(), 2u);
  EXPECT_EQ(std::get<0>(env.executed[0]), 1u);
  EXPECT_EQ(std::get<0>(env.executed[1]), 2u);
  EXPECT_EQ(env.finals, (std::vector<Seq>{1, 2}));
}

TEST_F(PbftHandlers, CheckpointBecomesStableAndCollectsGarbage) {
  for (Seq n = 1; n <= 4; ++n) commit_slot(n, batch_of(static_cast<int>(n)));
  ASSERT_EQ(env.executed.size(), 4u);
  auto own = env.of_type(MsgType::checkpoint);
  ASSERT_EQ(own.size(), 1u);
  Hash32 s4 = env.state_at.at(4);
  EXPECT_EQ(decode_checkpoint(own[0])->state, s4);
  EXPECT_EQ(rep->live_slots(), 4u);

  rep->on_message(2, to_bytes("PBFT\x04"));
  EXPECT_EQ(rep->rejected(Reject::decode), 1u);
  rep->on_message(3, ckpt(4, s4, 2, 2));  // named replica is not the sender
  EXPECT_EQ(rep->rejected(Reject::wrong_sender), 1u);
  rep->on_message(2, ckpt(4, s4, 2, 3));
  EXPECT_EQ(rep->rejected(Reject::bad_signature), 1u);
  rep->on_message(2, ckpt(3, s4, 2, 2));  // not a checkpoint seq
  EXPECT_EQ(rep->rejected(Reject::invalid), 1u);
  rep->on_message(2, ckpt(0, s4, 2, 2));
  rep->on_message(2, ckpt(20, s4, 2, 2));
  EXPECT_EQ(rep->rejected(Reject::out_of_window), 2u);

  rep->on_message(2, ckpt(4, s4, 2, 2));
  rep->on_message(2, ckpt(4, s4, 2, 2));
  EXPECT_EQ(rep->rejected(Reject::duplicate), 1u);
  EXPECT_TRUE(env.stable.empty());
  Hash32 other{};
  rep->on_message(0, ckpt(4, other, 0, 0));  // a different state does not count
  EXPECT_TRUE(env.stable.empty());
  rep->on_message(3, ckpt(4, s4, 3, 3));
  ASSERT_EQ(env.stable.size(), 1u);
  EXPECT_EQ(env.stable[0].first, 4u);
  EXPECT_EQ(env.stable[0].second, s4);
  EXPECT_EQ(rep->low_watermark(), 4u);
  EXPECT_EQ(rep->stats().stable_checkpoint, 4u);
  EXPECT_EQ(rep->live_slots(), 0u);
  EXPECT_EQ(rep->retained_certificates(), 4u);
  // The window moved: seq 4 is now below it, 20 inside.
  rep->on_message(0, pp(0, 4, batch_of(4)));
  EXPECT_EQ(rep->rejected(Reject::out_of_window), 3u);
  rep->on_message(0, pp(0, 20, batch_of(20)));
  EXPECT_EQ(rep->rejected(Reject::out_of_window), 3u);
}

TEST_F(PbftHandlers, SubmitAtBackupArmsProgressTimerAndDedups) {
  EXPECT_FALSE(env.timers.count(TimerKind::view_change));
  rep->submit(batch_of(1));
  rep->submit(batch_of(1));
  EXPECT_TRUE(rep->has_pending());
  EXPECT_TRUE(env.timers.count(TimerKind::view_change));
  EXPECT_EQ(env.timers[TimerKind::view_change], cfg.view_timeout_ms);
  EXPECT_TRUE(env.sent.empty()) << "a backup does not propose";
  commit_slot(1, batch_of(1));
  EXPECT_FALSE(rep->has_pending());
  EXPECT_FALSE(env.timers.count(TimerKind::view_change)) << "nothing left to wait for";
  rep->submit(batch_of(1));  // already executed: ignored
  EXPECT_FALSE(rep->has_pending());
}

TEST_F(PbftHandlers, PrimaryProposesUpToMaxInflightAndDedups) {
  RecordingEnv penv;
  Config c = cfg;
  c.self = 0;
  c.max_inflight = 2;
  PbftReplica primary(c, Crypto{signers[0].get(), &keys.verifier(), nullptr, nullptr}, penv);
  primary.start();
  EXPECT_TRUE(primary.is_primary());
  for (int i = 0; i < 5; ++i) primary.submit(batch_of(i));
  primary.submit(batch_of(0));
  auto pps = penv.of_type(MsgType::pre_prepare);
  ASSERT_EQ(pps.size(), 2u);
  EXPECT_EQ(decode_pre_prepare(pps[0])->seq, 1u);
  EXPECT_EQ(decode_pre_prepare(pps[1])->batch, batch_of(1));
  EXPECT_FALSE(penv.timers.count(TimerKind::view_change)) << "the primary does not suspect itself";
  // Seq 1 commits: one more proposal goes out.
  Hash32 d = batch_digest(batch_of(0));
  for (NodeId i : {1u, 2u}) primary.on_message(i, vote(MsgType::prepare, 0, 1, batch_of(0), i));
  for (NodeId i : {1u, 2u}) primary.on_message(i, vote(MsgType::commit, 0, 1, d, i, i));
  EXPECT_EQ(penv.executed.size(), 1u);
  EXPECT_EQ(penv.of_type(MsgType::pre_prepare).size(), 3u);
}

TEST_F(PbftHandlers, ViewChangeRejectionsAndJoin) {
  auto vc = [&](View v, NodeId id, NodeId signer) {
    ViewChange m;
    m.new_view = v;
    m.replica = id;
    return encode_view_change(m, *signers[signer]);
  };
  rep->on_message(2, to_bytes("PBFT\x05"));
  EXPECT_EQ(rep->rejected(Reject::decode), 1u);
  rep->on_message(3, vc(1, 2, 2));
  EXPECT_EQ(rep->rejected(Reject::wrong_sender), 1u);
  rep->on_message(2, vc(0, 2, 2));  // not above our view
  EXPECT_EQ(rep->rejected(Reject::wrong_view), 1u);
  rep->on_message(2, vc(1, 2, 3));
  EXPECT_EQ(rep->rejected(Reject::bad_signature), 1u);
  // A forged prepared certificate (no prepares) is a bad signature too.
  {
    ViewChange m;
    m.new_view = 1;
    m.replica = 2;
    Bytes b = batch_of(1);
    Hash32 d = batch_digest(b);
    m.prepared.push_back({0, 1, d, b, signers[0]->sign(pre_prepare_body(0, 1, d)), {}});
    rep->on_message(2, encode_view_change(m, *signers[2]));
    EXPECT_EQ(rep->rejected(Reject::bad_signature), 2u);
  }
  rep->on_message(2, vc(1, 2, 2));
  EXPECT_FALSE(rep->in_view_change()) << "one replica is not enough to join";
  rep->on_message(2, vc(1, 2, 2));
  EXPECT_EQ(rep->rejected(Reject::duplicate), 1u);
  rep->on_message(3, vc(1, 3, 3));
  // f + 1 = 2 replicas want view 1: we join; we are its primary and have nf VIEW-CHANGEs.
  EXPECT_EQ(env.of_type(MsgType::view_change).size(), 1u);
  auto nvs = env.of_type(MsgType::new_view);
  ASSERT_EQ(nvs.size(), 1u);
  EXPECT_FALSE(rep->in_view_change());
  EXPECT_EQ(rep->stats().view, 1u);
  EXPECT_TRUE(rep->is_primary());
  EXPECT_EQ(env.views, (std::vector<std::pair<View, NodeId>>{{1, 1}}));
}

TEST_F(PbftHandlers, ProgressTimeoutStartsViewChangeWithBackoff) {
  rep->submit(batch_of(1));
  ASSERT_TRUE(env.timers.count(TimerKind::view_change));
  env.timers.erase(TimerKind::view_change);
  rep->on_timer(TimerKind::view_change);
  EXPECT_TRUE(rep->in_view_change());
  EXPECT_EQ(rep->view_change_target(), 1u);
  ASSERT_EQ(env.of_type(MsgType::view_change).size(), 1u);
  EXPECT_EQ(env.timers.at(TimerKind::new_view), 2 * cfg.view_timeout_ms);
  // During a view change normal-case messages are refused.
  rep->on_message(0, pp(0, 1, batch_of(1)));
  EXPECT_EQ(rep->rejected(Reject::wrong_view), 1u);
  // Alone in the view change: the new-view timer does not escalate, it re-sends.
  env.timers.erase(TimerKind::new_view);
  rep->on_timer(TimerKind::new_view);
  EXPECT_EQ(rep->view_change_target(), 1u);
  // A stale timer (cancelled meanwhile) is ignored.
  rep->on_timer(TimerKind::view_change);
  EXPECT_EQ(rep->view_change_target(), 1u);
}

TEST_F(PbftHandlers, CatchupCertificateExecutesAndForgedOneIsRefused) {
  Bytes b = batch_of(1);
  Hash32 d = batch_digest(b);
  CommitCert cert{0, 1, d, signers[0]->sign(pre_prepare_body(0, 1, d)), {}, b};
  for (NodeId i : {0u, 2u}) cert.commits.push_back({i, signers[i]->sign(vote_body(MsgType::commit, 0, 1, d, i))});
  rep->on_message(2, encode_catchup({2, cert, {}, 0}, *signers[2]));
  EXPECT_EQ(rep->rejected(Reject::bad_signature), 1u) << "f + 1 commits are not a certificate";
  rep->on_message(3, encode_catchup({2, cert, {}, 0}, *signers[2]));
  EXPECT_EQ(rep->rejected(Reject::wrong_sender), 1u);
  rep->on_message(2, encode_catchup({2, cert, {}, 0}, *signers[3]));
  EXPECT_EQ(rep->rejected(Reject::bad_signature), 2u);
  cert.commits.push_back({3, signers[3]->sign(vote_body(MsgType::commit, 0, 1, d, 3))});
  CommitCert far = cert;
  far.seq = 40;
  rep->on_message(2, encode_catchup({2, far, {}, 0}, *signers[2]));
  EXPECT_EQ(rep->rejected(Reject::out_of_window), 1u);
  rep->on_message(2, encode_catchup({2, cert, {}, 0}, *signers[2]));
  ASSERT_EQ(env.executed.size(), 1u);
  EXPECT_EQ(std::get<2>(env.executed[0]), b);
  rep->on_message(3, encode_catchup({3, cert, {}, 0}, *signers[3]));
  EXPECT_EQ(rep->rejected(Reject::duplicate), 1u);
}

TEST_F(PbftHandlers, StatusFromLaggardIsAnsweredWithCertificates) {
  commit_slot(1, batch_of(1));
  commit_slot(2, batch_of(2));
  size_t before = env.sent.size();
  rep->on_message(2, encode_status({0, false, 0, 0, 0, 2, {}, 0}, *signers[2]));
  std::vector<Bytes> answers;
  for (size_t i = before; i < env.sent.size(); ++i) {
    EXPECT_EQ(env.sent[i].to, 2u);
    answers.push_back(env.sent[i].msg);
  }
  ASSERT_EQ(answers.size(), 2u);
  auto c = decode_catchup(answers[1]);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->cert.seq, 2u);
  EXPECT_TRUE(verify_commit_cert(cfg, keys.verifier(), c->cert));
  rep->on_message(3, encode_status({0, false, 0, 0, 0, 2, {}, 0}, *signers[2]));
  EXPECT_EQ(rep->rejected(Reject::wrong_sender), 1u);
  rep->on_message(2, encode_status({0, false, 0, 0, 0, 2, {}, 0}, *signers[3]));
  EXPECT_EQ(rep->rejected(Reject::bad_signature), 1u);
  rep->on_message(2, to_bytes("PBFT\x07"));
  EXPECT_EQ(rep->rejected(Reject::decode), 1u);
}

TEST_F(PbftHandlers, IdleReplicaKeepsAskingWhenFPlusOnePeersAreAhead) {
  EXPECT_FALSE(env.timers.count(TimerKind::retransmit));
  rep->on_message(2, encode_status({0, false, 0, 0, 5, 2, {}, 0}, *signers[2]));
  EXPECT_FALSE(env.timers.count(TimerKind::retransmit)) << "one peer could be lying";
  rep->on_message(3, encode_status({0, false, 0, 0, 5, 3, {}, 0}, *signers[3]));
  EXPECT_TRUE(env.timers.count(TimerKind::retransmit));
  env.timers.erase(TimerKind::retransmit);
  rep->on_timer(TimerKind::retransmit);
  EXPECT_EQ(env.of_type(MsgType::status).size(), 1u);
}

TEST_F(PbftHandlers, StableProofMovesLaggardsWindowAndAsksForState) {
  // nf signatures on checkpoint 8 we never reached.
  Hash32 s{};
  s.fill(7);
  CheckpointProof proof{8, s, {}};
  for (NodeId i : {0u, 2u, 3u}) proof.sigs.push_back({i, signers[i]->sign(checkpoint_body(8, s, i))});
  CheckpointProof weak = proof;
  weak.sigs.pop_back();
  rep->on_message(2, encode_stable_proof({2, weak, {}, 0}, *signers[2]));
  EXPECT_EQ(rep->rejected(Reject::bad_signature), 1u);
  rep->on_message(2, encode_stable_proof({2, proof, {}, 0}, *signers[2]));
  EXPECT_EQ(rep->low_watermark(), 8u);
  EXPECT_TRUE(env.stable.empty()) << "reported only once this replica has the state";
  rep->on_message(2, encode_stable_proof({2, proof, {}, 0}, *signers[2]));
  EXPECT_EQ(rep->rejected(Reject::duplicate), 1u);
  // Stuck below the stable checkpoint for a whole retransmit period: ask for the state.
  // The gap (8) is below one window (16): certificates could bridge it, so wait 8 rounds.
  for (int round = 0; round < 8; ++round) {
    EXPECT_TRUE(env.transfers.empty());
    ASSERT_TRUE(env.timers.count(TimerKind::retransmit));
    env.timers.erase(TimerKind::retransmit);
    rep->on_timer(TimerKind::retransmit);
  }
  ASSERT_EQ(env.transfers.size(), 1u);
  EXPECT_EQ(env.transfers[0], std::make_pair(Seq{8}, s));
  rep->on_state_transferred(8, s);
  EXPECT_EQ(rep->stats().last_executed, 8u);
  EXPECT_EQ(env.stable.size(), 1u);
  // Execution resumes at 9.
  commit_slot(9, batch_of(9));
  EXPECT_EQ(rep->stats().last_executed, 9u);
}

TEST_F(PbftHandlers, LateStateTransferBelowExecutionReExecutes) {
  // We caught up to 3 by ourselves; then the Env installs the (older) state of 1 after all.
  for (Seq n = 1; n <= 3; ++n) commit_slot(n, batch_of(static_cast<int>(n)));
  ASSERT_EQ(env.executed.size(), 3u);
  rep->on_state_transferred(1, env.state_at.at(1));
  EXPECT_EQ(rep->stats().last_executed, 3u);
  ASSERT_EQ(env.executed.size(), 5u);
  EXPECT_EQ(std::get<0>(env.executed[3]), 2u);
  EXPECT_EQ(std::get<2>(env.executed[4]), batch_of(3));
}


// ---- NEW-VIEW, VIEW-CHANGE content, STABLE-PROOF and CATCHUP rejection paths ----------------


TEST_F(PbftHandlers, ViewChangeWithBadContentIsRefused) {
  // A prepared seq beyond the sender's window, and a prepared view not below the new view: both
  // make the VIEW-CHANGE invalid as a whole (counted with bad signatures: an invalid proof).
  rep->on_message(2, make_vc(signers, 1, 2, {prepared_cert(signers, 17, batch_of(1))}));
  rep->on_message(2, make_vc(signers, 1, 2, {prepared_cert(signers, 1, batch_of(1), 1)}));
  // Two certificates for one seq.
  rep->on_message(2, make_vc(signers, 1, 2, {prepared_cert(signers, 1, batch_of(1)), prepared_cert(signers, 1, batch_of(1))}));
  // A prepared certificate whose signatures are for another digest (it names the batch by digest).
  PreparedCert wrong = prepared_cert(signers, 1, batch_of(1));
  wrong.digest = batch_digest(batch_of(2));
  rep->on_message(2, make_vc(signers, 1, 2, {wrong}));
  EXPECT_EQ(rep->rejected(Reject::bad_signature), 4u);
  EXPECT_EQ(rejected(), 4u);
  // The same VIEW-CHANGEs were not stored: two valid ones still make us join (f + 1 = 2).
  rep->on_message(2, make_vc(signers, 2, 2));
  rep->on_message(3, make_vc(signers, 2, 3));
  EXPECT_TRUE(rep->in_view_change());
  EXPECT_EQ(rep->view_change_target(), 2u);
}

class PbftNewView : public PbftHandlers {
 protected:
  // NEW-VIEW for view 2 (primary 2) from the VIEW-CHANGEs of `ids`; replica 0's carries a
  // prepared certificate for batch-1 at seq 1, so the O-set is {1: batch-1}.
  NewView plan(std::vector<NodeId> ids = {0, 2, 3}) {
    NewView nv;
    nv.view = 2;
    for (NodeId id : ids) {
      std::vector<PreparedCert> p;
      if (id == 0) p.push_back(prepared_cert(signers, 1, batch_of(1)));
      nv.view_changes.push_back(make_vc(signers, 2, id, p));
    }
    Hash32 d = batch_digest(batch_of(1));
    nv.entries.push_back({1, d, signers[2]->sign(pre_prepare_body(2, 1, d))});
    return nv;
  }
  Bytes wire(const NewView& nv, NodeId signer = 2) { return encode_new_view(nv, *signers[signer]); }
};

TEST_F(PbftNewView, Rejections) {
  rep->on_message(2, to_bytes("PBFT\x06"));
  NewView bad_vc = plan();
  bad_vc.view_changes[1] = to_bytes("PBFT\x05");  // an undecodable VIEW-CHANGE inside
  rep->on_message(2, wire(bad_vc));
  EXPECT_EQ(rep->rejected(Reject::decode), 2u);

  NewView cur = plan();
  cur.view = 0;  // the view we already run
  rep->on_message(0, wire(cur, 0));
  EXPECT_EQ(rep->rejected(Reject::duplicate), 1u);
  NewView mine = plan();
  mine.view = 1;  // view 1's primary is this replica: it would have made the NEW-VIEW itself
  rep->on_message(2, wire(mine, 1));
  EXPECT_EQ(rep->rejected(Reject::wrong_sender), 1u);

  rep->on_message(2, wire(plan(), 3));  // not signed by primary(2)
  NewView forged_vc = plan();
  forged_vc.view_changes[1] = make_vc(signers, 2, 2, {}, 3);  // replica 2's, signed by 3
  rep->on_message(2, wire(forged_vc));
  NewView bad_entry_sig = plan();
  bad_entry_sig.entries[0].pp_sig = signers[3]->sign(pre_prepare_body(2, 1, bad_entry_sig.entries[0].digest));
  rep->on_message(2, wire(bad_entry_sig));
  EXPECT_EQ(rep->rejected(Reject::bad_signature), 3u);

  rep->on_message(2, wire(plan({0, 2})));     // fewer than nf VIEW-CHANGEs
  rep->on_message(2, wire(plan({0, 2, 2})));  // nf, but not from distinct replicas
  NewView other_view = plan();
  other_view.view_changes[2] = make_vc(signers, 3, 3);  // a VIEW-CHANGE for another view
  rep->on_message(2, wire(other_view));
  NewView dropped = plan();
  dropped.entries.clear();  // a primary that drops the prepared batch
  rep->on_message(2, wire(dropped));
  NewView altered = plan();
  Hash32 d2 = batch_digest(batch_of(2));
  altered.entries[0] = {1, d2, signers[2]->sign(pre_prepare_body(2, 1, d2))};  // ... or alters it
  rep->on_message(2, wire(altered));
  NewView extra = plan();
  extra.entries.push_back({2, null_digest(), signers[2]->sign(pre_prepare_body(2, 2, null_digest()))});
  rep->on_message(2, wire(extra));
  EXPECT_EQ(rep->rejected(Reject::invalid), 6u);
  EXPECT_EQ(rejected(), 2u + 1 + 1 + 3 + 6);
  EXPECT_EQ(rep->stats().view, 0u) << "a rejected NEW-VIEW changes nothing";
  EXPECT_TRUE(env.sent.empty());

  // The valid one, relayed by a backup (self-certifying), installs view 2 and re-prepares seq 1.
  rep->on_message(3, wire(plan()));
  EXPECT_EQ(rep->stats().view, 2u);
  EXPECT_EQ(env.views, (std::vector<std::pair<View, NodeId>>{{2, 2}}));
  auto prepares = env.of_type(MsgType::prepare);
  ASSERT_EQ(prepares.size(), 1u);
  EXPECT_EQ(decode_vote(prepares[0])->view, 2u);
  EXPECT_EQ(decode_vote(prepares[0])->digest, batch_digest(batch_of(1)));
  rep->on_message(2, wire(plan()));
  EXPECT_EQ(rep->rejected(Reject::duplicate), 2u);
  // Views below the installed one are refused as wrong views.
  NewView old = plan();
  old.view = 1;
  rep->on_message(2, wire(old, 1));
  EXPECT_EQ(rep->rejected(Reject::wrong_view), 1u);
}

TEST_F(PbftNewView, RefusedBelowOwnViewChangeTarget) {
  // Our VIEW-CHANGE for view 3 promised to take no part in view 2.
  rep->on_message(0, make_vc(signers, 3, 0));
  rep->on_message(3, make_vc(signers, 3, 3));
  ASSERT_TRUE(rep->in_view_change());
  ASSERT_EQ(rep->view_change_target(), 3u);
  rep->on_message(2, wire(plan()));
  EXPECT_EQ(rep->rejected(Reject::wrong_view), 1u);
  EXPECT_EQ(rep->stats().view, 0u);
}

TEST_F(PbftNewView, ReplicasLeftBehindGetTheNewView) {
  rep->on_message(3, wire(plan()));
  ASSERT_EQ(rep->stats().view, 2u);
  Bytes nv = wire(plan());
  auto sent_to = [&](NodeId to) {
    size_t c = 0;
    for (const auto& m : env.sent) c += m.to == to && m.msg == nv;
    return c;
  };
  // A VIEW-CHANGE for the view we run: refused (not above our view), answered with its NEW-VIEW.
  rep->on_message(0, make_vc(signers, 2, 0));
  EXPECT_EQ(rep->rejected(Reject::wrong_view), 1u);
  EXPECT_EQ(sent_to(0), 1u);
  // A STATUS from a replica still in view 0, or waiting for view 2: the same.
  rep->on_message(3, encode_status({0, false, 0, 0, 0, 3, {}, 0}, *signers[3]));
  EXPECT_EQ(sent_to(3), 1u);
  rep->on_message(0, encode_status({1, true, 2, 0, 0, 0, {}, 0}, *signers[0]));
  EXPECT_EQ(sent_to(0), 2u);
  // A replica in our view gets nothing.
  rep->on_message(2, encode_status({2, false, 0, 0, 0, 2, {}, 0}, *signers[2]));
  EXPECT_EQ(sent_to(2), 0u);
}

TEST_F(PbftHandlers, StableProofRejections) {
  Hash32 s{};
  s.fill(7);
  CheckpointProof proof{8, s, {}};
  for (NodeId i : {0u, 2u, 3u}) proof.sigs.push_back({i, signers[i]->sign(checkpoint_body(8, s, i))});
  rep->on_message(2, to_bytes("PBFT\x09"));
  EXPECT_EQ(rep->rejected(Reject::decode), 1u);
  rep->on_message(3, encode_stable_proof({2, proof, {}, 0}, *signers[2]));  // relayer is not the sender
  EXPECT_EQ(rep->rejected(Reject::wrong_sender), 1u);
  rep->on_message(2, encode_stable_proof({2, proof, {}, 0}, *signers[3]));  // relay signed by another
  CheckpointProof off = proof;
  off.seq = 6;  // not a checkpoint seq (signatures re-made for it)
  off.sigs.clear();
  for (NodeId i : {0u, 2u, 3u}) off.sigs.push_back({i, signers[i]->sign(checkpoint_body(6, s, i))});
  rep->on_message(2, encode_stable_proof({2, off, {}, 0}, *signers[2]));
  CheckpointProof repeated = proof;  // nf signatures, but one signer three times
  repeated.sigs = {proof.sigs[0], proof.sigs[0], proof.sigs[0]};
  rep->on_message(2, encode_stable_proof({2, repeated, {}, 0}, *signers[2]));
  EXPECT_EQ(rep->rejected(Reject::bad_signature), 3u);
  EXPECT_EQ(rep->low_watermark(), 0u);
  CheckpointProof genesis{0, {}, {}};
  rep->on_message(2, encode_stable_proof({2, genesis, {}, 0}, *signers[2]));  // not above ours
  EXPECT_EQ(rep->rejected(Reject::duplicate), 1u);
  EXPECT_EQ(rejected(), 1u + 1 + 3 + 1);
}

TEST_F(PbftHandlers, CatchupDecodeAndConflict) {
  rep->on_message(2, to_bytes("PBFT\x08"));
  EXPECT_EQ(rep->rejected(Reject::decode), 1u);
  // Seq 2 committed here (not executed: 1 is missing); a certificate for another batch at 2
  // contradicts it.
  commit_slot(2, batch_of(2));
  ASSERT_TRUE(env.executed.empty());
  Bytes b = batch_of(3);
  Hash32 d = batch_digest(b);
  CommitCert cert{0, 2, d, signers[0]->sign(pre_prepare_body(0, 2, d)), {}, b};
  for (NodeId i : {0u, 2u, 3u}) cert.commits.push_back({i, signers[i]->sign(vote_body(MsgType::commit, 0, 2, d, i))});
  rep->on_message(2, encode_catchup({2, cert, {}, 0}, *signers[2]));
  EXPECT_EQ(rep->rejected(Reject::conflict), 1u);
  // The certificate for the batch we hold is a duplicate.
  Bytes b2 = batch_of(2);
  Hash32 d2 = batch_digest(b2);
  CommitCert same{0, 2, d2, signers[0]->sign(pre_prepare_body(0, 2, d2)), {}, b2};
  for (NodeId i : {0u, 2u, 3u}) same.commits.push_back({i, signers[i]->sign(vote_body(MsgType::commit, 0, 2, d2, i))});
  rep->on_message(3, encode_catchup({3, same, {}, 0}, *signers[3]));
  EXPECT_EQ(rep->rejected(Reject::duplicate), 1u);
  EXPECT_TRUE(env.executed.empty());
}

TEST_F(PbftHandlers, CheckpointsAreViewIndependentAndAcceptedDuringViewChange) {
  // CHECKPOINT carries no view: a replica in a view change still collects them (a stable
  // checkpoint is what its VIEW-CHANGE proves).
  rep->submit(batch_of(1));
  env.timers.erase(TimerKind::view_change);
  rep->on_timer(TimerKind::view_change);
  ASSERT_TRUE(rep->in_view_change());
  Hash32 s{};
  s.fill(3);
  for (NodeId i : {0u, 2u, 3u}) rep->on_message(i, ckpt(4, s, i, i));
  EXPECT_EQ(rep->low_watermark(), 4u);
  EXPECT_EQ(rejected(), 0u);
}

}  // namespace
}  // namespace rampart::consensus::pbft::testing
