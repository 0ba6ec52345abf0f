// PBFT's durable journal: the record codec, what is written when (before the message that
// depends on it), pruning, and what a replica restarted from its journal does (fresh
// PbftReplica + on_restart). docs/protocols-pbft.md, "Durable journal".
#include <gtest/gtest.h>

#include "pbft_harness.hpp"

namespace rampart::consensus::pbft::testing {
namespace {

constexpr uint8_t kView = static_cast<uint8_t>(JournalKind::view);
constexpr uint8_t kStable = static_cast<uint8_t>(JournalKind::stable);
constexpr uint8_t kVote = static_cast<uint8_t>(JournalKind::vote);
constexpr uint8_t kPrepared = static_cast<uint8_t>(JournalKind::prepared);

// ---- record codec -------------------------------------------------------------------------

TEST(PbftJournalCodec, RecordsRoundTrip) {
  ViewRecord v{7, true, 9};
  auto v2 = decode_view_record(encode_view_record(v));
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(*v2, v);

  VoteRecord vote{3, batch_digest(batch_of(1))};
  auto vote2 = decode_vote_record(5, encode_vote_record(5, vote));
  ASSERT_TRUE(vote2.ok());
  EXPECT_EQ(vote2->vote, vote);
  EXPECT_TRUE(vote2->batch.empty());
  auto vote3 = decode_vote_record(5, encode_vote_record(5, vote, batch_of(1)));
  ASSERT_TRUE(vote3.ok());
  EXPECT_EQ(vote3->vote, vote);
  EXPECT_EQ(vote3->batch, batch_of(1));

  CheckpointProof p{8, batch_digest(batch_of(2)), {{0, to_bytes("s0")}, {2, to_bytes("s2")}}};
  auto p2 = decode_stable_record(encode_stable_record(p));
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->seq, 8u);
  EXPECT_EQ(p2->state, p.state);
  ASSERT_EQ(p2->sigs.size(), 2u);
  EXPECT_EQ(p2->sigs[1].id, 2u);
  EXPECT_EQ(p2->sigs[1].sig, to_bytes("s2"));

  Bytes b = batch_of(4);
  std::vector<SigOf> prepares{{1, to_bytes("p1")}, {3, to_bytes("p3")}};
  Bytes rec = encode_prepared_record(11, 2, batch_digest(b), to_bytes("pp"), prepares, b);
  auto c = decode_prepared_record(11, rec);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->view, 2u);
  EXPECT_EQ(c->seq, 11u);
  EXPECT_EQ(c->digest, batch_digest(b));
  EXPECT_EQ(c->batch, b);
  EXPECT_EQ(c->pp_sig, to_bytes("pp"));
  ASSERT_EQ(c->prepares.size(), 2u);
  EXPECT_EQ(c->prepares[0].sig, to_bytes("p1"));
}

TEST(PbftJournalCodec, DamagedOrMisfiledRecordsDoNotDecode) {
  Bytes b = batch_of(4);
  Bytes rec =
      encode_prepared_record(11, 2, batch_digest(b), to_bytes("pp"), {{1, to_bytes("p1")}}, b);
  // Every truncation, a trailing byte, and every single-byte change of the checked part fail.
  for (size_t len = 0; len < rec.size(); ++len)
    EXPECT_FALSE(decode_prepared_record(11, ByteView(rec).subspan(0, len)).ok()) << len;
  Bytes longer = rec;
  longer.push_back(0);
  EXPECT_FALSE(decode_prepared_record(11, longer).ok());
  size_t checked = rec.size() - 4 - b.size();  // everything before the batch
  for (size_t i = 0; i < checked; ++i) {
    Bytes bad = rec;
    bad[i] ^= 0x10;
    EXPECT_FALSE(decode_prepared_record(11, bad).ok()) << i;
  }
  // Filed under another seq: the check covers the key.
  EXPECT_FALSE(decode_prepared_record(12, rec).ok());
  Bytes vote = encode_vote_record(5, {3, batch_digest(b)});
  EXPECT_FALSE(decode_vote_record(6, vote).ok());
  // A view record whose target contradicts its flag.
  Bytes view = encode_view_record({5, true, 5});
  EXPECT_FALSE(decode_view_record(view).ok());

  // decode_journal counts what it cannot use: unknown kind, wrong key, garbage.
  std::vector<JournalRecord> recs{
      {0, kView, encode_view_record({1, false, 0})},
      {0, kVote, vote},  // a vote needs a seq
      {5, kVote, vote},
      {5, 99, vote},  // unknown kind
      {11, kPrepared, rec},
      {12, kPrepared, to_bytes("garbage")},
  };
  DecodedJournal j = decode_journal(recs);
  ASSERT_TRUE(j.view.has_value());
  EXPECT_EQ(j.view->view, 1u);
  EXPECT_EQ(j.votes.size(), 1u);
  EXPECT_EQ(j.prepared.size(), 1u);
  EXPECT_FALSE(j.stable.has_value());
  EXPECT_EQ(j.ignored, 3u);
}

