#pragma once
// Running simulator seeds in tests: a seed that violates an invariant fails the test with its
// violations, its last events and the command that replays it.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

#include "sim/simulator.hpp"

namespace rampart::simtest {

struct Case {
  const char* protocol;
  uint32_t f;
  const char* faults;
  uint64_t seeds;
  uint32_t brokers = 0;  // SimOptions::brokers (sim/brokers.hpp)
  uint32_t signups = 0;  // SimOptions::signups
};

inline sim::SimOptions options(const Case& c, uint64_t seed) {
  sim::SimOptions o;
  o.protocol = c.protocol;
  o.seed = seed;
  o.f = c.f;
  o.faults = *sim::FaultSet::parse(c.faults);
  o.brokers = c.brokers;
  o.signups = c.signups;
  return o;
}

// One seed: it must hold every invariant and complete every client's requests.
inline sim::SimResult run_seed(const sim::SimOptions& o) {
  sim::SimResult r = sim::run_sim(o);
  if (!r.ok) {
    std::string msg;
    for (const auto& v : r.violations) msg += "  " + v + "\n";
    for (const auto& t : r.trace) msg += "    " + t + "\n";
    ADD_FAILURE() << "seed " << o.seed << " protocol " << o.protocol << " f=" << o.f << " faults=" << o.faults.str()
                  << " faulty=[" << r.setup << "]\n"
                  << msg << "replay: rampart sim --protocol " << o.protocol << " --seeds 1 --seed-start " << o.seed
                  << " --f " << o.f << " --faults " << o.faults.str() << " --clients " << o.clients << " --requests "
                  << o.requests_per_client << " --brokers " << o.brokers << " --signups " << o.signups << " --verbose";
    return r;
  }
  EXPECT_EQ(r.requests_accepted, uint64_t{o.clients} * o.requests_per_client) << "seed " << o.seed;
  return r;
}

// Seeds start .. start + c.seeds - 1; stops at the first that fails.
inline void run_seeds(const Case& c, uint64_t start) {
  for (uint64_t s = start; s < start + c.seeds; ++s) {
    run_seed(options(c, s));
    if (::testing::Test::HasFailure()) return;
  }
}

// Seeds nobody picked: a fresh random start per run (RAMPART_SIM_SEED_START replays one). A
// failure from it is a bug until its root cause is understood, never a flake to re-run.
inline uint64_t random_start() {
  if (const char* e = std::getenv("RAMPART_SIM_SEED_START")) return std::strtoull(e, nullptr, 10);
  std::random_device rd;
  return std::uniform_int_distribution<uint64_t>(1, 4'000'000'000ull)(rd);
}

}  // namespace rampart::simtest
