// The simulator's ledger loses exactly what a power failure loses, and reopens as ledger::Store
// opens.
#include <gtest/gtest.h>

#include "sim/sim_store.hpp"

using namespace rampart;
using namespace rampart::sim;

namespace {

const Bytes kConfig = to_bytes("cluster");

ledger::Block next_block(const SimStore& s, const Bytes& batch) {
  ledger::Block b;
  b.k = s.last_block() + 1;
  b.prev_hash = s.last_hash();
  b.batch_digest = ledger::batch_digest(batch);
  return b;
}

TEST(SimStore, AnUnsyncedWriteIsLostInACrashASyncedOneIsNot) {
  SimStore s(kConfig);
  const Bytes b1 = to_bytes("one"), b2 = to_bytes("two");
  ASSERT_TRUE(s.append_speculative(next_block(s, b1), b1, false));
  const uint64_t gen = s.request();
  ASSERT_TRUE(s.append_speculative(next_block(s, b2), b2, false));
  ASSERT_TRUE(s.journal_put(1, 2, to_bytes("vote")));
  EXPECT_EQ(s.last_block(), 2u);
  s.synced(gen);  // covers block 1 only
  s.crash();
  EXPECT_EQ(s.last_block(), 1u);
  EXPECT_TRUE(s.journal()->empty());
}

TEST(SimStore, ASyncedWriteMakesEveryEarlierOneDurable) {
  SimStore s(kConfig);
  ASSERT_TRUE(s.journal_put(1, 1, to_bytes("a")));
  const Bytes b1 = to_bytes("one");
  ASSERT_TRUE(s.append_speculative(next_block(s, b1), b1, true));
  s.crash();
  EXPECT_EQ(s.last_block(), 1u);
  EXPECT_EQ(s.journal()->size(), 1u);
}

TEST(SimStore, ReopenFinalisesProvenBlocksAndSetsTheOthersBatchesAside) {
  SimStore s(kConfig);
  const Bytes b1 = to_bytes("one"), b2 = to_bytes("two");
  ASSERT_TRUE(s.append_speculative(next_block(s, b1), b1, false));
  ASSERT_TRUE(s.set_proof(1, 0, to_bytes("sig"), false));
  ASSERT_TRUE(s.append_speculative(next_block(s, b2), b2, false));
  ASSERT_TRUE(s.sync());
  EXPECT_FALSE(s.mark_final(2, false));  // block 2 has no proof
  s.reopen();
  EXPECT_EQ(s.last_final(), 1u);
  EXPECT_EQ(s.last_block(), 1u);
  auto aside = s.set_aside_batches();
  ASSERT_TRUE(aside);
  ASSERT_EQ(aside->size(), 1u);
  EXPECT_EQ((*aside)[0].k, 2u);
  EXPECT_EQ((*aside)[0].batch, b2);
}

TEST(SimStore, ReopenPromotesOnlyWhileProofOkAcceptsTheProofs) {
  SimStore s(kConfig);
  const Bytes b1 = to_bytes("one"), b2 = to_bytes("two");
  ASSERT_TRUE(s.append_speculative(next_block(s, b1), b1, false));
  ASSERT_TRUE(s.set_proof(1, 0, to_bytes("sig"), false));
  ASSERT_TRUE(s.append_speculative(next_block(s, b2), b2, false));
  ASSERT_TRUE(s.set_proof(2, 0, to_bytes("bad"), false));
  ASSERT_TRUE(s.sync());
  s.reopen([](const ledger::Block& b) { return b.proof == to_bytes("sig"); });
  EXPECT_EQ(s.last_final(), 1u);
  EXPECT_EQ(s.last_block(), 1u);
}

TEST(SimStore, FinalBlocksAreNeitherTruncatedNorReproven) {
  SimStore s(kConfig);
  const Bytes b1 = to_bytes("one");
  ASSERT_TRUE(s.append_speculative(next_block(s, b1), b1, false));
  ASSERT_TRUE(s.set_proof(1, 0, to_bytes("sig"), false));
  ASSERT_TRUE(s.mark_final(1, false));
  EXPECT_FALSE(s.truncate_above(0, false));
  EXPECT_FALSE(s.set_proof(1, 1, to_bytes("other"), false));
  EXPECT_TRUE(s.set_proof(1, 0, to_bytes("sig"), false));  // the same proof again: a no-op
}

}  // namespace
