// Faults aimed at the replica core's own machinery: crashes that lose unsynced writes, the
// restart handshake from a replica's own disk (alone or with the whole cluster), and a replica
// whose shares and replies lie, which clients must see through by checking CART proofs.
#include <gtest/gtest.h>

#include "sim/seeds.hpp"

using namespace rampart;
using namespace rampart::sim;
using simtest::run_seeds;

// Crashes lose what was not synced; the replica comes back from its disk through the restart
// handshake, alone or with the whole cluster.
TEST(SimCore, CrashesAndRestarts) {
  for (const char* p : {"poe", "pbft"}) run_seeds({p, 1, "crash,crash_all,loss", 20}, 2000);
}

// A replica whose replies and shares lie cannot make a client accept anything: the client
// checks the group signature, and the run completes on the honest replicas' proofs.
TEST(SimCore, ALyingReplicaCannotMakeAClientAccept) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SimOptions o = simtest::options({"poe", 1, "lie", 1}, seed);
    o.force_byzantine = 1;
    o.force_behaviour = Fault::lie;
    simtest::run_seed(o);
  }
}

// Restarts are real: a crashed replica recovers from its own disk, state transfer happens.
TEST(SimCore, CrashedReplicasComeBackFromTheirDisk) {
  uint64_t transfers_or_rollbacks = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SimOptions o = simtest::options({"poe", 1, "crash,crash_all", 1}, seed);
    o.requests_per_client = 60;
    const SimResult r = simtest::run_seed(o);
    transfers_or_rollbacks += r.state_transfers + r.rollbacks;
  }
  EXPECT_GT(transfers_or_rollbacks, 0u);
}
