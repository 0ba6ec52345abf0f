#include <cstdio>

#include "cli/commands.hpp"

namespace rampart::cli {
int exit_code = 0;
}

int main(int argc, char** argv) {
  using namespace rampart::cli;
  CLI::App app{"rampart: a Byzantine-fault-tolerant replicated ledger"};
  app.require_subcommand(1);
  add_version(app);
  add_bench(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
