#pragma once
// The deterministic simulator: one process, n replicas and simulated clients over a virtual
// network, clock and disk. Each replica is the replica core the process runs (replica::Replica,
// sim/world.hpp). A discrete-event queue orders everything; all randomness comes from one seed,
// so a seed replays exactly. See docs/simulator.md.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "consensus/protocol.hpp"
#include "sim/faults.hpp"

namespace rampart::sim {

using ProtocolFactory = std::function<std::unique_ptr<consensus::Protocol>(
    const consensus::Config&, consensus::Crypto, consensus::Env&)>;

// Deliberately weakened rules of the replica core, for the adversary's self-tests: each one is
// a hole the simulator must find (tests/sim/adversary_test.cpp), set through an unsafe option of
// replica::ReplicaOptions that only the simulator uses. Never set outside tests.
enum class Weaken : uint8_t {
  none,
  ungated_votes,  // votes and shares leave before the sync of the records they rest on
};

struct SimOptions {
  std::string protocol = "poe";  // poe | poe-mac | pbft (names the factory unless `factory` is set)
  ProtocolFactory factory;       // tests plug broken protocols into the replica core here
  uint64_t seed = 1;
  uint32_t f = 1;
  FaultSet faults;
  uint32_t clients = 4;
  uint32_t requests_per_client = 20;
  uint32_t batch_size = 4;
  uint64_t batch_timeout_ms = 5;
  consensus::Seq checkpoint_interval = 8;
  consensus::Seq window = 32;
  uint32_t max_inflight = 16;
  uint64_t view_timeout_ms = 400;
  uint64_t client_timeout_ms = 300;
  uint64_t fault_phase_ms = 3000;    // GST is drawn in [half, twice] this: faults only before it
  uint64_t liveness_bound_ms = 60000;  // after the fault phase, every request must complete in this
  uint64_t max_steps = 5'000'000;    // hard stop (reported as a liveness violation)
  size_t trace_tail = 40;
  bool verbose = false;              // print every event as it happens
  Weaken weaken = Weaken::none;
  // Test hook: forces this replica to be Byzantine with the given behaviour (-1: chosen by seed).
  int force_byzantine = -1;
  Fault force_behaviour = Fault::silent;
  // The broker path (sim/brokers.hpp): brokers, each with its own clients and valid batches.
  // 0 here, so seeds pinned before brokers existed replay exactly; `rampart sim` defaults to 2.
  uint32_t brokers = 0;
  uint32_t broker_clients = 8;
  uint32_t broker_batches = 4;
  // Test hook: the last broker lies this way (sim::core::BrokerLie; -1: drawn per seed when
  // `faults` has Fault::broker).
  int force_broker_lie = -1;
  // Client sign-up (replica/client_directory.hpp): one request in `signups` a direct client sends
  // signs its key up instead (0: none, so seeds pinned before sign-ups existed replay exactly).
  uint32_t signups = 0;
};

struct SimResult {
  bool ok = true;
  std::vector<std::string> violations;
  std::vector<std::string> trace;  // the last events
  std::string setup;               // faulty replicas and their behaviours
  uint64_t trace_hash = 0;         // hash of every event: equal seeds give equal hashes
  uint64_t steps = 0;
  uint64_t sim_time_us = 0;
  uint64_t requests_accepted = 0;
  uint64_t batches_final = 0;
  uint64_t view_changes = 0;
  uint64_t rollbacks = 0;
  uint64_t state_transfers = 0;  // snapshots installed
  // Catch-ups by replay: a correct replica behind fetched proven blocks from its peers and
  // replayed them (the restart handshake, or a state transfer that needed no snapshot).
  uint64_t replays = 0;
  uint64_t messages = 0;
  // Stabilisation to progress: from GST (the end of network faults) until every request that
  // was outstanding then completed (0: none was). The liveness bound applies to it.
  uint64_t recovery_us = 0;
  uint64_t vouched_rollbacks = 0;  // results a correct replica had vouched for, rolled back
  // The broker path, at correct replicas (vacuity guards for the tests).
  uint64_t broker_deliveries = 0;  // batches whose verified certificate reached their broker
  uint64_t broker_resubmits = 0;   // batches handed to the next replica after a timeout
  uint64_t broker_lies = 0;        // lying brokers' frames handed to a correct replica
  uint64_t broker_refusals = 0;    // of those, batches naming another broker, refused
  uint64_t signups_executed = 0;   // sign-ups executed (first twin of correct replicas)
  uint64_t broker_signups_learnt = 0;    // signed-up clients broker 0 took on (from their proven replies)
  uint64_t broker_signed_up_entries = 0;  // their entries in broker batches delivered
  uint64_t brokered_executed = 0;  // brokered entries executed (first twin of correct replicas)
  uint64_t brokered_repeats = 0;   // brokered entries answered cached or stale instead
};

SimResult run_sim(const SimOptions& opts);

// Looks up make_poe / make_pbft by name ("poe-mac": make_poe with Config::mac_variant);
// nullptr for an unknown name.
ProtocolFactory factory_for(const std::string& protocol);

}  // namespace rampart::sim
