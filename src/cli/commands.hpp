#pragma once
// Each subcommand of `rampart` lives in its own cmd_<name>.cpp and registers itself with
//   static rampart::cli::Command reg("name", [](CLI::App& app) { ... add_subcommand ... });
// A command's callback stores its exit status in exit_code.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace rampart::cli {

extern int exit_code;

struct Command {
  Command(std::string name, std::function<void(CLI::App&)> add);
};

}  // namespace rampart::cli
