// PoE (threshold and MAC variant) and PBFT under the simulator, each replica the replica core
// the process runs: seeds with every fault for f=1, some for f=2, a sweep from a random start, and
// exact replay. A core seed costs ~0.4 s (f=2: ~0.8 s), so these sweeps are small; the
// random-start sweeps of `make sim-long` are where the thousands run.
#include <gtest/gtest.h>

#include <cstdio>

#include "sim/seeds.hpp"

using namespace rampart;
using namespace rampart::sim;
using simtest::Case;
using simtest::run_seeds;

TEST(SimPoe, NoFaults) { run_seeds({"poe", 1, "none", 5}, 1); }
TEST(SimPoe, NetworkFaults) { run_seeds({"poe", 1, "loss,delay,duplicate,reorder,partition", 15}, 1000); }
TEST(SimPoe, AllFaultsF1) { run_seeds({"poe", 1, "all", 80}, 2000); }
TEST(SimPoe, AllFaultsF2) { run_seeds({"poe", 2, "all", 15}, 3000); }

// PoE's MAC variant (Config::mac_variant: SUPPORT signed and sent to all, view-commit at nf
// matching SUPPORTs), the same protocol object under `--protocol poe-mac`.
TEST(SimPoeMac, NoFaults) { run_seeds({"poe-mac", 1, "none", 5}, 1); }
TEST(SimPoeMac, NetworkFaults) { run_seeds({"poe-mac", 1, "loss,delay,duplicate,reorder,partition", 15}, 1000); }
TEST(SimPoeMac, AllFaultsF1) { run_seeds({"poe-mac", 1, "all", 80}, 5001); }
TEST(SimPoeMac, AllFaultsF2) { run_seeds({"poe-mac", 2, "all", 15}, 4001); }

TEST(SimPbft, NoFaults) { run_seeds({"pbft", 1, "none", 5}, 1); }
TEST(SimPbft, NetworkFaults) { run_seeds({"pbft", 1, "loss,delay,duplicate,reorder,partition", 15}, 1000); }
TEST(SimPbft, AllFaultsF1) { run_seeds({"pbft", 1, "all", 80}, 2000); }
TEST(SimPbft, AllFaultsF2) { run_seeds({"pbft", 2, "all", 15}, 3000); }

// Seeds nobody picked: every run of the suite sweeps from a fresh random start (printed; set
// RAMPART_SIM_SEED_START to replay one). `make sim-long` sweeps far wider.
TEST(SimSweep, RandomStart) {
  const uint64_t start = simtest::random_start();
  std::printf("[ sweep    ] seed start %llu (RAMPART_SIM_SEED_START=%llu replays it)\n",
              static_cast<unsigned long long>(start), static_cast<unsigned long long>(start));
  RecordProperty("seed_start", std::to_string(start));
  // f = 1 with the broker path on (sim/brokers.hpp: two brokers, the second lying on half the seeds).
  for (const Case& c : {Case{"poe", 1, "all", 40, 2}, Case{"poe-mac", 1, "all", 40, 2}, Case{"pbft", 1, "all", 40, 2},
                        Case{"poe", 2, "all", 8}, Case{"poe-mac", 2, "all", 8}, Case{"pbft", 2, "all", 8}}) {
    run_seeds(c, start);
    if (HasFailure()) return;
  }
}

TEST(SimDeterminism, SameSeedSameTraceHash) {
  for (const char* p : {"poe", "poe-mac", "pbft"}) {
    const SimOptions o = simtest::options({p, 1, "all", 1}, 77);
    SimResult a = run_sim(o);
    SimResult b = run_sim(o);
    EXPECT_EQ(a.trace_hash, b.trace_hash) << p;
    EXPECT_EQ(a.steps, b.steps) << p;
    EXPECT_EQ(a.trace, b.trace) << p;
    EXPECT_NE(a.trace_hash, run_sim(simtest::options({p, 1, "all", 1}, 78)).trace_hash) << p;
  }
}