// ---- one replica (id 1, a backup in view 0), restarted from its own journal -----------------

class PbftJournal : public ::testing::Test {
 protected:
  PbftJournal() : keys(4, 3, 11) {
    for (NodeId i = 0; i < 4; ++i) signers.push_back(keys.signer(i));
    cfg.n = 4;
    cfg.f = 1;
    cfg.self = 1;
    cfg.window = 16;
    cfg.checkpoint_interval = 4;
    cfg.max_inflight = 8;
    fresh();
  }

  void fresh() {
    env = std::make_unique<RecordingEnv>();
    rep = std::make_unique<PbftReplica>(
        cfg, Crypto{signers[cfg.self].get(), &keys.verifier(), nullptr, nullptr}, *env);
    rep->start();
  }

  // Crash, then a fresh PbftReplica gets what the disk kept (executed height, journal) through
  // on_restart. `damage` may alter the journal as read back.
  void restart(const std::function<void(std::vector<JournalRecord>&)>& damage = nullptr) {
    RestartPoint rp = env->restart_point(cfg.checkpoint_interval);
    if (damage) damage(rp.journal);
    auto old = std::move(env);
    fresh();
    env->journal = old->journal;
    env->executed = old->executed;
    env->state = old->state;
    rep->on_restart(rp);
  }

  Bytes pp(View v, Seq n, const Bytes& batch, NodeId signer = 0) {
    Hash32 d = batch_digest(batch);
    return encode_pre_prepare({v, n, d, signers[signer]->sign(pre_prepare_body(v, n, d)), batch});
  }
  Bytes vote(MsgType t, View v, Seq n, const Bytes& batch, NodeId id) {
    Hash32 d = batch_digest(batch);
    return encode_vote({t, v, n, d, id, signers[id]->sign(vote_body(t, v, n, d, id))});
  }
  // Replica 1 prepares batch b at (0, n): the pre-prepare and one more prepare (2f with its own).
  void prepare_slot(Seq n, const Bytes& b) {
    rep->on_message(0, pp(0, n, b));
    rep->on_message(2, vote(MsgType::prepare, 0, n, b, 2));
  }
  std::vector<Vote> sent_votes(MsgType t) const {
    std::vector<Vote> out;
    for (const auto& m : env->of_type(t)) out.push_back(*decode_vote(m));
    return out;
  }
  ViewChange last_view_change() const {
    auto vcs = env->of_type(MsgType::view_change);
    EXPECT_FALSE(vcs.empty());
    auto m = decode_view_change(vcs.back());
    EXPECT_TRUE(m.ok());
    EXPECT_TRUE(check_view_change(cfg, keys.verifier(), *m, vcs.back()).ok());
    return *m;
  }

  crypto::FakeKeyring keys;
  std::vector<std::unique_ptr<crypto::Signer>> signers;
  Config cfg;
  std::unique_ptr<RecordingEnv> env;
  std::unique_ptr<PbftReplica> rep;
};

TEST_F(PbftJournal, BackupRefusesConflictingPrePrepareAfterRestart) {
  Bytes d = batch_of(1), d2 = batch_of(2);
  rep->on_message(0, pp(0, 1, d));
  ASSERT_EQ(sent_votes(MsgType::prepare).size(), 1u);
  ASSERT_TRUE(env->journal.count({1, kVote}));

  restart();
  EXPECT_EQ(rep->stats().view, 0u);
  EXPECT_EQ(rep->journal_ignored(), 0u);
  EXPECT_TRUE(env->sent.empty()) << "only a vote, no certificate: nothing to re-send by itself";
  // The Byzantine primary tries the other digest at the same (view, seq).
  rep->on_message(0, pp(0, 1, d2));
  EXPECT_EQ(rep->rejected(Reject::conflict), 1u);
  EXPECT_TRUE(sent_votes(MsgType::prepare).empty()) << "must not PREPARE a second digest at (0, 1)";
  // The first digest again: the same PREPARE goes out again.
  rep->on_message(0, pp(0, 1, d));
  auto prepares = sent_votes(MsgType::prepare);
  ASSERT_EQ(prepares.size(), 1u);
  EXPECT_EQ(prepares[0].view, 0u);
  EXPECT_EQ(prepares[0].seq, 1u);
  EXPECT_EQ(prepares[0].digest, batch_digest(d));
  EXPECT_EQ(env->journal_puts, 0u) << "the record is on disk already";

  // Without the journal the same replica would have prepared the conflicting digest.
  fresh();
  rep->on_message(0, pp(0, 1, d2));
  EXPECT_EQ(sent_votes(MsgType::prepare).size(), 1u);
}

