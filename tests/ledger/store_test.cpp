#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ledger/fixture.hpp"
#include "ledger/store.hpp"

using namespace rampart;
using namespace rampart::ledger;
using rampart::ledger::testing::append_next;
using rampart::ledger::testing::Chain;
using rampart::ledger::testing::ckpt_of;
using rampart::ledger::testing::h;
using rampart::ledger::testing::TempDir;

namespace {

std::unique_ptr<Store> open_ok(const std::string& path, ByteView config, const OpenOptions& o = {}) {
  auto s = Store::open(path, config, o);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return s.ok() ? std::move(s.value()) : nullptr;
}

bool starts_with(const Status& s, const std::string& prefix) {
  return !s.ok() && s.error().message.rfind(prefix, 0) == 0;
}

}  // namespace

TEST(Store, CreatesGenesisAndReopens) {
  TempDir d;
  Chain c;
  {
    auto s = open_ok(d.sub("data/replica-0"), c.config);  // parents are created too
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->open_report().created);
    EXPECT_EQ(s->last_block(), 0u);
    EXPECT_EQ(s->last_final(), 0u);
    EXPECT_EQ(*s->block(0), c.blocks[0]);
    EXPECT_EQ(*s->batch(0), c.config);
    EXPECT_EQ(s->config_hash(), config_digest(c.config));
    EXPECT_EQ(s->last_hash(), block_hash(c.blocks[0]));
  }
  auto s = open_ok(d.sub("data/replica-0"), c.config);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->open_report().created);
  EXPECT_EQ(*s->block(0), c.blocks[0]);
}

TEST(Store, AppendedBlocksSurviveReopen) {
  TempDir d;
  Chain c;
  {
    auto s = open_ok(d.path(), c.config);  // an existing empty directory counts as new
    ASSERT_TRUE(s);
    for (int i = 0; i < 20; ++i) {
      const Block& b = c.next();
      ASSERT_TRUE(s->append_block(b, c.batches.back(), i % 2 == 0).ok());
    }
  }
  auto s = open_ok(d.path(), c.config);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->last_block(), 20u);
  EXPECT_EQ(s->last_final(), 20u);
  EXPECT_EQ(s->last_hash(), block_hash(c.blocks[20]));
  auto all = s->blocks(0, 20);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(*all, c.blocks);
  for (uint64_t k = 0; k <= 20; ++k) EXPECT_EQ(*s->batch(k), c.batches[k]);
  EXPECT_FALSE(s->block(21).ok());
  EXPECT_FALSE(s->blocks(19, 21).ok());
  EXPECT_EQ(s->blocks(5, 7)->size(), 3u);
}

TEST(Store, GroupCommitWithOneSync) {
  TempDir d;
  Chain c;
  {
    auto s = open_ok(d.path(), c.config);
    ASSERT_TRUE(s);
    for (int i = 0; i < 10; ++i) {
      const Block& b = c.next();
      ASSERT_TRUE(s->append_block(b, c.batches.back(), /*sync=*/false).ok());
    }
    ASSERT_TRUE(s->sync().ok());
  }
  auto s = open_ok(d.path(), c.config);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->last_final(), 10u);
  EXPECT_EQ(*s->block(10), c.blocks[10]);
}

TEST(Store, AppendChecksItsPreconditions) {
  TempDir d;
  Chain c;
  auto s = open_ok(d.path(), c.config);
  ASSERT_TRUE(s);
  Block b1 = c.next();
  Bytes batch1 = c.batches[1];

  Block skip = b1;
  skip.k = 2;
  EXPECT_TRUE(starts_with(s->append_block(skip, batch1), "block 2: cannot append"));
  Block badlink = b1;
  badlink.prev_hash[3] ^= 1;
  EXPECT_TRUE(starts_with(s->append_block(badlink, batch1), "block 1: broken hash link"));
  EXPECT_TRUE(starts_with(s->append_block(b1, to_bytes("other batch")), "block 1: batch digest mismatch"));
  Block unproven = b1;
  unproven.proof.clear();
  EXPECT_TRUE(starts_with(s->append_block(unproven, batch1), "block 1: a final block needs its proof"));
  EXPECT_EQ(s->last_block(), 0u);  // nothing changed

  ASSERT_TRUE(s->append_speculative(unproven, batch1).ok());
  Block b2 = c.next();
  EXPECT_TRUE(starts_with(s->append_block(b2, c.batches[2]), "block 2: cannot append final while blocks 1..1"));
  EXPECT_TRUE(s->append_speculative(b2, c.batches[2]).ok());
}

