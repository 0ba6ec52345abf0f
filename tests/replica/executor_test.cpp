#include <gtest/gtest.h>

#include "app/kv/kv_store.hpp"
#include "crypto/fake.hpp"
#include "crypto/merkle.hpp"
#include "replica/executor.hpp"

using namespace rampart;
using namespace rampart::replica;
namespace kv = rampart::app::kv;

namespace {
struct Fixture {
  crypto::FakeKeyring keys{8, 1, 7};
  Request req(ClientId c, uint64_t seq, const kv::Op& op) {
    return make_request(c, seq, kv::encode_op(op), ClientSignerFrom(keys.signer(static_cast<crypto::NodeId>(c))));
  }
  Bytes batch(std::vector<Request> rs) { return encode_batch(Batch{std::move(rs)}); }
};

kv::OpResult result_of(const ReplyEntry& e) { return *kv::decode_result(e.result); }
}  // namespace

TEST(Executor, DedupAfterOrdering) {
  Fixture f;
  kv::KvStore s;
  Executor ex(s);
  auto o1 = ex.execute(1, f.batch({f.req(1, 5, kv::put("a", "1")), f.req(1, 5, kv::put("a", "1"))}));
  ASSERT_EQ(o1.replies.size(), 2u);
  EXPECT_EQ(o1.replies[0].kind, ReplyKind::executed);
  EXPECT_EQ(o1.replies[1].kind, ReplyKind::cached);  // same seq inside one batch
  // The same request again in a later batch: answered from the cache, not re-executed.
  auto o2 = ex.execute(2, f.batch({f.req(1, 5, kv::put("a", "CHANGED"))}));
  EXPECT_EQ(o2.replies[0].kind, ReplyKind::cached);
  EXPECT_EQ(o2.replies[0].result, o1.replies[0].result);
  EXPECT_EQ(*s.lookup(as_bytes("a")), to_bytes("1"));
  auto o3 = ex.execute(3, f.batch({f.req(1, 4, kv::put("a", "old"))}));
  EXPECT_EQ(o3.replies[0].kind, ReplyKind::stale);
  EXPECT_EQ(*s.lookup(as_bytes("a")), to_bytes("1"));
  auto o4 = ex.execute(4, f.batch({f.req(1, 9, kv::get("a"))}));
  EXPECT_EQ(o4.replies[0].kind, ReplyKind::executed);
  EXPECT_EQ(result_of(o4.replies[0]).value, to_bytes("1"));
  EXPECT_EQ(ex.cached(1)->seq, 9u);
  EXPECT_EQ(ex.last_executed(), 4u);
}

TEST(Executor, RollbackRestoresAppStateAndDedupTable) {
  Fixture f;
  kv::KvStore s;
  Executor ex(s);
  ex.execute(1, f.batch({f.req(1, 1, kv::put("a", "1")), f.req(2, 1, kv::put("b", "1"))}));
  Hash32 d1 = ex.state_digest();
  Bytes snap1 = ex.snapshot();
  auto o2 = ex.execute(2, f.batch({f.req(1, 2, kv::put("a", "2")), f.req(3, 1, kv::put("c", "1"))}));
  ex.execute(3, f.batch({f.req(1, 3, kv::del("a"))}));
  EXPECT_NE(ex.state_digest(), d1);
  ex.rollback(1);
  EXPECT_EQ(ex.last_executed(), 1u);
  EXPECT_EQ(ex.state_digest(), d1);
  EXPECT_EQ(ex.snapshot(), snap1);
  EXPECT_EQ(ex.cached(1)->seq, 1u);
  EXPECT_FALSE(ex.cached(3).has_value());
  // After the rollback, seq 2 of client 1 executes again (it is no longer in the dedup table),
  // and a re-execution of the same batch gives the same results root and state.
  auto again = ex.execute(2, f.batch({f.req(1, 2, kv::put("a", "2")), f.req(3, 1, kv::put("c", "1"))}));
  EXPECT_EQ(again.replies[0].kind, ReplyKind::executed);
  EXPECT_EQ(again.results_root, o2.results_root);
  EXPECT_EQ(again.state_digest, o2.state_digest);
}