TEST_F(PbftJournal, PreparedReplicaReportsItsCertificateInViewChangeAfterRestart) {
  Bytes b = batch_of(1);
  prepare_slot(1, b);
  ASSERT_EQ(sent_votes(MsgType::commit).size(), 1u);
  ASSERT_TRUE(env->journal.count({1, kPrepared}));

  restart();
  EXPECT_EQ(rep->journal_ignored(), 0u);
  // Back in its slot of view 0: its COMMIT goes out again, and it waits for the primary.
  auto commits = sent_votes(MsgType::commit);
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].digest, batch_digest(b));
  ASSERT_TRUE(env->timers.count(TimerKind::view_change));
  env->timers.erase(TimerKind::view_change);
  rep->on_timer(TimerKind::view_change);
  ViewChange vc = last_view_change();
  EXPECT_EQ(vc.new_view, 1u);
  ASSERT_EQ(vc.prepared.size(), 1u);
  EXPECT_EQ(vc.prepared[0].seq, 1u);
  EXPECT_EQ(vc.prepared[0].view, 0u);
  EXPECT_EQ(vc.prepared[0].digest, batch_digest(b));  // by digest; the journal kept the bytes
  EXPECT_TRUE(verify_prepared(cfg, keys.verifier(), vc.prepared[0]));
  // The commits complete the slot: restored replicas execute like the others.
  fresh();
  prepare_slot(1, b);
  restart();
  rep->on_message(2, vote(MsgType::commit, 0, 1, b, 2));
  EXPECT_TRUE(env->executed.empty());
  rep->on_message(3, vote(MsgType::commit, 0, 1, b, 3));
  ASSERT_EQ(env->executed.size(), 1u);
  EXPECT_EQ(std::get<2>(env->executed[0]), b);
}

TEST_F(PbftJournal, ViewChangeIsResumedAfterRestartAndLowerViewsRefused) {
  Bytes b = batch_of(1);
  prepare_slot(1, b);
  rep->submit(batch_of(9));
  env->timers.erase(TimerKind::view_change);
  rep->on_timer(TimerKind::view_change);
  ASSERT_TRUE(rep->in_view_change());
  auto rec = decode_view_record(env->journal.at({0, kView}));
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(*rec, (ViewRecord{0, true, 1}));

  restart();
  EXPECT_TRUE(rep->in_view_change());
  EXPECT_EQ(rep->view_change_target(), 1u);
  // The VIEW-CHANGE goes out again at once, with the certificate.
  ViewChange vc = last_view_change();
  EXPECT_EQ(vc.new_view, 1u);
  ASSERT_EQ(vc.prepared.size(), 1u);
  EXPECT_EQ(vc.prepared[0].digest, batch_digest(b));  // by digest; the journal kept the bytes
  EXPECT_TRUE(sent_votes(MsgType::commit).empty()) << "no votes in the view it left";
  // No part in view 0 any more.
  rep->on_message(0, pp(0, 2, batch_of(2)));
  rep->on_message(2, vote(MsgType::prepare, 0, 1, b, 2));
  EXPECT_EQ(rep->rejected(Reject::wrong_view), 2u);
  EXPECT_TRUE(sent_votes(MsgType::prepare).empty());
}

