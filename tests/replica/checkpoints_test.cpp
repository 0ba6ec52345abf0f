// Stable checkpoints into the ledger with a fake host and a ledger in memory: a checkpoint is
// stored only once it is stable, certified and final here, with the snapshot of its own head;
// never an older one; and only the last two snapshots and certificates stay in memory.
#include "replica/checkpoints.hpp"

#include <gtest/gtest.h>

#include "replica/history.hpp"
#include "replica/mem_store.hpp"

namespace rampart::replica {
namespace {

using testing::History;
using testing::MemStore;

struct FakeHost final : CheckpointHost {
  void checkpoint_stored(uint64_t k) override { stored.push_back(k); }
  std::vector<uint64_t> stored;
};

// A replica whose ledger holds the history's first `final` blocks, final, having taken the
// executor snapshot at every multiple of 4 up to `executed`.
struct Replica {
  const History& h;
  MemStore store;
  CheckpointKeep keep;
  FakeHost host;
  Checkpoints cp{store, keep, host};

  Replica(const History& hist, uint64_t final, uint64_t executed) : h(hist), store(hist.blocks[0], hist.batches[0]) {
    grow(final);
    for (uint64_t k = 4; k <= executed; k += 4) keep.snapshots[k] = {h.blocks[k].state_digest, h.head(k), h.snaps[k]};
  }
  void grow(uint64_t to) {
    for (uint64_t k = store.last_block() + 1; k <= to; ++k) EXPECT_TRUE(store.append_block(h.blocks[k], h.batches[k], false));
  }
  consensus::CheckpointCert cert(uint64_t k) const { return {k, 2, h.head(k), h.checkpoint(k).signatures}; }
};

TEST(Checkpoints, StoredOnceStableCertifiedAndFinal) {
  History h(20);
  Replica r(h, 16, 16);
  r.cp.stable(16, h.head(16));
  r.cp.try_store();
  EXPECT_FALSE(r.store.checkpoint());  // no certificate yet
  r.cp.certified(r.cert(16));
  ASSERT_TRUE(r.store.checkpoint());
  auto rec = *r.store.checkpoint();
  EXPECT_EQ(rec.k, 16u);
  EXPECT_EQ(rec.view, 2u);
  EXPECT_EQ(rec.head, h.head(16));
  EXPECT_EQ(rec.state_digest, h.blocks[16].state_digest);
  EXPECT_EQ(rec.signatures.size(), 3u);
  EXPECT_EQ((*r.store.snapshot())->state, h.snaps[16]);
  EXPECT_EQ(r.host.stored, std::vector<uint64_t>{16});
}

TEST(Checkpoints, WaitsUntilItsBlockIsFinalHere) {
  History h(20);
  Replica r(h, 12, 16);
  r.cp.certified(r.cert(16));  // certificates may come first
  r.cp.stable(16, h.head(16));
  r.cp.try_store();
  EXPECT_FALSE(r.store.checkpoint());
  r.grow(16);
  r.cp.try_store();
  ASSERT_TRUE(r.store.checkpoint());
  EXPECT_EQ(r.store.checkpoint()->k, 16u);
}

TEST(Checkpoints, NotStoredWithAnotherHeadsSnapshotOrCertificate) {
  History h(20);
  Replica r(h, 16, 16);
  r.keep.snapshots[16].head = h.head(15);  // the snapshot we took is not of the head nf vouched for
  r.cp.stable(16, h.head(16));
  r.cp.certified(r.cert(16));
  EXPECT_FALSE(r.store.checkpoint());
  Replica s(h, 16, 16);
  auto other = s.cert(16);
  other.head = h.head(15);
  s.cp.stable(16, h.head(16));
  s.cp.certified(other);
  EXPECT_FALSE(s.store.checkpoint());
  EXPECT_TRUE(r.host.stored.empty());
  EXPECT_TRUE(s.host.stored.empty());
}

TEST(Checkpoints, NeverGoesBackAndKeepsTheLastTwo) {
  History h(20);
  Replica r(h, 20, 16);
  r.cp.certified(r.cert(8));
  r.cp.certified(r.cert(12));
  r.cp.certified(r.cert(16));
  EXPECT_EQ(r.keep.certs.size(), 2u);
  EXPECT_EQ(r.keep.certs.begin()->first, 12u);
  r.cp.stable(16, h.head(16));
  r.cp.stable(12, h.head(12));  // older than the latest stable one: ignored
  EXPECT_EQ(r.cp.latest_stable()->first, 16u);
  r.cp.try_store();
  ASSERT_TRUE(r.store.checkpoint());
  EXPECT_EQ(r.store.checkpoint()->k, 16u);
  ASSERT_EQ(r.keep.snapshots.size(), 2u);
  EXPECT_EQ(r.keep.snapshots.begin()->first, 16u - 4);
  // Stored already: nothing written again.
  r.cp.try_store();
  r.cp.certified(r.cert(16));
  EXPECT_EQ(r.host.stored, std::vector<uint64_t>{16});
}

}  // namespace
}  // namespace rampart::replica