TEST(Store, SpeculativeFinalAndTruncate) {
  TempDir d;
  Chain c;
  auto s = open_ok(d.path(), c.config);
  ASSERT_TRUE(s);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(append_next(*s, c).ok());
  // Blocks 4..6 executed speculatively; 4 and 5 get their proofs later, 6 never does.
  std::vector<Bytes> proofs;
  for (int i = 0; i < 3; ++i) {
    Block b = c.next();
    proofs.push_back(b.proof);
    b.proof.clear();
    ASSERT_TRUE(s->append_speculative(b, c.batches.back()).ok());
  }
  EXPECT_EQ(s->last_block(), 6u);
  EXPECT_EQ(s->last_final(), 3u);
  EXPECT_TRUE(starts_with(s->mark_final(4), "block 4 cannot become final: it has no proof"));
  ASSERT_TRUE(s->set_proof(4, 0, proofs[0]).ok());
  ASSERT_TRUE(s->set_proof(5, 0, proofs[1]).ok());
  EXPECT_TRUE(s->block(5)->proven());
  EXPECT_EQ(block_hash(*s->block(5)), block_hash(c.blocks[5]));  // proof outside the hash
  EXPECT_TRUE(starts_with(s->mark_final(6), "block 6 cannot become final"));
  EXPECT_EQ(s->last_final(), 3u);  // all or nothing
  ASSERT_TRUE(s->mark_final(4).ok());
  EXPECT_EQ(s->last_final(), 4u);
  EXPECT_TRUE(s->mark_final(2).ok());  // already final: no-op
  EXPECT_TRUE(starts_with(s->mark_final(9), "cannot make block 9 final"));
  EXPECT_TRUE(starts_with(s->set_proof(4, 0, to_bytes("another proof")), "block 4 is final"));
  EXPECT_TRUE(s->set_proof(4, 0, proofs[0]).ok());  // same proof again: fine

  // View change: 5 and 6 are rolled back; final blocks never are.
  EXPECT_TRUE(starts_with(s->truncate_above(3), "cannot truncate to 3: blocks up to 4 are final"));
  ASSERT_TRUE(s->truncate_above(4).ok());
  EXPECT_EQ(s->last_block(), 4u);
  EXPECT_EQ(s->last_hash(), block_hash(c.blocks[4]));
  EXPECT_FALSE(s->block(5).ok());
  EXPECT_FALSE(s->batch(6).ok());

  // The new view re-proposes a different batch 5.
  c.pop();
  c.pop();
  const Block& b5 = c.next(true, " new view");
  ASSERT_TRUE(s->append_speculative(b5, c.batches.back()).ok());
  ASSERT_TRUE(s->mark_final(5).ok());
  EXPECT_EQ(*s->block(5), b5);
}

TEST(Store, SpeculativeBlocksAreDiscardedOnReopen) {
  TempDir d;
  Chain c;
  {
    auto s = open_ok(d.path(), c.config);
    ASSERT_TRUE(s);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(append_next(*s, c).ok());
    ASSERT_TRUE(append_next(*s, c, false).ok());  // proven, not final
    ASSERT_TRUE(append_next(*s, c, false, false).ok());
  }
  {
    // Read-only inspection sees them and leaves them alone.
    OpenOptions ro;
    ro.read_only = true;
    auto s = open_ok(d.path(), c.config, ro);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->open_report().speculative_first, 4u);
    EXPECT_EQ(s->open_report().speculative_count, 2u);
    EXPECT_FALSE(s->open_report().speculative_discarded);
    EXPECT_EQ(s->last_block(), 5u);
    EXPECT_FALSE(append_next(*s, c, false).ok());
    c.pop();
  }
  {
    OpenOptions keep;
    keep.keep_speculative = true;
    auto s = open_ok(d.path(), c.config, keep);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->last_block(), 5u);
    EXPECT_EQ(s->last_final(), 3u);
  }
  {
    // Block 4 is proven (a client may hold its proof): it becomes final, not discarded. Block 5
    // has no proof: it was speculation and goes.
    auto s = open_ok(d.path(), c.config);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->open_report().promoted_count, 1u);
    EXPECT_TRUE(s->open_report().speculative_discarded);
    EXPECT_EQ(s->open_report().speculative_first, 5u);
    EXPECT_EQ(s->open_report().speculative_count, 1u);
    EXPECT_EQ(s->last_final(), 4u);
    EXPECT_EQ(s->last_block(), 4u);
    EXPECT_EQ(s->last_hash(), block_hash(c.blocks[4]));
    EXPECT_FALSE(s->block(5).ok());
  }
  auto s = open_ok(d.path(), c.config);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->open_report().speculative_count, 0u);
  EXPECT_EQ(s->open_report().promoted_count, 0u);
  EXPECT_EQ(s->last_block(), 4u);
  EXPECT_EQ(s->last_final(), 4u);
}

