// Each invariant checker must be able to fail: feed it broken histories directly.
#include <gtest/gtest.h>

#include "sim/invariants.hpp"

using namespace rampart;
using namespace rampart::sim;

namespace {
Hash32 h(uint8_t v) {
  Hash32 x{};
  x[0] = v;
  return x;
}
bool mentions(const InvariantChecker& c, const std::string& what) {
  for (const auto& v : c.violations()) {
    if (v.find(what) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

TEST(Invariants, ConsistentHistoryPasses) {
  InvariantChecker c(4);
  for (ReplicaId r = 0; r < 4; ++r) {
    c.on_execute(r, 1, h(1), h(11), h(21), {{1, 1}});
    c.on_execute(r, 2, h(2), h(12), h(22), {{1, 2}});
    c.on_final(r, 2);
    c.on_checkpoint_stable(r, 2, h(22));
  }
  c.on_accept(1, 1, 1, h(11));
  c.check_end();
  EXPECT_TRUE(c.ok());
}

TEST(Invariants, AgreementFiresOnDifferentFinalBatches) {
  InvariantChecker c(4);
  c.on_execute(0, 1, h(1), h(11), h(21), {});
  c.on_final(0, 1);
  c.on_execute(1, 1, h(2), h(12), h(22), {});
  EXPECT_TRUE(c.ok());  // speculative divergence alone is allowed
  c.on_final(1, 1);
  EXPECT_TRUE(mentions(c, "agreement"));
}

TEST(Invariants, ByzantineReplicasAreNotChecked) {
  InvariantChecker c(4);
  c.set_correct(3, false);
  c.on_execute(0, 1, h(1), h(11), h(21), {});
  c.on_final(0, 1);
  c.on_execute(3, 1, h(2), h(12), h(22), {});
  c.on_final(3, 1);
  EXPECT_TRUE(c.ok());
}

TEST(Invariants, DurabilityFiresWhenAcceptedResultIsReplaced) {
  InvariantChecker c(4);
  c.on_execute(0, 1, h(1), h(11), h(21), {});
  c.on_accept(7, 1, 1, h(11));
  c.on_rollback(0, 0);
  EXPECT_TRUE(c.ok());  // rolling back and re-executing the same result is fine...
  EXPECT_TRUE(c.unsettled());
  c.on_execute(0, 1, h(1), h(11), h(21), {});
  EXPECT_FALSE(c.unsettled());
  c.on_rollback(0, 0);
  c.on_execute(0, 1, h(2), h(12), h(22), {});
  EXPECT_TRUE(mentions(c, "durability"));  // ...another result at an accepted k is not
}

TEST(Invariants, DurabilityFiresWhenAcceptedResultIsRolledBackForGood) {
  InvariantChecker c(4);
  c.on_execute(0, 1, h(1), h(11), h(21), {});
  c.on_accept(7, 1, 1, h(11));
  c.on_rollback(0, 0);
  EXPECT_TRUE(c.unsettled());  // the simulator keeps running while a re-execution is owed
  c.check_end();
  EXPECT_TRUE(mentions(c, "did not execute it again"));
}

// A lagging replica executed k on a branch the cluster dropped before clients accepted another
// result there: the run goes on while it may still roll back, and check_end fails it if it
// never does (poe-mac seeds 12568, 19838).
TEST(Invariants, StaleSpeculationAtAcceptedKMustBeUndoneByTheEnd) {
  InvariantChecker c(4);
  c.on_execute(1, 1, h(1), h(11), h(21), {});
  c.on_execute(0, 1, h(2), h(12), h(22), {});  // replica 0: the dropped branch
  c.on_accept(7, 1, 1, h(11));
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE(c.unsettled());
  c.on_rollback(0, 0);
  EXPECT_FALSE(c.unsettled());  // rolled back: settled (it owes nothing it had accepted)
  c.on_execute(0, 1, h(2), h(12), h(22), {});
  EXPECT_TRUE(mentions(c, "durability"));  // executing the other branch again is a violation
  InvariantChecker d(4);
  d.on_execute(0, 1, h(2), h(12), h(22), {});
  d.on_accept(7, 1, 1, h(11));
  d.check_end();
  EXPECT_TRUE(mentions(d, "at the end replica 0 holds"));  // never undone: fails at the end
}

// After the clients accepted k (executed in view 1), a replica still in dead view 0 executes
// that view's certificate for k: the run goes on while it may roll back, and it fails if it
// never does or makes it final. The same contradiction in the accepted result's view or later
// fails at once (poe-mac f=2 seed 91085).
TEST(Invariants, DeadViewExecutionAfterAcceptanceIsJudgedAtTheEnd) {
  InvariantChecker c(4);
  c.on_execute(1, 1, h(1), h(11), h(21), {}, 1);
  c.on_accept(7, 1, 1, h(11));
  c.on_execute(0, 1, h(2), h(12), h(22), {}, 0);  // replica 0 in view 0
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE(c.unsettled());
  c.on_rollback(0, 0);
  EXPECT_FALSE(c.unsettled());
  c.check_end();
  EXPECT_TRUE(c.ok());

  InvariantChecker never(4);
  never.on_execute(1, 1, h(1), h(11), h(21), {}, 1);
  never.on_accept(7, 1, 1, h(11));
  never.on_execute(0, 1, h(2), h(12), h(22), {}, 0);
  never.check_end();
  EXPECT_TRUE(mentions(never, "at the end replica 0 holds"));

  InvariantChecker fin(4);
  fin.on_execute(1, 1, h(1), h(11), h(21), {}, 1);
  fin.on_accept(7, 1, 1, h(11));
  fin.on_execute(0, 1, h(2), h(12), h(22), {}, 0);
  fin.on_final(0, 1);
  EXPECT_TRUE(mentions(fin, "durability: final results"));

  for (uint64_t v : {1, 2}) {
    InvariantChecker same(4);
    same.on_execute(1, 1, h(1), h(11), h(21), {}, 1);
    same.on_accept(7, 1, 1, h(11));
    same.on_execute(0, 1, h(2), h(12), h(22), {}, v);
    EXPECT_TRUE(mentions(same, "where a client accepted")) << "view " << v;
  }
}

TEST(Invariants, DurabilityFiresWhenClientAcceptsAgainstFinalHistory) {
  InvariantChecker c(4);
  c.on_execute(0, 1, h(1), h(11), h(21), {});
  c.on_final(0, 1);
  c.on_accept(7, 1, 1, h(99));
  EXPECT_TRUE(mentions(c, "durability"));
}

TEST(Invariants, AtMostOnceFires) {
  InvariantChecker c(4);
  c.on_execute(0, 1, h(1), h(11), h(21), {{5, 1}});
  c.on_execute(0, 2, h(2), h(12), h(22), {{5, 1}});
  c.on_final(0, 2);
  EXPECT_TRUE(mentions(c, "at-most-once"));
}

TEST(Invariants, CheckpointDigestsMustAgree) {
  InvariantChecker c(4);
  c.on_checkpoint_stable(0, 8, h(1));
  c.on_checkpoint_stable(1, 8, h(2));
  EXPECT_TRUE(mentions(c, "checkpoint"));
}

TEST(Invariants, CheckpointMustMatchOwnState) {
  InvariantChecker c(4);
  c.on_execute(0, 1, h(1), h(11), h(21), {});
  c.on_checkpoint_stable(0, 1, h(99));
  c.on_final(0, 1);
  EXPECT_TRUE(mentions(c, "checkpoint"));
}

TEST(Invariants, RollbackBelowFinalFires) {
  InvariantChecker c(4);
  c.on_execute(0, 1, h(1), h(11), h(21), {});
  c.on_final(0, 1);
  c.on_rollback(0, 0);
  EXPECT_FALSE(c.ok());
}

TEST(Invariants, OutOfOrderExecutionFires) {
  InvariantChecker c(4);
  c.on_execute(0, 2, h(1), h(11), h(21), {});
  EXPECT_FALSE(c.ok());
}

// The broker path (invariant 6): a payload only a forged batch carried must never run, even
// speculatively; a (client, payload) final at two heights ran twice, whatever the seqs.
TEST(Invariants, ForgedBrokerPayloadFiresOnSpeculativeExecution) {
  InvariantChecker c(4);
  c.forbid(7, h(70));
  c.on_execute(0, 1, h(1), h(11), h(21), {{7, 3}}, 0, {{7, h(71)}});
  EXPECT_TRUE(c.ok());
  c.on_execute(1, 1, h(1), h(11), h(21), {{7, 3}}, 0, {{7, h(70)}});
  EXPECT_TRUE(mentions(c, "only a forged batch carried"));
}

TEST(Invariants, BrokeredPayloadFinalAtTwoHeightsFires) {
  InvariantChecker c(4);
  for (ReplicaId r = 0; r < 2; ++r) {  // the same k at two replicas, or again after a crash: fine
    c.on_execute(r, 1, h(1), h(11), h(21), {{7, 3}}, 0, {{7, h(70)}});
    c.on_final(r, 1);
  }
  c.on_reset(0, 0);
  c.on_execute(0, 1, h(1), h(11), h(21), {{7, 3}}, 0, {{7, h(70)}});
  c.on_final(0, 1);
  EXPECT_TRUE(c.ok());
  c.on_execute(1, 2, h(2), h(12), h(22), {{7, 9}}, 0, {{7, h(70)}});  // raised: another seq, same payload
  c.on_final(1, 2);
  EXPECT_TRUE(mentions(c, "at-most-once (broker path)"));
}
