// The simulator itself, driven by the test-only Sequencer protocol plugged into the replica core
// (SimOptions::factory): it completes workloads under network faults, replays seeds exactly, and
// its checkers report broken protocols.
#include <gtest/gtest.h>

#include "sim/simulator.hpp"
#include "sim/sequencer.hpp"

using namespace rampart;
using namespace rampart::sim;

namespace {
SimOptions sequencer(simtest::Mode mode, uint64_t seed, const char* faults = "none") {
  SimOptions o;
  o.seed = seed;
  o.faults = *FaultSet::parse(faults);
  o.factory = [mode](const consensus::Config& c, consensus::Crypto, consensus::Env& e) {
    return std::make_unique<simtest::Sequencer>(c, e, mode);
  };
  return o;
}
std::string all_violations(const SimResult& r) {
  std::string s;
  for (const auto& v : r.violations) s += v + "\n";
  return s;
}
bool mentions(const SimResult& r, const std::string& what) { return all_violations(r).find(what) != std::string::npos; }
}  // namespace

TEST(SimHarness, FaultParsing) {
  EXPECT_EQ(FaultSet::parse("all")->str(), FaultSet::all().str());
  EXPECT_EQ(FaultSet::parse("loss,dup")->str(), "loss,duplicate");
  EXPECT_TRUE(FaultSet::parse("none")->empty());
  EXPECT_FALSE(FaultSet::parse("loss,gremlins").ok());
}

TEST(SimHarness, CorrectSequencerCompletesUnderNetworkFaults) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SimResult r = run_sim(sequencer(simtest::Mode::correct, seed, "loss,delay,duplicate,reorder,partition"));
    ASSERT_TRUE(r.ok) << "seed " << seed << "\n" << all_violations(r);
    EXPECT_EQ(r.requests_accepted, 4u * 20u);
    EXPECT_GT(r.batches_final, 0u);
  }
}

TEST(SimHarness, SameSeedReplaysExactly) {
  SimResult a = run_sim(sequencer(simtest::Mode::correct, 42, "loss,delay,duplicate,reorder,partition"));
  SimResult b = run_sim(sequencer(simtest::Mode::correct, 42, "loss,delay,duplicate,reorder,partition"));
  SimResult c = run_sim(sequencer(simtest::Mode::correct, 43, "loss,delay,duplicate,reorder,partition"));
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_NE(a.trace_hash, c.trace_hash);
}

// A sequencer that orders different batches at the same k for the two halves of the cluster.
// On the replica core neither half's block is ever final (finality needs a CART proof: nf shares
// over one block), so the divergence shows where two correct replicas commit to a history
// without one: their stable checkpoints name different ledger heads. (The checker's agreement
// rule over final blocks has its own test: Invariants.AgreementFiresOnDifferentFinalBatches.)
TEST(SimHarness, CheckpointCheckerFiresOnSplitSequencer) {
  SimResult r = run_sim(sequencer(simtest::Mode::split, 1));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(mentions(r, "checkpoint")) << all_violations(r);
  EXPECT_FALSE(r.trace.empty());
}

// A protocol that rolls back results clients already accepted, and orders them anew: the core
// never rolls back below its final point (a block with a stored proof), so what clients hold
// stands. (The durability checker firing on the core: SimAdversary's ungated_votes tests.)
TEST(SimHarness, ProvenResultsOutliveARollingBackProtocol) {
  uint64_t rollbacks = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SimOptions o = sequencer(simtest::Mode::rollback, seed);
    o.batch_size = 1;  // one request per batch: k=3 and k=4 are answered before the rollback
    SimResult r = run_sim(o);
    EXPECT_TRUE(r.ok) << "seed " << seed << "\n" << all_violations(r);
    EXPECT_EQ(r.requests_accepted, 4u * 20u) << "seed " << seed;
    rollbacks += r.rollbacks;
  }
  // The protocol's rollbacks happened, down to the final point (not a run that never tried).
  EXPECT_GT(rollbacks, 0u);
}

TEST(SimHarness, LivenessCheckerFiresWhenNothingExecutes) {
  SimOptions o = sequencer(simtest::Mode::stall, 1);
  o.liveness_bound_ms = 2000;
  SimResult r = run_sim(o);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(mentions(r, "liveness")) << all_violations(r);
}

// (A lying replica cannot make a client accept: SimCore.ALyingReplicaCannotMakeAClientAccept,
// on PoE, where a lie must get past CART proofs rather than the Sequencer's trust.)

// Both protocols exist: a factory that makes none fails the run, it is never skipped.
TEST(SimHarness, NullFactoryFailsTheRun) {
  SimOptions o;
  o.factory = [](const consensus::Config&, consensus::Crypto, consensus::Env&) {
    return std::unique_ptr<consensus::Protocol>();
  };
  SimResult r = run_sim(o);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(mentions(r, "cannot start")) << all_violations(r);
}
