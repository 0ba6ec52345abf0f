// rampart sim: runs the deterministic simulator over a range of seeds and prints a summary and
// a benchmark line (simulated operations per simulated second, simulator steps per wall-clock
// second). A violation prints the seed, protocol, faults and the last events, and exits 1.
#include <chrono>
#include <cstdio>

#include "cli/commands.hpp"
#include "sim/simulator.hpp"

namespace rampart::cli {
namespace {

struct SimArgs {
  std::string protocol = "poe";
  uint64_t seeds = 100;
  uint64_t seed_start = 1;
  std::string faults = "all";
  uint32_t f = 1;
  uint32_t clients = 4;
  uint32_t requests = 20;
  bool verbose = false;
  bool keep_going = false;
  std::string weaken = "none";
  uint64_t fault_phase_ms = 3000;
};

sim::Weaken weaken_of(const std::string& s) {
  if (s == "cross_view_proofs") return sim::Weaken::cross_view_proofs;
  if (s == "vouch_at_execution") return sim::Weaken::vouch_at_execution;
  if (s == "state_checkpoints") return sim::Weaken::state_checkpoints;
  if (s == "ungated_votes") return sim::Weaken::ungated_votes;
  return sim::Weaken::none;
}

int run(const SimArgs& a) {
  auto faults = sim::FaultSet::parse(a.faults);
  if (!faults) {
    std::fprintf(stderr, "rampart sim: %s\n", faults.error().message.c_str());
    return 2;
  }
  uint64_t failed = 0, skipped = 0, steps = 0, sim_us = 0, accepted = 0, vcs = 0, rollbacks = 0, transfers = 0,
           vouched_rollbacks = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t s = a.seed_start; s < a.seed_start + a.seeds; ++s) {
    sim::SimOptions o;
    o.protocol = a.protocol;
    o.seed = s;
    o.f = a.f;
    o.faults = *faults;
    o.clients = a.clients;
    o.requests_per_client = a.requests;
    o.verbose = a.verbose;
    o.weaken = weaken_of(a.weaken);
    o.fault_phase_ms = a.fault_phase_ms;
    sim::SimResult r = sim::run_sim(o);
    if (r.skipped) {
      ++skipped;
      continue;
    }
    steps += r.steps;
    sim_us += r.sim_time_us;
    accepted += r.requests_accepted;
    vcs += r.view_changes;
    rollbacks += r.rollbacks;
    transfers += r.state_transfers;
    vouched_rollbacks += r.vouched_rollbacks;
    if (!r.ok) {
      ++failed;
      std::printf("VIOLATION seed=%llu protocol=%s f=%u faults=%s faulty=[%s]\n",
                  static_cast<unsigned long long>(s), a.protocol.c_str(), a.f, faults->str().c_str(),
                  r.setup.c_str());
      for (const auto& v : r.violations) std::printf("  %s\n", v.c_str());
      std::printf("  last %zu events:\n", r.trace.size());
      for (const auto& line : r.trace) std::printf("    %s\n", line.c_str());
      std::printf("  replay: rampart sim --protocol %s --seeds 1 --seed-start %llu --f %u --faults %s --verbose\n",
                  a.protocol.c_str(), static_cast<unsigned long long>(s), a.f, faults->str().c_str());
      if (!a.keep_going) break;
    }
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t ran = a.seeds - skipped;
  if (skipped > 0 && ran == 0) {
    std::printf("rampart sim: protocol %s is not implemented yet (factory returned nullptr)\n", a.protocol.c_str());
    return 2;
  }
  std::printf("sim %s f=%u faults=%s seeds %llu..%llu: %llu run, %llu failed; %llu requests accepted, "
              "%llu view changes, %llu rollbacks (%llu of vouched results), %llu state transfers\n",
              a.protocol.c_str(), a.f, faults->str().c_str(), static_cast<unsigned long long>(a.seed_start),
              static_cast<unsigned long long>(a.seed_start + a.seeds - 1), static_cast<unsigned long long>(ran),
              static_cast<unsigned long long>(failed), static_cast<unsigned long long>(accepted),
              static_cast<unsigned long long>(vcs), static_cast<unsigned long long>(rollbacks),
              static_cast<unsigned long long>(vouched_rollbacks), static_cast<unsigned long long>(transfers));
  double sim_s = static_cast<double>(sim_us) / 1e6;
  std::printf("benchmark: %.1f simulated ops/s (simulated time), %.0f simulator steps/s (wall clock), "
              "%llu steps in %.2f s\n",
              sim_s > 0 ? static_cast<double>(accepted) / sim_s : 0.0, wall > 0 ? static_cast<double>(steps) / wall : 0.0,
              static_cast<unsigned long long>(steps), wall);
  return failed == 0 ? 0 : 1;
}

Command reg("sim", [](CLI::App& app) {
  auto args = std::make_shared<SimArgs>();
  auto* cmd = app.add_subcommand("sim", "deterministic simulation of a cluster with faults");
  cmd->add_option("--protocol", args->protocol, "poe (threshold signatures) | poe-mac (MAC variant) | pbft")
      ->check(CLI::IsMember({"poe", "poe-mac", "pbft"}));
  cmd->add_option("--seeds", args->seeds, "number of seeds to run");
  cmd->add_option("--seed-start", args->seed_start, "first seed");
  cmd->add_option("--faults", args->faults,
                  "comma list: loss,delay,duplicate,reorder,partition,crash,equivocate,withhold,bad_sig,lie,silent | all | none");
  cmd->add_option("--f", args->f, "faults tolerated (n = 3f+1)");
  cmd->add_option("--clients", args->clients, "simulated clients");
  cmd->add_option("--requests", args->requests, "requests per client");
  cmd->add_flag("--verbose", args->verbose, "print every event");
  cmd->add_flag("--keep-going", args->keep_going, "do not stop at the first violating seed");
  cmd->add_option("--fault-phase-ms", args->fault_phase_ms,
                  "faults until GST, drawn per seed in [half, twice] this (simulated ms)");
  cmd->add_option("--weaken", args->weaken,
                  "run a deliberately broken replica layer (the adversary's self-tests): cross_view_proofs | "
                  "vouch_at_execution | state_checkpoints | ungated_votes")
      ->check(CLI::IsMember({"none", "cross_view_proofs", "vouch_at_execution", "state_checkpoints", "ungated_votes"}));
  cmd->callback([args] { exit_code = run(*args); });
});

}  // namespace
}  // namespace rampart::cli