TEST_F(PbftJournal, RecordsArePrunedAtTheStableCheckpoint) {
  for (Seq n = 1; n <= 5; ++n) {
    Bytes b = batch_of(static_cast<int>(n));
    prepare_slot(n, b);
    rep->on_message(0, vote(MsgType::commit, 0, n, b, 0));
    rep->on_message(2, vote(MsgType::commit, 0, n, b, 2));
  }
  ASSERT_EQ(env->executed.size(), 5u);
  for (Seq n = 1; n <= 5; ++n) {
    EXPECT_TRUE(env->journal.count({n, kVote})) << n;
    EXPECT_TRUE(env->journal.count({n, kPrepared})) << n;
  }
  Hash32 s4 = env->state_at.at(4);
  for (NodeId i : {2u, 3u})
    rep->on_message(i, encode_checkpoint({4, s4, i, signers[i]->sign(checkpoint_body(4, s4, i))}));
  ASSERT_EQ(rep->low_watermark(), 4u);
  EXPECT_EQ(env->prunes, std::vector<Seq>{4});
  for (const auto& [key, body] : env->journal)
    EXPECT_TRUE(key.first == 0 || key.first > 4) << key.first;
  EXPECT_TRUE(env->journal.count({5, kPrepared}));
  // The proof the journal was pruned to is in it (it stands for what was pruned).
  auto proof = decode_stable_record(env->journal.at({0, kStable}));
  ASSERT_TRUE(proof.ok());
  EXPECT_EQ(proof->seq, 4u);
  EXPECT_TRUE(verify_checkpoint_proof(cfg, keys.verifier(), *proof));

  // Restarted with its journal but an empty disk otherwise (k = 0): the window starts at the
  // journaled checkpoint, and only seq 5's certificate is restored.
  RestartPoint rp;
  rp.journal = env->journal_records();
  fresh();
  rep->on_restart(rp);
  EXPECT_EQ(rep->low_watermark(), 4u);
  EXPECT_EQ(rep->stats().last_executed, 0u);
  EXPECT_EQ(rep->live_slots(), 1u);
  EXPECT_EQ(rep->journal_ignored(), 0u);
}

// A replica prepares by digest after a NEW-VIEW that named a batch it never held; its prepared
// record then carries no batch. Restarted from it, the replica must not take the empty bytes
// for the null request: it commits by digest, executes nothing, and executes the batch once a
// CATCHUP brings it.
TEST_F(PbftJournal, PreparedRecordWithoutItsBatchIsNotExecutedAsANullRequest) {
  Bytes b = batch_of(1);
  prepare_slot(1, b);
  ASSERT_TRUE(env->journal.count({1, kPrepared}));
  restart([](std::vector<JournalRecord>& recs) {
    for (auto& r : recs) {
      if (r.kind == kVote) {  // a vote by digest holds no batch either
        auto v = decode_vote_record(r.seq, r.body);
        ASSERT_TRUE(v.ok());
        r.body = encode_vote_record(r.seq, v->vote);
      }
      if (r.kind != kPrepared) continue;
      auto c = decode_prepared_record(r.seq, r.body);
      ASSERT_TRUE(c.ok());
      r.body = encode_prepared_record(r.seq, c->view, c->digest, c->pp_sig, c->prepares, {});
    }
  });
  EXPECT_EQ(rep->journal_ignored(), 0u);
  rep->on_message(2, vote(MsgType::commit, 0, 1, b, 2));
  rep->on_message(3, vote(MsgType::commit, 0, 1, b, 3));
  EXPECT_TRUE(env->executed.empty()) << "committed, but the bytes are missing";
  const Hash32 d = batch_digest(b);
  CommitCert cc{0, 1, d, signers[0]->sign(pre_prepare_body(0, 1, d)), {}, b};
  for (NodeId i : {1u, 2u, 3u}) cc.commits.push_back({i, signers[i]->sign(vote_body(MsgType::commit, 0, 1, d, i))});
  CommitCert wrong = cc;
  wrong.batch = batch_of(2);
  rep->on_message(2, encode_catchup({2, wrong, {}, 0}, *signers[2]));
  EXPECT_TRUE(env->executed.empty()) << "bytes that do not match the digest";
  rep->on_message(2, encode_catchup({2, cc, {}, 0}, *signers[2]));
  ASSERT_EQ(env->executed.size(), 1u);
  EXPECT_EQ(std::get<2>(env->executed[0]), b);
}