TEST(Store, OnlyAnUnbrokenRunOfProvenBlocksIsPromotedOnReopen) {
  TempDir d;
  Chain c;
  {
    auto s = open_ok(d.path(), c.config);
    ASSERT_TRUE(s);
    ASSERT_TRUE(append_next(*s, c).ok());               // 1 final
    ASSERT_TRUE(append_next(*s, c, false, false).ok());  // 2 unproven
    ASSERT_TRUE(append_next(*s, c, false).ok());         // 3 proven, but above a gap
  }
  auto s = open_ok(d.path(), c.config);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->open_report().promoted_count, 0u);
  EXPECT_EQ(s->last_final(), 1u);
  EXPECT_EQ(s->last_block(), 1u);
}

// A replica writes a combined proof before its check comes back (replica/proofs.hpp): with
// proof_ok set, a proof it refuses ends the run of promoted blocks there.
TEST(Store, ProvenBlocksArePromotedOnlyWhileProofOkAcceptsTheirProofs) {
  TempDir d;
  Chain c;
  {
    auto s = open_ok(d.path(), c.config);
    ASSERT_TRUE(s);
    ASSERT_TRUE(append_next(*s, c).ok());         // 1 final
    ASSERT_TRUE(append_next(*s, c, false).ok());  // 2 proven
    ASSERT_TRUE(append_next(*s, c, false).ok());  // 3 proven, a proof refused below
    ASSERT_TRUE(append_next(*s, c, false).ok());  // 4 proven, above the refused one
  }
  OpenOptions o;
  std::vector<uint64_t> asked;
  o.proof_ok = [&](const Block& b) {
    asked.push_back(b.k);
    return b.k != 3;
  };
  auto s = open_ok(d.path(), c.config, o);
  ASSERT_TRUE(s);
  EXPECT_EQ(asked, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(s->open_report().promoted_count, 1u);
  EXPECT_EQ(s->last_final(), 2u);
  EXPECT_EQ(s->last_block(), 2u) << "the blocks above the refused proof are speculative: discarded";
}

TEST(Store, CheckpointAndSnapshot) {
  TempDir d;
  Chain c;
  Bytes snap = to_bytes("kv state at 4");
  {
    auto s = open_ok(d.path(), c.config);
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->checkpoint());
    ASSERT_TRUE(s->snapshot().ok());
    EXPECT_FALSE(s->snapshot()->has_value());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(append_next(*s, c, false).ok());
    Block b5 = c.next(false);
    ASSERT_TRUE(s->append_speculative(b5, c.batches.back()).ok());

    CheckpointRecord bad = ckpt_of(c.blocks[4], {{0, {1}}, {1, {2}}, {2, {3}}});
    bad.state_digest = h("wrong");
    EXPECT_TRUE(starts_with(s->put_checkpoint(bad, snap), "checkpoint 4: state digest or head differs"));
    CheckpointRecord unproven = ckpt_of(c.blocks[5]);
    EXPECT_TRUE(starts_with(s->put_checkpoint(unproven, snap), "block 5 cannot become final"));
    EXPECT_FALSE(s->checkpoint());

    CheckpointRecord cp = ckpt_of(c.blocks[4], {{0, {1}}, {1, {2}}, {2, {3}}});
    ASSERT_TRUE(s->put_checkpoint(cp, snap).ok());
    EXPECT_EQ(s->last_final(), 4u);  // a stable checkpoint makes its prefix final
    CheckpointRecord older = ckpt_of(c.blocks[2]);
    EXPECT_TRUE(starts_with(s->put_checkpoint(older, snap), "checkpoint 2 is older"));
  }
  auto s = open_ok(d.path(), c.config);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->checkpoint());
  EXPECT_EQ(s->checkpoint()->k, 4u);
  EXPECT_EQ(s->checkpoint()->signatures.size(), 3u);
  auto sn = s->snapshot();
  ASSERT_TRUE(sn.ok() && sn->has_value());
  EXPECT_EQ((*sn)->k, 4u);
  EXPECT_EQ((*sn)->state, snap);
  EXPECT_EQ(s->last_block(), 4u);  // unproven 5 was speculative and is gone
}

