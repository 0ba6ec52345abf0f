// PBFT under the simulator, beyond protocols_test's seed ranges: seeds where a replica's state is
// transferred (the path that raced with catch-up by certificates before the simulator dropped
// late state responses) and longer workloads, where a restarted replica falls more than one
// window behind and must fetch state. The seeds were picked in the simulator's former replica
// layer and now run as ordinary seeds of the core world (the same number draws another run).
// Each seed replays with
//   rampart sim --protocol pbft --seeds 1 --seed-start S --f F --faults all [--clients C] [--requests R] --verbose
#include <gtest/gtest.h>

#include "sim/seeds.hpp"

using namespace rampart;

namespace {

sim::SimResult run_pbft(uint64_t seed, uint32_t f, uint32_t requests = 20, uint32_t clients = 4) {
  sim::SimOptions o = simtest::options({"pbft", f, "all", 1}, seed);
  o.requests_per_client = requests;
  o.clients = clients;
  return simtest::run_seed(o);
}

}  // namespace

// Seeds in which a lagging PBFT replica catches up from its peers (f = 1, all faults, default
// workload). On the core such a replica fetches the proven blocks it lacks and replays them (it
// installs a snapshot only when those blocks are pruned). Which seeds do this moves with every
// hashed value and every timing rule: the former replica layer's seeds (60, 96, 163, 243, 363,
// 424, 460, 523, 590) stopped doing it on the core with one batch digest for all layers and the
// direct path's witnesses (2026-12-07); these were picked then from 1..80
// (`rampart sim --protocol pbft --seeds 1 --seed-start S --faults all`, "catch-ups by replay").
// The sum guards against the test going vacuous: re-pick when it fires.
TEST(SimPbftRegression, CatchUpSeedsF1) {
  uint64_t catch_ups = 0;
  for (uint64_t seed : {13, 30, 39, 43}) {
    const sim::SimResult r = run_pbft(seed, 1);
    catch_ups += r.state_transfers + r.replays;
  }
  EXPECT_GE(catch_ups, 1u) << "no seed catches up from its peers any more: pick new ones";
}

// Heavier workloads than the default: 16 clients (full batches) and 100 requests per client
// (runs five times as long). Swept without failure in the former replica layer on 2026-11-24:
// --clients 16 f=1 seeds 1..1000, f=2 1..500; --requests 100 f=1 1..2000, f=2 1..500. A few
// seeds of each here.
TEST(SimPbftRegression, HeavierWorkloads) {
  for (uint64_t seed = 1; seed <= 4; ++seed) run_pbft(seed, 1, 20, 16);
  run_pbft(1, 2, 20, 16);
  run_pbft(1, 1, 100);
  run_pbft(1, 2, 100);
}

// A whole-cluster crash after a batch's PREPAREs: the Byzantine replica held the only prepared
// certificate, the correct replicas had journaled their votes by digest only, and every view
// after it stalled on a seq whose bytes nobody had (found by make sim-long, 1 of 70,000 seeds).
// The vote record now carries the batch (PbftJournal.ABatchWeOnlyPreparedSurvivesAWholeClusterCrash).
TEST(SimPbftRegression, APreparedBatchSurvivesAWholeClusterCrash) { run_pbft(361197688, 1); }