// A whole-cluster crash after the PREPAREs of a batch, before any correct replica prepared it:
// a Byzantine replica (0) collected them and reports the prepared certificate in its VIEW-CHANGE,
// so the NEW-VIEW must re-propose the digest. Only the correct replicas that prepared can supply
// the bytes: their vote records carry the batch. Before, the record held the digest only and
// every later view stalled on that seq (sim pbft f=1 seed 361197688).
TEST_F(PbftJournal, ABatchWeOnlyPreparedSurvivesAWholeClusterCrash) {
  Bytes b = batch_of(1);
  const Hash32 d = batch_digest(b);
  rep->on_message(0, pp(0, 1, b));
  ASSERT_EQ(sent_votes(MsgType::prepare).size(), 1u);
  ASSERT_FALSE(env->journal.count({1, kPrepared})) << "not prepared here: only our vote is on disk";
  restart();
  EXPECT_EQ(rep->journal_ignored(), 0u);
  // View 2 (primary 2) from the VIEW-CHANGEs of 0 (with the certificate: pre-prepare of 0,
  // prepares of 1 and 2), 2 and 3.
  NewView nv;
  nv.view = 2;
  for (NodeId id : {0u, 2u, 3u}) {
    std::vector<PreparedCert> p;
    if (id == 0) p.push_back(prepared_cert(signers, 1, b));
    nv.view_changes.push_back(make_vc(signers, 2, id, p));
  }
  nv.entries.push_back({1, d, signers[2]->sign(pre_prepare_body(2, 1, d))});
  rep->on_message(2, encode_new_view(nv, *signers[2]));
  ASSERT_EQ(rep->stats().view, 2u);
  rep->on_message(3, vote(MsgType::prepare, 2, 1, b, 3));
  rep->on_message(2, vote(MsgType::commit, 2, 1, b, 2));
  rep->on_message(3, vote(MsgType::commit, 2, 1, b, 3));
  ASSERT_EQ(env->executed.size(), 1u) << "committed in view 2; the bytes must come from our own journal";
  EXPECT_EQ(std::get<2>(env->executed[0]), b);
  // A record whose bytes do not match its digest gives nothing (a damaged disk).
  fresh();
  rep->on_message(0, pp(0, 1, b));
  restart([&](std::vector<JournalRecord>& recs) {
    for (auto& r : recs)
      if (r.kind == kVote) r.body = encode_vote_record(r.seq, {0, d}, batch_of(2));
  });
  rep->on_message(2, encode_new_view(nv, *signers[2]));
  rep->on_message(3, vote(MsgType::prepare, 2, 1, b, 3));
  rep->on_message(2, vote(MsgType::commit, 2, 1, b, 2));
  rep->on_message(3, vote(MsgType::commit, 2, 1, b, 3));
  EXPECT_TRUE(env->executed.empty());
}

// A prepared record leaves its batch to the vote record of the same seq (each batch is written
// once). When a later view makes us vote another digest there, the prepared record is written
// again whole first: a later NEW-VIEW may still pick that certificate.
TEST_F(PbftJournal, APreparedRecordGetsItsBatchBackBeforeTheVoteThatHeldItIsReplaced) {
  Bytes a = batch_of(1), b = batch_of(2);
  prepare_slot(1, a);
  auto prepared = decode_prepared_record(1, env->journal.at({1, kPrepared}));
  ASSERT_TRUE(prepared.ok());
  EXPECT_TRUE(prepared->batch.empty()) << "the vote record holds the batch";
  EXPECT_EQ(decode_vote_record(1, env->journal.at({1, kVote}))->batch, a);
  // View 3 (primary 3) re-proposes b at 1: replica 0 reports it prepared in view 2.
  NewView nv;
  nv.view = 3;
  for (NodeId id : {0u, 2u, 3u}) {
    std::vector<PreparedCert> p;
    if (id == 0) p.push_back(prepared_cert(signers, 1, b, 2));
    nv.view_changes.push_back(make_vc(signers, 3, id, p));
  }
  const Hash32 db = batch_digest(b);
  nv.entries.push_back({1, db, signers[3]->sign(pre_prepare_body(3, 1, db))});
  rep->on_message(3, encode_new_view(nv, *signers[3]));
  ASSERT_EQ(rep->stats().view, 3u);
  auto vote = decode_vote_record(1, env->journal.at({1, kVote}));
  ASSERT_TRUE(vote.ok());
  EXPECT_EQ(vote->vote, (VoteRecord{3, db}));
  EXPECT_TRUE(vote->batch.empty()) << "b's bytes never came";
  prepared = decode_prepared_record(1, env->journal.at({1, kPrepared}));
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(prepared->view, 0u);
  EXPECT_EQ(prepared->batch, a) << "written again whole before the vote record lost a";
  restart();
  EXPECT_EQ(rep->journal_ignored(), 0u);
}