TEST(Executor, FinalBatchesCannotBeUndone) {
  Fixture f;
  kv::KvStore s;
  Executor ex(s);
  for (uint64_t k = 1; k <= 4; ++k) ex.execute(k, f.batch({f.req(1, k, kv::put("a", std::to_string(k)))}));
  ex.make_final(2);
  EXPECT_EQ(ex.undo_batches(), 2u);
  EXPECT_EQ(s.undo_batches(), 2u);
}

TEST(Executor, SnapshotRestoreIncludesDedupTable) {
  Fixture f;
  kv::KvStore s1, s2;
  Executor a(s1), b(s2);
  a.execute(1, f.batch({f.req(1, 1, kv::put("a", "1")), f.req(2, 7, kv::get("a"))}));
  ASSERT_TRUE(b.restore(a.snapshot()).ok());
  EXPECT_EQ(b.state_digest(), a.state_digest());
  EXPECT_EQ(b.last_executed(), 1u);
  auto o = b.execute(2, f.batch({f.req(2, 7, kv::get("a"))}));
  EXPECT_EQ(o.replies[0].kind, ReplyKind::cached);  // the restored replica still deduplicates
  Bytes bad = a.snapshot();
  bad.resize(bad.size() - 1);
  kv::KvStore s3;
  Executor c(s3);
  EXPECT_FALSE(c.restore(bad).ok());
  EXPECT_EQ(c.last_executed(), 0u);
}

TEST(Executor, ResultsRootAndStateDigestDependOnContent) {
  Fixture f;
  kv::KvStore s1, s2;
  Executor a(s1), b(s2);
  auto oa = a.execute(1, f.batch({f.req(1, 1, kv::put("a", "1"))}));
  auto ob = b.execute(1, f.batch({f.req(1, 1, kv::put("a", "2"))}));
  EXPECT_NE(oa.batch_digest, ob.batch_digest);
  EXPECT_NE(oa.state_digest, ob.state_digest);
  auto ga = a.execute(2, f.batch({f.req(1, 2, kv::get("a"))}));
  auto gb = b.execute(2, f.batch({f.req(1, 2, kv::get("a"))}));
  EXPECT_EQ(ga.batch_digest, gb.batch_digest);
  EXPECT_NE(ga.results_root, gb.results_root);  // same batch, different results
}

TEST(Executor, UndecodableBatchExecutesAsEmpty) {
  kv::KvStore s;
  Executor ex(s);
  Hash32 d0 = ex.state_digest();
  auto o = ex.execute(1, to_bytes("garbage"));
  EXPECT_TRUE(o.replies.empty());
  EXPECT_EQ(ex.last_executed(), 1u);
  EXPECT_NE(o.state_digest, d0);  // k is part of the state digest
}

TEST(Executor, ReplyCacheRemembersBatchAndResultsRoot) {
  Fixture f;
  kv::KvStore s1, s2;
  Executor a(s1), b(s2);
  auto o = a.execute(1, f.batch({f.req(1, 1, kv::put("a", "1")), f.req(2, 1, kv::get("a"))}));
  ASSERT_TRUE(b.restore(a.snapshot()).ok());
  for (Executor* ex : {&a, &b}) {
    auto c = ex->cached(2);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->k, 1u);
    EXPECT_EQ(c->root, o.results_root);  // survives snapshot/restore (state transfer)
  }
  // Later batches: clients already cached (entries updated in place), and a new client next to
  // one already cached (an insertion that can move the other entries of its bucket).
  auto o2 = a.execute(2, f.batch({f.req(1, 2, kv::put("a", "2")), f.req(2, 2, kv::get("a"))}));
  for (ClientId c : {1, 2}) EXPECT_EQ(a.cached(c)->root, o2.results_root) << c;
  auto o3 = a.execute(3, f.batch({f.req(1, 3, kv::put("b", "3")), f.req(3, 1, kv::get("b")), f.req(2, 2, kv::get("a"))}));
  for (ClientId c : {1, 3}) EXPECT_EQ(a.cached(c)->root, o3.results_root) << c;
  EXPECT_EQ(a.cached(2)->root, o2.results_root);  // the retry was answered, not executed again
  EXPECT_EQ(a.cached(2)->k, 2u);
}

