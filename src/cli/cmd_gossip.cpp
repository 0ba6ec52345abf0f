// `rampart gossip -c FILE.ini`: one VoidPhone-compatible gossip module (docs/gossip.md).
// Prints one line with the bound addresses once it listens (port 0 in the file picks free
// ports; scripts read the line), then runs until SIGINT or SIGTERM.
#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <cstdio>

#include "cli/commands.hpp"
#include "gossip/module.hpp"

namespace rampart::cli {

static Command reg("gossip", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("gossip", "run a gossip module (VoidPhone GOSSIP API 500-503)");
  struct Args {
    std::string config, log_level = "info";
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("-c,--config", a->config, "INI file: hostkey, [gossip] cache_size, degree, bootstrapper, p2p_address, api_address")
      ->required();
  cmd->add_option("--log-level", a->log_level, "trace|debug|info|warn|error");
  cmd->callback([a] {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l gossip %v");
    spdlog::set_level(spdlog::level::from_str(a->log_level));
    auto cfg = gossip::load_gossip_config(a->config);
    if (!cfg) {
      std::fprintf(stderr, "error: %s\n", cfg.error().message.c_str());
      exit_code = 2;
      return;
    }
    auto opt = gossip::module_options_from(*cfg);
    if (!opt) {
      std::fprintf(stderr, "error: %s\n", opt.error().message.c_str());
      exit_code = 2;
      return;
    }
    std::string kind = opt->key->kind();
    asio::io_context io;
    gossip::Module m(io, std::move(*opt));
    if (auto st = m.start(); !st) {
      std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
      exit_code = 3;
      return;
    }
    std::printf("gossip api=%s p2p=%s identity=%s key=%s\n", m.api_address().str().c_str(), m.p2p_address().c_str(),
                to_hex(m.identity()).c_str(), kind.c_str());
    std::fflush(stdout);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code&, int sig) {
      spdlog::info("event=gossip_stop signal={}", sig);
      m.stop();
      io.stop();
    });
    io.run();
  });
});

}  // namespace rampart::cli