TEST_F(PbftJournal, DamagedRecordsAreIgnoredNotTrusted) {
  prepare_slot(1, batch_of(1));
  prepare_slot(2, batch_of(2));
  prepare_slot(3, batch_of(3));
  rep->on_message(0, pp(0, 4, batch_of(4)));  // only voted at 4
  restart([&](std::vector<JournalRecord>& recs) {
    for (auto& r : recs) {
      if (r.seq == 1 && r.kind == kPrepared) r.body[3] ^= 1;         // checked header: refused
      if (r.seq == 2 && r.kind == kPrepared) r.body.back() ^= 1;     // batch: digest mismatch
      if (r.seq == 4 && r.kind == kVote) r.body = to_bytes("junk");  // undecodable
    }
    // A well-formed record whose certificate is forged (no valid prepares).
    Bytes b = batch_of(5);
    Hash32 d = batch_digest(b);
    recs.push_back({5, kPrepared,
                    encode_prepared_record(5, 0, d, signers[0]->sign(pre_prepare_body(0, 5, d)),
                                           {{2, to_bytes("forged")}, {3, to_bytes("forged")}}, b)});
  });
  EXPECT_EQ(rep->journal_ignored(), 4u);
  // Only seq 3 is back; its COMMIT is the only one re-sent.
  auto commits = sent_votes(MsgType::commit);
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].seq, 3u);
  env->timers.erase(TimerKind::view_change);
  rep->on_timer(TimerKind::view_change);
  ViewChange vc = last_view_change();
  ASSERT_EQ(vc.prepared.size(), 1u);
  EXPECT_EQ(vc.prepared[0].seq, 3u);
}

TEST_F(PbftJournal, WithoutJournalRestartIsUnchanged) {
  // Nothing recovered at all: on_restart does nothing.
  rep->on_restart(RestartPoint{});
  EXPECT_TRUE(env->sent.empty());
  EXPECT_EQ(rep->stats().last_executed, 0u);
  EXPECT_EQ(rep->journal_ignored(), 0u);
  // A recovered height without a journal: execution resumes above it, nothing is journaled.
  RestartPoint rp;
  rp.k = 3;
  rep->on_restart(rp);
  EXPECT_EQ(rep->stats().last_executed, 3u);
  EXPECT_EQ(rep->stats().view, 0u);
  EXPECT_FALSE(rep->in_view_change());
  EXPECT_TRUE(env->journal.empty());
  EXPECT_TRUE(env->sent.empty());
}

TEST_F(PbftJournal, RestartedPrimaryNeverReusesASeqOfItsView) {
  cfg.self = 0;
  fresh();
  for (int i = 0; i < 3; ++i) rep->submit(batch_of(i));
  ASSERT_EQ(env->of_type(MsgType::pre_prepare).size(), 3u);
  restart();
  rep->submit(batch_of(7));
  auto pps = env->of_type(MsgType::pre_prepare);
  ASSERT_EQ(pps.size(), 1u);
  EXPECT_EQ(decode_pre_prepare(pps[0])->seq, 4u)
      << "1..3 carry pre-prepares it signed before the crash";
}

// ---- in a cluster ---------------------------------------------------------------------------

Config small_config() {
  Config c;
  c.window = 16;
  c.checkpoint_interval = 4;
  c.max_inflight = 4;
  c.view_timeout_ms = 100;
  return c;
}

// Every message is sent only after the record it depends on is in the journal.
TEST(PbftJournalCluster, RecordsPrecedeTheMessagesThatDependOnThem) {
  Cluster c(1, small_config());
  size_t checked = 0;
  for (NodeId i = 0; i < c.cfg.n; ++i) {
    RecordingEnv* env = c.envs[i].get();
    auto sink = env->sink;
    env->sink = [env, sink, &checked](NodeId to, const Bytes& m) {
      auto t = peek_type(m);
      ASSERT_TRUE(t.ok());
      if (*t == MsgType::prepare || *t == MsgType::pre_prepare) {
        View v = 0;
        Seq n = 0;
        Hash32 d{};
        if (*t == MsgType::prepare) {
          auto x = decode_vote(m);
          v = x->view, n = x->seq, d = x->digest;
        } else {
          auto x = decode_pre_prepare(m);
          v = x->view, n = x->seq, d = x->digest;
        }
        auto it = env->journal.find({n, kVote});
        ASSERT_NE(it, env->journal.end());
        auto rec = decode_vote_record(n, it->second);
        ASSERT_TRUE(rec.ok());
        EXPECT_EQ(rec->vote, (VoteRecord{v, d}));
        ++checked;
      } else if (*t == MsgType::commit) {
        auto x = decode_vote(m);
        auto it = env->journal.find({x->seq, kPrepared});
        ASSERT_NE(it, env->journal.end());
        auto cert = decode_prepared_record(x->seq, it->second);
        ASSERT_TRUE(cert.ok());
        EXPECT_EQ(cert->view, x->view);
        EXPECT_EQ(cert->digest, x->digest);
        ++checked;
      } else if (*t == MsgType::view_change) {
        auto x = decode_view_change(m);
        auto rec = decode_view_record(env->journal.at({0, kView}));
        ASSERT_TRUE(rec.ok());
        EXPECT_TRUE(rec->in_view_change);
        EXPECT_GE(rec->target, x->new_view);
        ++checked;
      } else if (*t == MsgType::new_view) {
        auto x = decode_new_view(m);
        auto rec = decode_view_record(env->journal.at({0, kView}));
        ASSERT_TRUE(rec.ok());
        EXPECT_GE(rec->view, x->view);
        ++checked;
      }
      sink(to, m);
    };
  }
  // Prepared everywhere, no commits; the primary goes silent; view 1 carries the batches.
  c.drop = [](const Envelope& e) {
    auto t = peek_type(e.msg);
    return t.ok() && *t == MsgType::commit && decode_vote(e.msg)->view == 0;
  };
  for (int i = 0; i < 3; ++i) c.submit_all(batch_of(i));
  c.run();
  c.crashed.insert(0);
  c.fire(TimerKind::view_change);
  c.run();
  c.submit_all(batch_of(3));
  c.run();
  EXPECT_TRUE(c.all_executed(4));
  c.expect_consistent();
  EXPECT_GT(checked, 40u);
}