TEST(Executor, ResultsRootIsAMerkleRootWithProofs) {
  Fixture f;
  kv::KvStore s;
  Executor ex(s);
  auto o = ex.execute(3, f.batch({f.req(1, 1, kv::put("a", "1")), f.req(2, 1, kv::get("a")), f.req(3, 1, kv::get("b"))}));
  std::vector<Hash32> leaves;
  for (const auto& r : o.replies) leaves.push_back(crypto::merkle::leaf_hash(reply_leaf(r)));
  crypto::merkle::Tree tree(leaves);
  EXPECT_EQ(tree.root(), o.results_root);
  ASSERT_TRUE(o.tree);
  EXPECT_EQ(o.tree->root(), o.results_root);  // the tree the replica proves replies with
  auto proof = o.tree->proof(1);
  ASSERT_TRUE(proof.ok());
  EXPECT_EQ(*proof, *tree.proof(1));
  EXPECT_TRUE(crypto::merkle::verify(o.results_root, leaves[1], *proof).ok());
  // Another client's entry, or another result, does not verify at that position.
  EXPECT_FALSE(crypto::merkle::verify(o.results_root, leaves[0], *proof).ok());
  auto forged = o.replies[1];
  forged.result = to_bytes("forged");
  EXPECT_FALSE(crypto::merkle::verify(o.results_root, crypto::merkle::leaf_hash(reply_leaf(forged)), *proof).ok());
}

// The batch builds its leaves several at a time (grouped by block count); each must equal the
// leaf a client computes alone from its reply, whatever the result's length.
TEST(Executor, BatchedLeavesEqualTheLeafAClientComputes) {
  std::vector<ReplyEntry> replies;
  for (size_t len : {0, 1, 10, 17, 18, 50, 64, 100, 200, 1000, 1100, 5000, 3}) {
    Bytes result(len);
    for (size_t i = 0; i < len; ++i) result[i] = static_cast<uint8_t>(i * 7 + len);
    replies.push_back({100 + len, len, ReplyKind::executed, result});
  }
  std::vector<Hash32> leaves;
  for (const auto& r : replies) {
    const Bytes leaf = reply_leaf(r);
    EXPECT_EQ(leaf.size() % 64, 0u) << r.result.size();
    leaves.push_back(crypto::merkle::leaf_hash(leaf));
  }
  EXPECT_EQ(results_tree(replies).root(), crypto::merkle::Tree(leaves).root());
}

// The invocation the state machine sees (DESIGN §7): height, position in the batch, client id
// and seq, the payload as the operation. Retries and stale requests never reach it.
TEST(Executor, TheStateMachineSeesWhoAskedAndWhere) {
  struct Recorder final : app::StateMachine {
    std::vector<std::tuple<uint64_t, uint32_t, uint64_t, uint64_t, Bytes, size_t>> seen;
    Bytes apply(const app::Invocation& in) override {
      seen.emplace_back(in.height, in.index, in.client, in.seq, Bytes(in.op.begin(), in.op.end()), in.principal.size());
      return {};
    }
    void undo_to(uint64_t) override {}
    void make_final(uint64_t) override {}
    Hash32 digest() const override { return {}; }
    Bytes snapshot() const override { return {}; }
    Status restore(ByteView) override { return {}; }
  } app;
  Executor ex(app);
  Batch b{{Request{3, 1, to_bytes("a"), {}}, Request{4, 7, to_bytes("b"), {}}, Request{3, 1, to_bytes("a"), {}}}};
  ex.execute(5, b, batch_digest(encode_batch(b)));
  ASSERT_EQ(app.seen.size(), 2u) << "the retry inside the batch is answered from the cache";
  EXPECT_EQ(app.seen[0], std::make_tuple(uint64_t{5}, uint32_t{0}, uint64_t{3}, uint64_t{1}, to_bytes("a"), size_t{0}));
  EXPECT_EQ(app.seen[1], std::make_tuple(uint64_t{5}, uint32_t{1}, uint64_t{4}, uint64_t{7}, to_bytes("b"), size_t{0}));
}
