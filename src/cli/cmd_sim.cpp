// rampart sim: runs the deterministic simulator (every replica the replica core the process
// runs) over a range of seeds and prints a summary, the recovery times after GST and a benchmark
// line (simulated operations per simulated second, simulator steps per wall-clock second). A
// violation prints the seed, protocol, faults and the last events, and exits 1. On a terminal a
// progress line shows seeds done, failures and the time left. `--seed-start random` draws the
// first seed and prints it, so a sweep nobody picked can be replayed.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "cli/commands.hpp"
#include "sim/simulator.hpp"

namespace rampart::cli {
namespace {

struct SimArgs {
  std::string protocol = "poe";
  uint64_t seeds = 100;
  std::string seed_start = "1";
  std::string faults = "all";
  uint32_t f = 1;
  uint32_t clients = 4;
  uint32_t requests = 20;
  uint32_t batch_size = 4;
  // Brokers on by default (sim/brokers.hpp): the broker path is swept with everything else;
  // --brokers 0 replays seeds found before brokers existed.
  uint32_t brokers = 2;
  // One direct request in N is a client sign-up; 0 replays seeds found before sign-ups existed.
  uint32_t signups = 10;
  bool verbose = false;
  bool keep_going = false;
  std::string weaken = "none";
  uint64_t fault_phase_ms = 3000;
  bool core = false;  // --core: accepted and ignored (the core is the only world)
};

sim::Weaken weaken_of(const std::string& s) {
  if (s == "ungated_votes") return sim::Weaken::ungated_votes;
  return sim::Weaken::none;
}

// Quantile q of sorted values (nearest rank).
uint64_t quantile(const std::vector<uint64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

int run(SimArgs a) {
  auto faults = sim::FaultSet::parse(a.faults);
  if (!faults) {
    std::fprintf(stderr, "rampart sim: %s\n", faults.error().message.c_str());
    return 2;
  }
  uint64_t first = 0;
  if (a.seed_start == "random") {
    // Drawn, not picked: safety claims rest on seeds nobody chose. Printed first so the sweep
    // replays with --seed-start <this>.
    first = std::uniform_int_distribution<uint64_t>(1, 4'000'000'000ull)(*std::make_unique<std::random_device>());
    std::printf("seed start %llu (random)\n", static_cast<unsigned long long>(first));
    std::fflush(stdout);
  } else {
    try {
      size_t used = 0;
      first = std::stoull(a.seed_start, &used);
      if (used != a.seed_start.size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      std::fprintf(stderr, "rampart sim: --seed-start takes a number or \"random\", not \"%s\"\n", a.seed_start.c_str());
      return 2;
    }
  }
  const bool progress = !a.verbose && ::isatty(STDERR_FILENO);
  std::vector<uint64_t> recovery_ms;
  uint64_t broker_deliveries = 0, broker_lies = 0, brokered = 0, signups = 0, learnt = 0, learnt_entries = 0;
  uint64_t failed = 0, steps = 0, sim_us = 0, accepted = 0, vcs = 0, rollbacks = 0, transfers = 0, replays = 0,
           vouched_rollbacks = 0;
  auto t0 = std::chrono::steady_clock::now();
  auto last_progress = t0;
  for (uint64_t s = first; s < first + a.seeds; ++s) {
    sim::SimOptions o;
    o.protocol = a.protocol;
    o.seed = s;
    o.f = a.f;
    o.faults = *faults;
    o.clients = a.clients;
    o.batch_size = a.batch_size;
    o.requests_per_client = a.requests;
    o.verbose = a.verbose;
    o.weaken = weaken_of(a.weaken);
    o.fault_phase_ms = a.fault_phase_ms;
    o.brokers = a.brokers;
    o.signups = a.signups;
    sim::SimResult r = sim::run_sim(o);
    steps += r.steps;
    sim_us += r.sim_time_us;
    accepted += r.requests_accepted;
    vcs += r.view_changes;
    rollbacks += r.rollbacks;
    transfers += r.state_transfers;
    replays += r.replays;
    vouched_rollbacks += r.vouched_rollbacks;
    broker_deliveries += r.broker_deliveries;
    broker_lies += r.broker_lies;
    brokered += r.brokered_executed;
    signups += r.signups_executed;
    learnt += r.broker_signups_learnt;
    learnt_entries += r.broker_signed_up_entries;
    recovery_ms.push_back(r.recovery_us / 1000);
    if (progress) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_progress >= std::chrono::seconds(1)) {
        last_progress = now;
        const uint64_t done = s - first + 1;
        const double el = std::chrono::duration<double>(now - t0).count();
        const double left = el / static_cast<double>(done) * static_cast<double>(a.seeds - done);
        std::fprintf(stderr, "\r  %s f=%u: %llu/%llu seeds, %llu failed, %.0f s, ~%.0f s left   ", a.protocol.c_str(), a.f,
                     static_cast<unsigned long long>(done), static_cast<unsigned long long>(a.seeds),
                     static_cast<unsigned long long>(failed), el, left);
      }
    }
    if (!r.ok) {
      if (progress) std::fprintf(stderr, "\r%80s\r", "");
      ++failed;
      std::printf("VIOLATION seed=%llu protocol=%s f=%u faults=%s faulty=[%s]\n",
                  static_cast<unsigned long long>(s), a.protocol.c_str(), a.f, faults->str().c_str(),
                  r.setup.c_str());
      for (const auto& v : r.violations) std::printf("  %s\n", v.c_str());
      std::printf("  last %zu events:\n", r.trace.size());
      for (const auto& line : r.trace) std::printf("    %s\n", line.c_str());
      // Every option that changes the run, so the line replays exactly this seed.
      std::string extra;
      if (a.clients != 4) extra += " --clients " + std::to_string(a.clients);
      if (a.requests != 20) extra += " --requests " + std::to_string(a.requests);
      if (a.fault_phase_ms != 3000) extra += " --fault-phase-ms " + std::to_string(a.fault_phase_ms);
      if (a.weaken != "none") extra += " --weaken " + a.weaken;
      extra += " --brokers " + std::to_string(a.brokers);
      extra += " --signups " + std::to_string(a.signups);
      std::printf("  replay: rampart sim --protocol %s --seeds 1 --seed-start %llu --f %u --faults %s%s --verbose\n",
                  a.protocol.c_str(), static_cast<unsigned long long>(s), a.f, faults->str().c_str(), extra.c_str());
      std::fflush(stdout);
      if (!a.keep_going) break;
    }
  }
  if (progress) std::fprintf(stderr, "\r%80s\r", "");
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t ran = a.seeds;
  std::printf("sim %s f=%u faults=%s seeds %llu..%llu: %llu run, %llu failed; %llu requests accepted, "
              "%llu view changes, %llu rollbacks (%llu of vouched results), %llu state transfers, %llu catch-ups by replay\n",
              a.protocol.c_str(), a.f, faults->str().c_str(), static_cast<unsigned long long>(first),
              static_cast<unsigned long long>(first + a.seeds - 1), static_cast<unsigned long long>(ran),
              static_cast<unsigned long long>(failed), static_cast<unsigned long long>(accepted),
              static_cast<unsigned long long>(vcs), static_cast<unsigned long long>(rollbacks),
              static_cast<unsigned long long>(vouched_rollbacks), static_cast<unsigned long long>(transfers),
              static_cast<unsigned long long>(replays));
  if (a.brokers > 0)
    std::printf("brokers %u per seed: %llu batches delivered, %llu brokered entries executed, %llu lies handed to "
                "correct replicas\n",
                a.brokers, static_cast<unsigned long long>(broker_deliveries), static_cast<unsigned long long>(brokered),
                static_cast<unsigned long long>(broker_lies));
  if (a.signups > 0)
    std::printf("sign-ups: one direct request in %u, %llu executions at correct replicas; broker 0 took on %llu "
                "signed-up clients, %llu of their entries delivered\n",
                a.signups, static_cast<unsigned long long>(signups), static_cast<unsigned long long>(learnt),
                static_cast<unsigned long long>(learnt_entries));
  // Recovery: from the end of the faults (GST) until every client that was waiting then has its
  // answer, in simulated time; per seed.
  std::sort(recovery_ms.begin(), recovery_ms.end());
  if (!recovery_ms.empty()) {
    std::printf("recovery after GST: p50 %llu ms, p99 %llu ms, max %llu ms (simulated)\n",
                static_cast<unsigned long long>(quantile(recovery_ms, 0.5)),
                static_cast<unsigned long long>(quantile(recovery_ms, 0.99)),
                static_cast<unsigned long long>(recovery_ms.back()));
  }
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
  cmd->add_option("--seed-start", args->seed_start, "first seed, or \"random\" (drawn and printed)");
  cmd->add_option("--faults", args->faults,
                  "comma list: loss,delay,duplicate,reorder,partition,crash,equivocate,withhold,bad_sig,lie,silent,"
                  "strip,pick_nv,selective,censor,lone_vc,false_votes,replay,flood,drift,crash_all,isolate,broker | all | none");
  cmd->add_option("--f", args->f, "faults tolerated (n = 3f+1)");
  cmd->add_option("--clients", args->clients, "simulated clients");
  cmd->add_option("--requests", args->requests, "requests per client");
  cmd->add_option("--batch-size", args->batch_size,
                  "the cluster's batch_size (4: every slot is full; 64: slots are light and hold the next until "
                  "answered, Batcher::kLightFraction)");
  cmd->add_option("--brokers", args->brokers,
                  "simulated brokers (the broker path); with the fault `broker`, all but the first may lie");
  cmd->add_option("--signups", args->signups,
                  "one direct request in N signs the client up to the broker path's directory (0: none, as "
                  "before sign-ups existed)");
  cmd->add_flag("--verbose", args->verbose, "print every event");
  cmd->add_flag("--core", args->core,
                "no effect: the simulator always runs the replica core the process runs (kept so older scripts "
                "that passed it still work)");
  cmd->add_flag("--keep-going", args->keep_going, "do not stop at the first violating seed");
  cmd->add_option("--fault-phase-ms", args->fault_phase_ms,
                  "faults until GST, drawn per seed in [half, twice] this (simulated ms)");
  cmd->add_option("--weaken", args->weaken,
                  "run a deliberately broken replica core (the adversary's self-tests): ungated_votes (votes and "
                  "shares leave before their records are synced)")
      ->check(CLI::IsMember({"none", "ungated_votes"}));
  cmd->callback([args] { exit_code = run(*args); });
});

}  // namespace
}  // namespace rampart::cli