// The hot path writes one vote record and one certificate (with the batch) per seq and view;
// retransmission writes nothing.
TEST(PbftJournalCluster, OneCertificateWritePerSlot) {
  Config cfg = small_config();
  cfg.checkpoint_interval = 64;
  cfg.window = 256;
  Cluster c(1, cfg);
  const int batches = 12;
  size_t batch_bytes = 0;
  for (int i = 0; i < batches; ++i) {
    c.reps[0]->submit(batch_of(i));
    batch_bytes += batch_of(i).size();
  }
  c.run();
  ASSERT_TRUE(c.all_executed(batches));
  for (NodeId i = 0; i < c.cfg.n; ++i) {
    EXPECT_EQ(c.envs[i]->journal_puts, 2u * batches) << i;  // vote + certificate per seq
    size_t certs = 0;
    for (const auto& [key, body] : c.envs[i]->journal) certs += key.second == kPrepared;
    EXPECT_EQ(certs, static_cast<size_t>(batches));
    EXPECT_LT(c.envs[i]->journal_bytes, batch_bytes + batches * 600u) << "each batch written once";
  }
  c.fire(TimerKind::retransmit);
  c.run();
  for (NodeId i = 0; i < c.cfg.n; ++i) EXPECT_EQ(c.envs[i]->journal_puts, 2u * batches) << i;
}

// docs/protocols-pbft.md, whole-cluster restart: replica 2 executed batch A at 1 (it alone saw
// the COMMITs), the others only prepared it. Everybody restarts from its own disk; the old
// primary stays down and the COMMITs of view 0 are lost, so view 1 must carry A at 1.
void whole_cluster_restart(bool with_journal, Cluster& c) {
  Bytes a = batch_of(100), b = batch_of(101);
  c.drop = [](const Envelope& e) {
    auto t = peek_type(e.msg);
    return t.ok() && *t == MsgType::commit && e.to != 2;
  };
  c.submit_all(a);
  c.run();
  ASSERT_EQ(c.envs[2]->executed.size(), 1u);
  ASSERT_EQ(std::get<2>(c.envs[2]->executed[0]), a);
  for (NodeId i : {0u, 1u, 3u}) ASSERT_TRUE(c.envs[i]->executed.empty());

  for (NodeId i = 0; i < c.cfg.n; ++i) c.restart_from_disk(i, with_journal);
  c.crashed.insert(0);
  c.drop = [](const Envelope& e) {
    auto t = peek_type(e.msg);
    return t.ok() && *t == MsgType::commit && decode_vote(e.msg)->view == 0;
  };
  c.submit_all(b);
  for (int round = 0; round < 20 && !c.all_have({b}); ++round) {
    c.fire(TimerKind::view_change);
    c.fire(TimerKind::new_view);
    c.fire(TimerKind::retransmit);
    c.run();
  }
}

TEST(PbftJournalCluster, WholeClusterRestartKeepsTheCommittedBatch) {
  Cluster c(1, small_config());
  whole_cluster_restart(true, c);
  for (NodeId i = 1; i < c.cfg.n; ++i) {
    EXPECT_GE(c.reps[i]->stats().view, 1u) << i;
    const auto& ex = c.envs[i]->executed;
    ASSERT_EQ(ex.size(), 2u) << c.logs();
    EXPECT_EQ(std::get<2>(ex[0]), batch_of(100)) << "replica " << i << "\n" << c.logs();
    EXPECT_EQ(std::get<2>(ex[1]), batch_of(101)) << "replica " << i;
    EXPECT_EQ(c.reps[i]->journal_ignored(), 0u);
  }
  c.expect_consistent();
}

