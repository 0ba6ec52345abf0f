#pragma once
// What the benchmarks that start local replica processes share: free loopback ports for a
// cluster, and the CPU a process used (the machine is shared, so ops/s measures what a run got
// of the cores; CPU per op is what the work costs).
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace rampart::cli::bench {

// The first of three ranges of `n` loopback ports each, 100 apart (peer, client and metrics:
// replica i gets base+i, base+100+i, base+200+i), free now and below Linux's ephemeral range
// (32768+), where an outgoing connection could take one between this check and the bind.
uint16_t free_base_port(uint32_t n);

// This binary again as `rampart ARGS...`, its stdout and stderr appended to `log` (the replicas,
// brokers and drivers a benchmark starts). Returns the child's pid.
pid_t spawn_self(const std::filesystem::path& log, std::vector<std::string> args);

// CPU seconds (user + system) process `pid` has used so far (0: this process); 0 if unreadable.
double process_cpu_seconds(pid_t pid);

}  // namespace rampart::cli::bench