TEST(Store, RefusesAnotherClusterOrAMissingFolder) {
  TempDir d;
  Chain c;
  { ASSERT_TRUE(open_ok(d.path(), c.config)); }
  auto other = Store::open(d.path(), to_bytes("another cluster"));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("created for another cluster configuration"), std::string::npos);

  OpenOptions no_create;
  no_create.create_if_missing = false;
  auto missing = Store::open(d.sub("nothing"), c.config, no_create);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no ledger there"), std::string::npos);
  OpenOptions ro;
  ro.read_only = true;
  EXPECT_FALSE(Store::open(d.sub("nothing"), c.config, ro).ok());
}

TEST(Store, ReadersSeeOnlyWholeBlocksWhileAWriterAppends) {
  TempDir d;
  Chain c;
  for (int i = 0; i < 300; ++i) c.next();
  auto s = open_ok(d.path(), c.config);
  ASSERT_TRUE(s);
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    for (uint64_t k = 1; k <= 300; ++k) {
      if (!s->append_block(c.blocks[k], c.batches[k], false).ok()) break;
    }
    writer_done = true;
  });
  // Whatever last_block() says must be readable, intact and linked: appends are atomic.
  uint64_t seen = 0, reads = 0;
  while (seen < 300 && !(writer_done && s->last_block() == seen)) {
    uint64_t k = s->last_block();
    auto b = s->block(k);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(*b, c.blocks[k]);
    ASSERT_TRUE(s->batch(k).ok());
    EXPECT_GE(k, seen);
    seen = k;
    ++reads;
  }
  writer.join();
  EXPECT_EQ(s->last_block(), 300u);
  EXPECT_GT(reads, 0u);
}

// A replica whose final blocks lost to the cluster's chain after a whole-cluster crash drops
// them (replica/restart.hpp, ForkResolver): blocks above k go, final or not, and so does a
// checkpoint above k; what stays reopens and takes a different block k + 1.
TEST(Store, AbandonAboveDropsFinalBlocksAndACheckpointAboveThem) {
  TempDir d;
  Chain c;
  Bytes snap = to_bytes("kv state at 6");
  {
    auto s = open_ok(d.path(), c.config);
    ASSERT_TRUE(s);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(append_next(*s, c).ok());
    ASSERT_TRUE(s->put_checkpoint(ckpt_of(c.blocks[6], {{0, {1}}}), snap).ok());
    EXPECT_TRUE(starts_with(s->truncate_above(5), "cannot truncate to 5"));  // the ordinary path refuses

    ASSERT_TRUE(s->abandon_above(7).ok());  // above the checkpoint: it stays
    EXPECT_EQ(s->last_final(), 7u);
    ASSERT_TRUE(s->checkpoint());
    EXPECT_EQ(s->checkpoint()->k, 6u);

    ASSERT_TRUE(s->abandon_above(4).ok());
    EXPECT_EQ(s->last_final(), 4u);
    EXPECT_EQ(s->last_block(), 4u);
    EXPECT_EQ(s->last_hash(), block_hash(c.blocks[4]));
    EXPECT_FALSE(s->checkpoint());
    ASSERT_TRUE(s->snapshot().ok());
    EXPECT_FALSE(s->snapshot()->has_value());
    EXPECT_FALSE(s->block(5).ok());
    EXPECT_TRUE(s->abandon_above(9).ok());  // nothing above 9: no-op
    EXPECT_EQ(s->last_block(), 4u);
  }
  auto s = open_ok(d.path(), c.config);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->last_final(), 4u);
  EXPECT_FALSE(s->checkpoint());
  for (int i = 0; i < 4; ++i) c.pop();
  const Block& other = c.next(true, "-other");
  ASSERT_TRUE(s->append_block(other, c.batches.back()).ok());
  EXPECT_EQ(s->last_final(), 5u);
}

