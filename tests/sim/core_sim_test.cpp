// The simulator on the replica core (`rampart sim --core`): replica::Replica, the class the
// process runs, under crashes that lose unsynced writes, restarts through the handshake, network
// faults and Byzantine replicas (the strategic adversary's tactics included); clients accept only
// verified CART proofs. Seeds from fixed
// starts and from a random one.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "sim/simulator.hpp"

using namespace rampart;
using namespace rampart::sim;

namespace {

// Every fault, the strategic adversary's tactics included (sim/core_world.hpp).
constexpr const char* kCoreFaults = "all";

struct Case {
  const char* protocol;
  uint32_t f;
  const char* faults;
  uint64_t seeds;
};

SimOptions options(const Case& c, uint64_t seed) {
  SimOptions o;
  o.protocol = c.protocol;
  o.seed = seed;
  o.f = c.f;
  o.faults = *FaultSet::parse(c.faults);
  o.core = true;
  return o;
}

void run_seeds(const Case& c, uint64_t seed_start) {
  for (uint64_t s = seed_start; s < seed_start + c.seeds; ++s) {
    SimOptions o = options(c, s);
    SimResult r = run_sim(o);
    if (!r.ok) {
      std::string msg;
      for (const auto& v : r.violations) msg += "  " + v + "\n";
      for (const auto& t : r.trace) msg += "    " + t + "\n";
      FAIL() << "seed " << s << " protocol " << c.protocol << " f=" << c.f << " faults=" << c.faults << " faulty=["
             << r.setup << "]\n"
             << msg << "replay: rampart sim --core --protocol " << c.protocol << " --seeds 1 --seed-start " << s
             << " --f " << c.f << " --faults " << c.faults << " --verbose";
    }
    EXPECT_EQ(r.requests_accepted, uint64_t{o.clients} * o.requests_per_client) << "seed " << s;
  }
}

uint64_t random_start() {
  if (const char* e = std::getenv("RAMPART_SIM_SEED_START")) return std::strtoull(e, nullptr, 10);
  std::random_device rd;
  return std::uniform_int_distribution<uint64_t>(1, 4'000'000'000ull)(rd);
}

}  // namespace

TEST(SimCore, NoFaults) {
  for (const char* p : {"poe", "poe-mac", "pbft"}) run_seeds({p, 1, "none", 10}, 1);
}

TEST(SimCore, NetworkFaults) {
  for (const char* p : {"poe", "pbft"}) run_seeds({p, 1, "loss,delay,duplicate,reorder,partition", 30}, 1000);
}

// Crashes lose what was not synced; the replica comes back from its disk through the restart
// handshake, alone or with the whole cluster.
TEST(SimCore, CrashesAndRestarts) {
  for (const char* p : {"poe", "pbft"}) run_seeds({p, 1, "crash,crash_all,loss", 40}, 2000);
}

TEST(SimCore, AllFaultsF1) {
  for (const char* p : {"poe", "poe-mac", "pbft"}) run_seeds({p, 1, kCoreFaults, 40}, 3000);
}

TEST(SimCore, AllFaultsF2) {
  for (const char* p : {"poe", "pbft"}) run_seeds({p, 2, kCoreFaults, 10}, 4000);
}

TEST(SimCore, RandomStart) {
  const uint64_t start = random_start();
  std::printf("[ sweep    ] core seed start %llu (RAMPART_SIM_SEED_START=%llu replays it)\n",
              static_cast<unsigned long long>(start), static_cast<unsigned long long>(start));
  RecordProperty("seed_start", std::to_string(start));
  for (const char* p : {"poe", "poe-mac", "pbft"}) run_seeds({p, 1, kCoreFaults, 30}, start);
}

TEST(SimCore, SameSeedReplaysExactly) {
  const Case c{"poe", 1, kCoreFaults, 1};
  SimResult a = run_sim(options(c, 77));
  SimResult b = run_sim(options(c, 77));
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.steps, b.steps);
  SimResult other = run_sim(options(c, 78));
  EXPECT_NE(a.trace_hash, other.trace_hash);
}

// A replica whose replies and shares lie cannot make a client accept anything: the client
// checks the group signature, and the run completes on the honest replicas' proofs.
TEST(SimCore, ALyingReplicaCannotMakeAClientAccept) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SimOptions o = options({"poe", 1, "lie", 1}, seed);
    o.force_byzantine = 1;
    o.force_behaviour = Fault::lie;
    SimResult r = run_sim(o);
    ASSERT_TRUE(r.ok) << (r.violations.empty() ? "" : r.violations[0]);
    EXPECT_EQ(r.requests_accepted, uint64_t{o.clients} * o.requests_per_client);
  }
}

// Restarts are real: a crashed replica recovers from its own disk, state transfer happens.
TEST(SimCore, CrashedReplicasComeBackFromTheirDisk) {
  uint64_t transfers_or_rollbacks = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SimOptions o = options({"poe", 1, "crash,crash_all", 1}, seed);
    o.requests_per_client = 60;
    SimResult r = run_sim(o);
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << (r.violations.empty() ? "" : r.violations[0]);
    transfers_or_rollbacks += r.state_transfers + r.rollbacks;
  }
  EXPECT_GT(transfers_or_rollbacks, 0u);
}
