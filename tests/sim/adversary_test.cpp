// The adversary catches something: each deliberately weakened replica rule (sim::Weaken) fails
// within a bounded range of seeds under the faults aimed at it, with the invariant the hole
// breaks, and the very seed that failed passes once the rule is whole again. A tactic that
// found nothing would be decoration; these tests keep them honest. The ranges are fixed (runs
// are deterministic); the random-start sweeps in protocols_test.cpp and `make sim-long` are what
// safety claims rest on.
//
// The holes run in the replica core itself, through unsafe options only the simulator sets
// (replica::ReplicaOptions::unsafe_ungated_votes). The simulator's former replica layer had
// three more weakenings that have no counterpart in the core (docs/simulator.md, "Weakened rules
// with no counterpart in the core"): shares of different views combining (threshold shares over
// different messages never combine), checkpoints signing only the state digest (a block is final
// only with its own proof), and vouching at execution (the protocol decides when to vouch).
#include <gtest/gtest.h>

#include <string>

#include "sim/simulator.hpp"

using namespace rampart;
using namespace rampart::sim;

namespace {

struct Hole {
  const char* protocol;
  uint32_t f;
  const char* faults;
  Weaken weaken;
  uint64_t seed_start;
  uint64_t seeds;
  const char* invariant;  // the violation's first word
};

SimOptions options(const Hole& h, uint64_t seed, Weaken w) {
  SimOptions o;
  o.protocol = h.protocol;
  o.f = h.f;
  o.faults = *FaultSet::parse(h.faults);
  o.seed = seed;
  o.weaken = w;
  return o;
}

void expect_caught(const Hole& h) {
  for (uint64_t s = h.seed_start; s < h.seed_start + h.seeds; ++s) {
    SimResult r = run_sim(options(h, s, h.weaken));
    if (r.ok) continue;
    ASSERT_FALSE(r.violations.empty());
    EXPECT_EQ(r.violations.front().rfind(h.invariant, 0), 0u)
        << "seed " << s << " failed, but not on " << h.invariant << ": " << r.violations.front();
    // The same seed with the rule whole: the hole was the weakening, not the run.
    SimResult whole = run_sim(options(h, s, Weaken::none));
    EXPECT_TRUE(whole.ok) << "seed " << s << " fails without the weakening too: "
                          << (whole.violations.empty() ? "" : whole.violations.front());
    return;
  }
  FAIL() << "the weakened rule survived seeds " << h.seed_start << ".." << h.seed_start + h.seeds - 1 << " ("
         << h.protocol << " f=" << h.f << " faults=" << h.faults << ")";
}

}  // namespace

// Shares and votes leave before the sync of the records they rest on (JournalGate and Proofs
// ungated), over the simulated ledger that loses unsynced writes: the whole cluster loses power
// just as a client's proof forms, and the restarted cluster orders something else at k.
// On the replica core it is caught on 18 of seeds 7000..7199 (first at 7008); which seeds catch
// it moves with every hashed value (the old world caught it on ~0.8% of seeds).
TEST(SimAdversary, CatchesSharesSentBeforeTheirSync) {
  expect_caught({"poe", 1, "crash_all,loss", Weaken::ungated_votes, 7000, 200, "durability"});
}

// The same in PoE's MAC variant, whose SUPPORT votes go to everyone, with the network delivering
// certificates to chosen replicas (first caught at seed 7042).
TEST(SimAdversary, CatchesMacVotesSentBeforeTheirSync) {
  expect_caught({"poe-mac", 1, "crash_all,loss,selective", Weaken::ungated_votes, 7000, 100, "durability"});
}
