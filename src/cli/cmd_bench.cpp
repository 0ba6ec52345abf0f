#include <cstdio>
#include <string>

#include "cli/commands.hpp"

namespace rampart::cli {

void add_bench(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "benchmarks: crypto | cluster | broker | ycsb");
  bench->require_subcommand(1);
  (void)bench;
}

}  // namespace rampart::cli
