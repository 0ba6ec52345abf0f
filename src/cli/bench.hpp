#pragma once
// `rampart bench <what>`: cmd_bench.cpp owns the `bench` subcommand; each bench_<what>.cpp adds
// its own sub-subcommand by registering with bench::Registration, e.g.
//   static rampart::cli::bench::Registration reg("crypto", [](CLI::App& bench) {
//     auto* cmd = bench.add_subcommand("crypto", "...");  ...
//   });
// Report collects named measurements, prints a table and writes JSON (for --json FILE).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace rampart::cli::bench {

struct Registration {
  Registration(std::string name, std::function<void(CLI::App& bench)> add);
};

// Median of `reps` runs of f (after one warm-up run), in nanoseconds, measured twice: as wall
// time and as the calling thread's CPU time. On a busy machine wall time includes time spent
// descheduled; thread CPU time does not, so it is the better cost measure for single-threaded
// work (it under-counts work done on other threads: use wall time for those).
struct Timing {
  double cpu_ns = 0;
  double wall_ns = 0;
  Timing operator/(double d) const { return {cpu_ns / d, wall_ns / d}; }
};

double thread_cpu_now_ns();

template <typename F>
Timing median(int reps, F&& f) {
  f();
  std::vector<double> cpu, wall;
  for (int i = 0; i < reps; ++i) {
    double c0 = thread_cpu_now_ns();
    auto a = std::chrono::steady_clock::now();
    f();
    auto b = std::chrono::steady_clock::now();
    cpu.push_back(thread_cpu_now_ns() - c0);
    wall.push_back(std::chrono::duration<double, std::nano>(b - a).count());
  }
  std::sort(cpu.begin(), cpu.end());
  std::sort(wall.begin(), wall.end());
  return {cpu[cpu.size() / 2], wall[wall.size() / 2]};
}

struct Row {
  std::string name;
  Timing t;           // median cost of one `per`
  std::string per;    // what one unit is: "op", "key", "message", "batch", ...
  std::string note;
};

class Report {
 public:
  explicit Report(std::string bench) : bench_(std::move(bench)) {}
  void add(std::string name, Timing t, std::string per, std::string note = "") {
    rows_.push_back({std::move(name), t, std::move(per), std::move(note)});
  }
  void param(std::string key, double value) { params_.emplace_back(std::move(key), value); }
  void metric(std::string key, double value) { metrics_.emplace_back(std::move(key), value); }
  void print() const;
  // Returns false (and prints why) if the file cannot be written.
  bool write_json(const std::string& path) const;

 private:
  std::string bench_;
  std::vector<Row> rows_;
  std::vector<std::pair<std::string, double>> params_, metrics_;
};

// One Ed25519 verification with both vCPUs verifying distinct signatures at once
// (bench_verify_cost.cpp): cpu =
// both threads' CPU / verifications, wall = 2 x wall time / verifications; median of reps.
Timing ed25519_verify_two_threads(int per_thread, int reps);

// "12.3 us", "1.04 ms", ...
std::string human_ns(double ns);

}  // namespace rampart::cli::bench
