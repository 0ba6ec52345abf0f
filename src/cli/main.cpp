#include <map>

#include "cli/commands.hpp"

namespace rampart::cli {
int exit_code = 0;

static std::map<std::string, std::function<void(CLI::App&)>>& registry() {
  static std::map<std::string, std::function<void(CLI::App&)>> r;
  return r;
}

Command::Command(std::string name, std::function<void(CLI::App&)> add) {
  registry().emplace(std::move(name), std::move(add));
}
}  // namespace rampart::cli

int main(int argc, char** argv) {
  using namespace rampart::cli;
  CLI::App app{"rampart: a Byzantine-fault-tolerant replicated ledger"};
  app.require_subcommand(1);
  for (auto& [name, add] : registry()) add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
