// `rampart bench`: the parent command; the benchmarks themselves live in bench_*.cpp.
#include <cstdio>
#include <ctime>
#include <time.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/bench.hpp"
#include "cli/commands.hpp"

namespace rampart::cli::bench {
namespace {
std::map<std::string, std::function<void(CLI::App&)>>& registry() {
  static std::map<std::string, std::function<void(CLI::App&)>> r;
  return r;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  return "unknown";
}
}  // namespace

Registration::Registration(std::string name, std::function<void(CLI::App&)> add) {
  registry().emplace(std::move(name), std::move(add));
}

double thread_cpu_now_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

std::string human_ns(double ns) {
  char buf[32];
  if (ns < 1e3) std::snprintf(buf, sizeof buf, "%.1f ns", ns);
  else if (ns < 1e6) std::snprintf(buf, sizeof buf, "%.2f us", ns / 1e3);
  else if (ns < 1e9) std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
  else std::snprintf(buf, sizeof buf, "%.2f s", ns / 1e9);
  return buf;
}

void Report::print() const {
  std::printf("%-58s %12s %12s  %s\n", "measurement (median)", "thread CPU", "wall", "per");
  for (const auto& r : rows_) {
    std::printf("%-58s %12s %12s  %s%s%s\n", r.name.c_str(), human_ns(r.t.cpu_ns).c_str(),
                human_ns(r.t.wall_ns).c_str(), r.per.c_str(), r.note.empty() ? "" : "  -- ",
                r.note.c_str());
  }
  for (const auto& [k, v] : metrics_) std::printf("%-58s %12.1f\n", k.c_str(), v);
}

bool Report::write_json(const std::string& path) const {
  nlohmann::json j;
  j["bench"] = bench_;
  j["cpu"] = cpu_model();
  j["hardware_threads"] = std::thread::hardware_concurrency();
  j["unix_time"] = static_cast<int64_t>(std::time(nullptr));
  for (const auto& [k, v] : params_) j["params"][k] = v;
  for (const auto& [k, v] : metrics_) j["metrics"][k] = v;
  j["results"] = nlohmann::json::array();
  for (const auto& r : rows_)
    j["results"].push_back({{"name", r.name}, {"median_cpu_ns", r.t.cpu_ns}, {"median_wall_ns", r.t.wall_ns}, {"per", r.per}, {"note", r.note}});
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  if (!out) {
    std::fprintf(stderr, "bench: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

static Command reg("bench", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "run a benchmark (crypto, ...)");
  cmd->require_subcommand(1);
  for (auto& [name, add] : registry()) add(*cmd);
});

}  // namespace rampart::cli::bench
