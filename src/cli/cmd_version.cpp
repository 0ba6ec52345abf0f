#include <cstdio>

#include "cli/commands.hpp"

namespace rampart::cli {

static Command reg("version", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "print the version");
  cmd->callback([] { std::printf("rampart 0.1.0\n"); });
});

}  // namespace rampart::cli
