#include "cli/bench_cluster_timeline.hpp"

#include <httplib.h>

#include <cstdio>
#include <sstream>

namespace rampart::cli::cluster_bench {

StepCounters read_steps(const ClusterConfig& cfg) {
  StepCounters out(cfg.n());
  for (uint32_t i = 0; i < cfg.n(); ++i) {
    const auto& r = cfg.replicas[i];
    httplib::Client cli(r.host, r.metrics_port);
    cli.set_connection_timeout(1, 0);
    cli.set_read_timeout(1, 0);
    auto res = cli.Get("/metrics");
    if (!res || res->status != 200) continue;
    std::istringstream in(res->body);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("rampart_step_", 0) != 0) continue;
      const size_t sp = line.find(' ');
      if (sp != std::string::npos) out[i][line.substr(0, sp)] = std::stod(line.substr(sp + 1));
    }
  }
  return out;
}

namespace {
struct Step {
  const char* label;
  const char* name;  // rampart_step_<name>_us_total and rampart_step_<name>_total
};
constexpr Step kSteps[] = {
    {"own batch wait (oldest request)", "batch_wait"},
    {"own batch closed -> executed", "own_batch_to_exec"},
    {"  of it, ordering (seen -> executed)", "ordering"},
    {"execute", "execute"},
    {"prove (share, combine)", "prove"},
    {"durable (sync, nf DURABLE) -> replies", "durable"},
};

// Mean of one step over the window at replica i, ms; -1 if it did not happen there.
double mean_ms(const StepCounters& b, const StepCounters& a, uint32_t i, const std::string& name) {
  auto get = [&](const StepCounters& s, const std::string& key) {
    auto it = s[i].find(key);
    return it == s[i].end() ? 0.0 : it->second;
  };
  const std::string us = "rampart_step_" + name + "_us_total", n = "rampart_step_" + name + "_total";
  const double count = get(a, n) - get(b, n);
  return count > 0 ? (get(a, us) - get(b, us)) / count / 1000 : -1;
}
}  // namespace

void print_timeline(const StepCounters& before, const StepCounters& after, uint32_t primary, double client_mean_ms) {
  const uint32_t n = static_cast<uint32_t>(after.size());
  std::printf("  timeline    mean per step over the window, ms (replicas' monotonic clocks; steps of different slots overlap)\n");
  std::printf("              %-40s %10s %10s\n", "step", "primary", "backups");
  double path_primary = 0, path_backups = 0;
  for (const Step& s : kSteps) {
    const double p = mean_ms(before, after, primary, s.name);
    double sum = 0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (i == primary) continue;
      const double m = mean_ms(before, after, i, s.name);
      if (m >= 0) sum += m, ++k;
    }
    const double b = k ? sum / k : -1;
    std::printf("              %-40s %10.2f %10.2f\n", s.label, p, b);
    if (std::string(s.name) != "ordering") {  // inside own_batch_to_exec
      path_primary += std::max(p, 0.0);
      path_backups += std::max(b, 0.0);
    }
  }
  std::printf("              %-40s %10.2f %10.2f\n", "in the replica (sum of the above)", path_primary, path_backups);
  std::printf("              %-40s %10.2f            (the rest: network both ways, the client's check)\n",
              "client: request sent -> reply verified", client_mean_ms);
}

}  // namespace rampart::cli::cluster_bench
