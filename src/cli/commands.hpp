#pragma once
// Each subcommand of `rampart` lives in its own cmd_<name>.cpp and registers itself here.
// A command's callback stores its exit status in `exit_code`.
#include <CLI/CLI.hpp>

namespace rampart::cli {

extern int exit_code;

void add_bench(CLI::App& app);
void add_version(CLI::App& app);

}  // namespace rampart::cli