// The same run without the journal shows what it prevents: view 1 knows nothing of A, its
// primary orders B at 1, and the ledgers diverge at 1.
TEST(PbftJournalCluster, WholeClusterRestartWithoutJournalDiverges) {
  Cluster c(1, small_config());
  whole_cluster_restart(false, c);
  ASSERT_FALSE(c.envs[1]->executed.empty());
  EXPECT_EQ(std::get<2>(c.envs[1]->executed[0]), batch_of(101));
  EXPECT_EQ(std::get<2>(c.envs[2]->executed[0]), batch_of(100));
}

}  // namespace
}  // namespace rampart::consensus::pbft::testing

namespace rampart::consensus::pbft::testing {
namespace {

// Sim seed 69 (pbft f=1, replica 0 silent, a whole-cluster crash): views 1 was installed at
// 1 and 3 (and 0), but its NEW-VIEW never reached 2, still asking for view 1 when every replica
// crashed. Back from their disks, 1 and 3 were in view 1 without its NEW-VIEW (not journaled),
// so nobody could bring 2 in, and with 0 silent nothing reached nf: stuck for good. The
// NEW-VIEW is journaled with the view now and relayed to 2 after the restart.
TEST(PbftJournalCluster, NewViewSurvivesAWholeClusterCrashForAReplicaStillAskingForIt) {
  Cluster c(1, small_config());
  c.crashed.insert(0);  // silent throughout
  c.drop = [](const Envelope& e) {
    auto t = peek_type(e.msg);
    return e.to == 2 && t.ok() && *t == MsgType::new_view;  // 2 never gets NEW-VIEW(1)
  };
  const Bytes b = batch_of(7);
  c.submit_all(b);  // primary 0 is silent: the backups time out
  c.fire(TimerKind::view_change);
  c.run();
  ASSERT_EQ(c.reps[1]->stats().view, 1u);
  ASSERT_EQ(c.reps[3]->stats().view, 1u);
  ASSERT_TRUE(c.reps[2]->in_view_change());
  for (NodeId i = 1; i < 4; ++i) c.restart_from_disk(i);
  c.drop = nullptr;
  ASSERT_TRUE(c.reps[2]->in_view_change());
  c.submit_all(b);
  c.fire(TimerKind::retransmit);
  c.run();
  EXPECT_EQ(c.reps[2]->stats().view, 1u) << "replica 2 did not get view 1's NEW-VIEW";
  EXPECT_FALSE(c.reps[2]->in_view_change());
  for (int round = 0; round < 20 && !c.reps[2]->stats().last_executed; ++round) {
    c.fire(TimerKind::view_change);
    c.fire(TimerKind::new_view);
    c.fire(TimerKind::retransmit);
    c.run();
  }
  for (NodeId i = 1; i < 4; ++i)
    EXPECT_EQ(c.reps[i]->stats().last_executed, 1u) << i << " " << c.reps[i]->debug_string();
}

}  // namespace
}  // namespace rampart::consensus::pbft::testing

namespace rampart::consensus::pbft::testing {
namespace {

// A replica never prepares one batch at two seqs of one view, even once a crash took the slot
// it prepared it in: its vote record stands for it (sim pbft f=1 seed 2010).
TEST(PbftJournalCluster, ARestartedBackupRefusesABatchItSignedAtAnotherSeqOfTheView) {
  Cluster c(1, small_config());
  c.drop = [](const Envelope& e) {
    auto t = peek_type(e.msg);
    return t.ok() && (*t == MsgType::prepare || *t == MsgType::commit);  // nothing completes
  };
  const Bytes b = batch_of(5);
  c.submit_all(b);
  c.run();
  ASSERT_EQ(c.reps[1]->live_slots(), 1u);
  c.restart_from_disk(1);
  const Hash32 d = batch_digest(b);
  auto primary = c.keys().signer(0);
  PrePrepare pp{0, 2, d, primary->sign(pre_prepare_body(0, 2, d)), b};
  const uint64_t before = c.reps[1]->rejected(Reject::conflict);
  c.reps[1]->on_message(0, encode_pre_prepare(pp));
  EXPECT_EQ(c.reps[1]->rejected(Reject::conflict), before + 1);
}

}  // namespace
}  // namespace rampart::consensus::pbft::testing
