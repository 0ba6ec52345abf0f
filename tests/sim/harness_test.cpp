// The simulator itself, driven by the test-only Sequencer protocol: it completes workloads
// under network faults, replays seeds exactly, and reports broken protocols.
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
  for (uint64_t seed = 1; seed <= 20; ++seed) {
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

TEST(SimHarness, AgreementCheckerFiresOnSplitSequencer) {
  SimResult r = run_sim(sequencer(simtest::Mode::split, 1));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(mentions(r, "agreement")) << all_violations(r);
  EXPECT_FALSE(r.trace.empty());
}

TEST(SimHarness, DurabilityCheckerFiresOnRollbackOfAcceptedResult) {
  SimOptions o = sequencer(simtest::Mode::rollback, 1);
  o.batch_size = 1;  // one request per batch: k=3 and k=4 are answered before the rollback
  SimResult r = run_sim(o);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(mentions(r, "durability")) << all_violations(r);
}

TEST(SimHarness, LivenessCheckerFiresWhenNothingExecutes) {
  SimOptions o = sequencer(simtest::Mode::stall, 1);
  o.liveness_bound_ms = 2000;
  SimResult r = run_sim(o);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(mentions(r, "liveness")) << all_violations(r);
}

TEST(SimHarness, LyingReplicaCannotMakeAClientAccept) {
  // One replica lies in every reply; clients need nf matching replies, so they still finish
  // with the true results and no durability violation appears.
  SimOptions o = sequencer(simtest::Mode::correct, 5, "lie");
  o.force_byzantine = 3;
  o.force_behaviour = Fault::lie;
  SimResult r = run_sim(o);
  EXPECT_TRUE(r.ok) << all_violations(r);
  EXPECT_EQ(r.requests_accepted, 80u);
}

TEST(SimHarness, NullFactoryIsReportedAsSkipped) {
  SimOptions o;
  o.factory = [](const consensus::Config&, consensus::Crypto, consensus::Env&) {
    return std::unique_ptr<consensus::Protocol>();
  };
  EXPECT_TRUE(run_sim(o).skipped);
}