// The consensus journal: records survive a reopen, a put replaces the same (seq, kind), prune
// drops 0 < seq <= upto (view records at seq 0 stay), and the chain is untouched by it all.
TEST(Store, JournalRecordsSurviveReopenAndArePruned) {
  TempDir d;
  Chain c;
  {
    auto s = open_ok(d.path(), c.config);
    ASSERT_TRUE(s);
    ASSERT_TRUE(append_next(*s, c).ok());
    ASSERT_TRUE(s->journal_put(0, 1, to_bytes("view 3")).ok());
    ASSERT_TRUE(s->journal_put(7, 2, to_bytes("prepare 7")).ok());
    ASSERT_TRUE(s->journal_put(7, 3, to_bytes("pcert 7 v2")).ok());
    ASSERT_TRUE(s->journal_put(300, 2, to_bytes("prepare 300")).ok());
    ASSERT_TRUE(s->journal_put(7, 3, to_bytes("pcert 7 v4")).ok());  // replaces
    ASSERT_TRUE(s->sync().ok());
  }
  auto s = open_ok(d.path(), c.config);
  ASSERT_TRUE(s);
  auto j = s->journal();
  ASSERT_TRUE(j.ok()) << j.error().message;
  ASSERT_EQ(j->size(), 4u);
  EXPECT_EQ((*j)[0].seq, 0u);
  EXPECT_EQ((*j)[1].seq, 7u);
  EXPECT_EQ((*j)[1].kind, 2u);
  EXPECT_EQ((*j)[2].body, to_bytes("pcert 7 v4"));
  EXPECT_EQ((*j)[3].seq, 300u);  // numeric order, not string order
  ASSERT_TRUE(s->journal_prune(7).ok());
  j = s->journal();
  ASSERT_TRUE(j.ok());
  ASSERT_EQ(j->size(), 2u);
  EXPECT_EQ((*j)[0].body, to_bytes("view 3"));
  EXPECT_EQ((*j)[1].seq, 300u);
  EXPECT_EQ(s->last_final(), 1u);
}

// A dropped speculative block's batch is set aside, keyed (k, digest): by a rollback, and when
// open() discards unproven blocks; it survives a reopen and goes with journal_prune past k.
// (PoE's certified journal records name the batch they executed instead of carrying it.)
TEST(Store, DroppedSpeculativeBatchesAreSetAsideUntilTheJournalIsPruned) {
  TempDir d;
  Chain c;
  {
    auto s = open_ok(d.path(), c.config);
    ASSERT_TRUE(s);
    ASSERT_TRUE(append_next(*s, c).ok());
    ASSERT_TRUE(append_next(*s, c, false, false).ok());  // 2, 3: speculative, unproven
    ASSERT_TRUE(append_next(*s, c, false, false).ok());
    ASSERT_TRUE(s->set_aside_batches()->empty());
    ASSERT_TRUE(s->truncate_above(2).ok());  // rollback of 3
    auto a = s->set_aside_batches();
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_EQ(a->size(), 1u);
    EXPECT_EQ((*a)[0].k, 3u);
    EXPECT_EQ((*a)[0].digest, c.blocks[3].batch_digest);
    EXPECT_EQ((*a)[0].batch, c.batches[3]);
    ASSERT_TRUE(s->sync().ok());
  }
  auto s = open_ok(d.path(), c.config);  // discards 2 (unproven): set aside as well
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->open_report().speculative_discarded);
  EXPECT_EQ(s->last_block(), 1u);
  auto a = s->set_aside_batches();
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].k, 2u);
  EXPECT_EQ((*a)[0].batch, c.batches[2]);
  EXPECT_EQ((*a)[1].k, 3u);
  ASSERT_TRUE(s->journal_put(3, 1, to_bytes("record 3")).ok());
  ASSERT_TRUE(s->journal_prune(2).ok());
  a = s->set_aside_batches();
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].k, 3u);
  EXPECT_EQ(s->journal()->size(), 1u);  // the journal's own records are not confused with them
  ASSERT_TRUE(s->journal_prune(3).ok());
  EXPECT_TRUE(s->set_aside_batches()->empty());
  EXPECT_TRUE(s->journal()->empty());
}
