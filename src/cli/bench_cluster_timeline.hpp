#pragma once
// `bench cluster --timeline`: the replicas' step counters (replica/timeline.hpp) read before and
// after the window, printed as a mean per step for the primary and for the backups, beside the
// clients' mean latency; the difference is the network both ways and the client's own check.
#include <map>
#include <string>
#include <vector>

#include "common/config.hpp"

namespace rampart::cli::cluster_bench {

// Every rampart_step_* counter of every replica (empty map for a replica that did not answer).
using StepCounters = std::vector<std::map<std::string, double>>;
StepCounters read_steps(const ClusterConfig& cfg);
void print_timeline(const StepCounters& before, const StepCounters& after, uint32_t primary, double client_mean_ms);

}  // namespace rampart::cli::cluster_bench
