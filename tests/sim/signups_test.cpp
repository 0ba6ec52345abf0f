// Client sign-up under the simulator (replica/client_directory.hpp): direct clients sign their
// keys up (one request in five) among their KV operations, under every fault and with brokers;
// the replicas must agree on every block's results and state (which hold the directory), through
// speculative rollbacks, state transfers, crashes and restarts. A client whose sign-up came back
// proven is then served by the honest broker too (sim/brokers.hpp, Brokers::signed_up), so
// batches reach replicas whose final directory may not hold it yet. Fixed seeds, so a failure
// replays; `rampart sim` sweeps random ones with --signups 10 by default.
#include <gtest/gtest.h>

#include "sim/seeds.hpp"

using namespace rampart;

namespace {

class SimSignups : public ::testing::TestWithParam<const char*> {};

TEST_P(SimSignups, SignUpsAmongEveryFaultKeepTheReplicasInAgreement) {
  const simtest::Case c{GetParam(), 1, "all", 8, 2, 5};
  uint64_t signups = 0, served = 0;
  for (uint64_t s = 7100; s < 7100 + c.seeds; ++s) {
    const sim::SimResult r = simtest::run_seed(simtest::options(c, s));
    if (::testing::Test::HasFailure()) return;
    signups += r.signups_executed;
    served += r.broker_signed_up_entries;
  }
  EXPECT_GT(signups, 0u) << "vacuity: no sign-up executed";
  EXPECT_GT(served, 0u) << "vacuity: no signed-up client's entry delivered through a broker";
}

INSTANTIATE_TEST_SUITE_P(Protocols, SimSignups, ::testing::Values("poe", "pbft"));

}  // namespace
