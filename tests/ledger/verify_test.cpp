#include <gtest/gtest.h>

#include "ledger/fixture.hpp"
#include "ledger/store.hpp"
#include "ledger/verify.hpp"

using namespace rampart;
using namespace rampart::ledger;
using rampart::ledger::testing::append_next;
using rampart::ledger::testing::Chain;
using rampart::ledger::testing::ckpt_of;
using rampart::ledger::testing::TempDir;

namespace {

Chain chain_of(int n) {
  Chain c;
  for (int i = 0; i < n; ++i) c.next();
  return c;
}

std::string verify_error(const Chain& c) {
  auto r = verify_blocks(c.blocks, c.batches, c.tv(), c.config);
  return r.ok() ? std::string("(verified)") : r.error().message;
}

bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

TEST(Verify, GoodLedgerVerifies) {
  Chain c = chain_of(10);
  auto r = verify_blocks(c.blocks, c.batches, c.tv(), c.config);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->blocks, 11u);
  EXPECT_EQ(r->last_block, 10u);
  EXPECT_EQ(r->final_state_digest, c.blocks[10].state_digest);
  EXPECT_EQ(r->last_hash, block_hash(c.blocks[10]));
  // A follower's single step.
  EXPECT_TRUE(verify_next(c.blocks[9], c.blocks[10], c.batches[10], c.tv()).ok());
}

TEST(Verify, BrokenLinkNamesTheBlock) {
  Chain c = chain_of(6);
  c.blocks[3].prev_hash[7] ^= 1;
  EXPECT_TRUE(starts(verify_error(c), "block 3: broken hash link")) << verify_error(c);
  // Changing a block's content breaks its proof (which signs its hash) and the next one's link.
  Chain d = chain_of(6);
  d.blocks[2].state_digest[0] ^= 1;
  EXPECT_TRUE(starts(verify_error(d), "block 2: proof of execution does not verify")) << verify_error(d);
  d.blocks[2].proof = d.prove(d.blocks[2]);  // even re-proven, the chain breaks after it
  EXPECT_TRUE(starts(verify_error(d), "block 3: broken hash link")) << verify_error(d);
}

TEST(Verify, WrongBatchDigest) {
  Chain c = chain_of(6);
  c.batches[4] = to_bytes("a different batch");
  EXPECT_TRUE(starts(verify_error(c), "block 4: batch digest mismatch")) << verify_error(c);
}

TEST(Verify, ForgedProof) {
  Chain c = chain_of(6);
  c.blocks[5].proof = Bytes(32, 0x42);
  EXPECT_TRUE(starts(verify_error(c), "block 5: proof of execution does not verify")) << verify_error(c);

  // A real group signature, but for another block's message.
  Chain d = chain_of(6);
  d.blocks[5].proof = d.blocks[4].proof;
  EXPECT_TRUE(starts(verify_error(d), "block 5: proof of execution does not verify")) << verify_error(d);

  // Signed by another cluster's keys (a different group key).
  Chain other(99);
  Chain e = chain_of(6);
  e.blocks[2].proof = other.prove(e.blocks[2]);
  EXPECT_TRUE(starts(verify_error(e), "block 2: proof of execution does not verify")) << verify_error(e);

  // Fewer than nf shares cannot be combined into a proof at all.
  Bytes msg = proof_message(c.blocks[1]);
  std::vector<crypto::Share> two;
  for (crypto::NodeId i = 0; i < 2; ++i) two.push_back({i, c.keys.threshold_signer(i)->sign_share(msg)});
  EXPECT_FALSE(c.tv().combine(msg, two).has_value());

  Chain f = chain_of(3);
  f.blocks[2].proof.clear();
  EXPECT_TRUE(starts(verify_error(f), "block 2: no proof of execution")) << verify_error(f);
}

TEST(Verify, GapInTheSequence) {
  Chain c = chain_of(6);
  c.blocks.erase(c.blocks.begin() + 3);
  c.batches.erase(c.batches.begin() + 3);
  EXPECT_TRUE(starts(verify_error(c), "block 3: sequence not dense, found block 4")) << verify_error(c);
}

TEST(Verify, WrongGenesis) {
  Chain c = chain_of(2);
  auto r = verify_blocks(c.blocks, c.batches, c.tv(), to_bytes("another config"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(starts(r.error().message, "block 0: not the genesis block")) << r.error().message;
}

TEST(Verify, CheckpointMustMatchItsBlock) {
  Chain c = chain_of(5);
  LedgerView v;
  v.last_block = v.last_final = 5;
  v.block = [&](uint64_t k) -> Result<Block> { return c.blocks.at(k); };
  v.batch = [&](uint64_t k) -> Result<Bytes> { return c.batches.at(k); };
  v.checkpoint = ckpt_of(c.blocks[3]);
  VerifyOptions opt;
  int calls = 0;
  opt.check_checkpoint = [&](const CheckpointRecord& cp) -> Status {
    ++calls;
    return cp.k == 3 ? Status{} : err("bad");
  };
  auto r = verify_chain(v, c.tv(), c.config, opt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(r->has_checkpoint);
  v.checkpoint->state_digest[0] ^= 1;
  r = verify_chain(v, c.tv(), c.config, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(starts(r.error().message, "checkpoint at block 3")) << r.error().message;
  v.checkpoint = ckpt_of(c.blocks[3]);
  v.checkpoint->head[0] ^= 1;  // another history's head
  r = verify_chain(v, c.tv(), c.config, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(starts(r.error().message, "checkpoint at block 3")) << r.error().message;
}

TEST(Verify, StoredLedgerVerifiesOffline) {
  TempDir d;
  Chain c;
  {
    auto s = Store::open(d.path(), c.config);
    ASSERT_TRUE(s.ok()) << s.error().message;
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(append_next(**s, c).ok());
    CheckpointRecord cp = ckpt_of(c.blocks[8]);
    ASSERT_TRUE((*s)->put_checkpoint(cp, to_bytes("snap")).ok());
    ASSERT_TRUE(append_next(**s, c, false, false).ok());
    // Verification while the "replica" still has the folder open.
    auto live = verify_ledger_at(d.path(), c.tv(), c.config);
    ASSERT_TRUE(live.ok()) << live.error().message;
    EXPECT_EQ(live->last_block, 9u);
  }
  auto r = verify_ledger_at(d.path(), c.tv(), c.config);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->last_block, 9u);
  EXPECT_EQ(r->last_final, 8u);
  EXPECT_EQ(r->unproven, 1u);
  EXPECT_EQ(r->final_state_digest, c.blocks[8].state_digest);
  EXPECT_EQ(r->checkpoint_k, 8u);
  VerifyOptions strict;
  strict.require_all_proven = true;
  auto s = verify_ledger_at(d.path(), c.tv(), c.config, strict);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(starts(s.error().message, "block 9: no proof")) << s.error().message;

  // Another cluster's group key rejects the first proven block.
  Chain other(99);
  auto o = verify_ledger_at(d.path(), other.tv(), c.config);
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(starts(o.error().message, "block 1: proof of execution does not verify")) << o.error().message;

  EXPECT_FALSE(verify_ledger_at(d.sub("absent"), c.tv(), c.config).ok());
}
