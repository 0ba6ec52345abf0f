// The broker path under the simulator (sim/brokers.hpp, issue 17): honest brokers' batches are
// delivered with a certificate that verifies, under crashes, partitions and message faults; each
// way a Byzantine broker lies gets nothing forged executed and nothing executed twice. Every
// case asserts that its lie really reached a correct replica (a vacuity guard), on a pinned seed.
#include <gtest/gtest.h>

#include "sim/brokers.hpp"
#include "sim/seeds.hpp"

using namespace rampart;
using namespace rampart::sim;
using core::BrokerLie;

namespace {

SimOptions with_brokers(const char* protocol, const char* faults, uint64_t seed, BrokerLie lie) {
  SimOptions o = simtest::options({protocol, 1, faults, 1}, seed);
  o.brokers = 2;
  o.force_broker_lie = lie == BrokerLie::none ? -1 : static_cast<int>(lie);
  o.requests_per_client = 8;  // the brokers are what these runs are about
  return o;
}

// Broker 1 lies as told; broker 0 is honest and must have every batch delivered.
SimResult run_lie(const char* protocol, BrokerLie lie, uint64_t seed) {
  const SimOptions o = with_brokers(protocol, "loss,delay,reorder", seed, lie);
  SimResult r = simtest::run_seed(o);
  EXPECT_GE(r.broker_deliveries, o.broker_batches) << core::lie_name(lie) << " seed " << seed;
  EXPECT_GT(r.broker_lies, 0u) << core::lie_name(lie) << " seed " << seed << ": the lie never reached a correct replica";
  EXPECT_GT(r.brokered_executed, 0u);
  return r;
}

class LyingBroker : public ::testing::TestWithParam<const char*> {};

// Batches that must be refused: their payloads are registered as forged, and the checker fails
// the run if a correct replica executes any of them, even speculatively.
TEST_P(LyingBroker, ForgedAggregateIsNeverExecuted) { run_lie(GetParam(), BrokerLie::forged_aggregate, 11); }
TEST_P(LyingBroker, AggregateOverAnotherRootIsNeverExecuted) { run_lie(GetParam(), BrokerLie::wrong_root, 12); }
TEST_P(LyingBroker, ForgedStragglerIsNeverExecuted) { run_lie(GetParam(), BrokerLie::forged_straggler, 13); }
TEST_P(LyingBroker, EntryOfAnUnknownClientIsNeverExecuted) { run_lie(GetParam(), BrokerLie::unknown_client, 14); }

TEST_P(LyingBroker, BatchUnderAnotherBrokersIdIsRefusedOnTheConnection) {
  const SimResult r = run_lie(GetParam(), BrokerLie::other_broker, 15);
  EXPECT_GT(r.broker_refusals, 0u);  // on_client_frame returned false at a correct replica
}

// Valid batches again: ordered again, but every entry is answered cached or stale, and the
// checker fails the run if a (client, payload) is final at two heights.
TEST_P(LyingBroker, ReplayedBatchExecutesNothingTwice) {
  const SimResult r = run_lie(GetParam(), BrokerLie::replay, 16);
  EXPECT_GT(r.brokered_repeats, 0u);
}
TEST_P(LyingBroker, RenumberedOrReRaisedBatchExecutesNothingTwice) {
  const SimResult r = run_lie(GetParam(), BrokerLie::renumber, 17);
  EXPECT_GT(r.brokered_repeats, 0u);
}
TEST_P(LyingBroker, OneNumberTwoContentsExecutesOneSeqOnce) {
  const SimResult r = run_lie(GetParam(), BrokerLie::equivocate, 18);
  EXPECT_GT(r.brokered_repeats, 0u);  // the other content came second: stale
}

TEST_P(LyingBroker, AnotherBrokersBatchCopiedExecutesNothingTwice) {
  const SimResult r = run_lie(GetParam(), BrokerLie::copy_other, 19);
  EXPECT_GT(r.brokered_repeats, 0u);  // whichever copy came second was answered from the cache
}

INSTANTIATE_TEST_SUITE_P(Protocols, LyingBroker, ::testing::Values("poe", "poe-mac", "pbft"));

// Honest brokers only, under crashes, partitions and message faults: every batch delivered
// (resubmitted to the next replica when its entry replica is down or cut off).
TEST(HonestBrokers, DeliveredUnderCrashesAndPartitions) {
  uint64_t resubmits = 0;
  for (const char* p : {"poe", "poe-mac", "pbft"}) {
    for (uint64_t seed = 21; seed < 24; ++seed) {
      const SimOptions o = with_brokers(p, "loss,duplicate,reorder,partition,crash,crash_all", seed, BrokerLie::none);
      const SimResult r = simtest::run_seed(o);
      EXPECT_EQ(r.broker_deliveries, 2u * o.broker_batches) << p << " seed " << seed;
      resubmits += r.broker_resubmits;
    }
  }
  EXPECT_GT(resubmits, 0u);  // some entry replica was down, cut off, or lost the batch
}

// Every fault and tactic, brokers drawn per seed (honest, or broker 1 lying), as `rampart sim`
// sweeps them; SimSweep.RandomStart runs the same from a random start.
TEST(BrokerSweep, AllFaultsF1) {
  for (const char* p : {"poe", "poe-mac", "pbft"}) {
    simtest::run_seeds({p, 1, "all", 6, 2}, 7000);
    if (HasFailure()) return;
  }
}

TEST(HonestBrokers, SameSeedSameTrace) {
  const SimOptions o = with_brokers("poe", "all", 5, BrokerLie::none);
  const SimResult a = run_sim(o), b = run_sim(o);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.broker_deliveries, b.broker_deliveries);
}

}  // namespace
