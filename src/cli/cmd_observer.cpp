// `rampart observer --config DIR/cluster.toml --gossip HOST:PORT [--data PATH] [--serve HOST:PORT]`:
// follow the cluster's ledger through a gossip module (docs/gossip.md, "Blocks and observers").
// Every block is checked (proof of execution, hash-chain link, batch) before it is stored and
// before the observer lets it spread; the data folder is a ledger `rampart ledger verify`
// accepts. With --serve the observer also executes every block it stores and answers the
// wallet's verifiable reads from that state (docs/gossip.md, "Serving wallet reads").
#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "app/registry.hpp"
#include "broker/directory_file.hpp"
#include "client/group_key.hpp"
#include "common/config.hpp"
#include "gossip/observed_state.hpp"
#include "gossip/observer.hpp"
#include "gossip/read_server.hpp"
#include "ledger/genesis.hpp"
#include "replica/principal_app.hpp"

namespace rampart::cli {

static Command reg("observer", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("observer", "follow and verify the ledger through a gossip module");
  struct Args {
    std::string config, gossip, data, serve, log_level = "info";
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--config", a->config, "cluster.toml (public part: group key, genesis)")->required();
  cmd->add_option("--gossip", a->gossip, "API address of a gossip module, HOST:PORT")->required();
  cmd->add_option("--data", a->data, "the observer's ledger folder (default: DIR/data/observer)");
  cmd->add_option("--serve", a->serve, "answer `rampart wallet balance|ledger --observer` here, HOST:PORT (port 0: any)");
  cmd->add_option("--log-level", a->log_level, "trace|debug|info|warn|error");
  cmd->callback([a] {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l observer %v");
    spdlog::set_level(spdlog::level::from_str(a->log_level));
    auto fail = [](const std::string& m, int code) {
      std::fprintf(stderr, "error: %s\n", m.c_str());
      exit_code = code;
    };
    auto cfg = load_config(a->config);
    if (!cfg) return fail(cfg.error().message, 2);
    auto api = gossip::parse_address(a->gossip);
    if (!api) return fail("--gossip: " + api.error().message, 2);
    auto verifier = client::make_group_verifier(*cfg);
    if (!verifier) return fail(verifier.error().message, 2);
    gossip::ObserverOptions o;
    o.gossip_api = *api;
    o.data_dir = a->data.empty()
                     ? (std::filesystem::path(a->config).parent_path() / "data" / "observer").string()
                     : a->data;
    o.cluster_config = ledger::genesis_config(*cfg);
    o.verifier = *verifier;
    asio::io_context io;
    o.on_disconnect = [&](const std::string& why) {
      spdlog::error("event=observer_disconnected why=\"{}\"", why);
      exit_code = 4;
      io.stop();
    };
    // Reads: the state after the observer's last block, executed here (observed_state.hpp).
    std::unique_ptr<broker::MemoryDirectory> directory;  // declared before state: it outlives it
    std::unique_ptr<gossip::ObservedState> state;
    std::unique_ptr<gossip::ReadServer> reads;
    std::optional<gossip::Address> serve_at;
    if (!a->serve.empty()) {
      auto sa = gossip::parse_address(a->serve);
      if (!sa) return fail("--serve: " + sa.error().message, 2);
      if (cfg->app != "wallet") return fail("--serve: the cluster runs app '" + cfg->app + "'; only the wallet's reads are served", 2);
      auto sm = app::make_app(*cfg);
      if (!sm) return fail(sm.error().message, 2);
      // The replica process's front (replica/principal_app.hpp): the same execution, the same digests.
      state = std::make_unique<gossip::ObservedState>(
          std::move(*sm), [](app::StateMachine& app) { return std::make_unique<replica::PrincipalApp>(app); });
      // With brokers, blocks name clients by id: the genesis directory, as the replicas load it
      // (every proof of possession checked).
      if (!cfg->clients.empty()) {
        auto d = broker::load_directory(cfg->resolve(cfg->clients), true);
        if (!d) return fail("client directory " + cfg->clients + ": " + d.error().message, 2);
        directory = std::move(*d);
        state->set_directory(directory.get());
      }
      serve_at = *sa;
      o.on_stored = [&](const ledger::Block& b, ByteView batch) {
        if (state->diverged()) return;
        (void)state->apply(b, batch);  // a divergence is logged and refuses reads from then on
        reads->advanced();
      };
    }
    auto obs = gossip::Observer::open(io, o);
    if (!obs) return fail(obs.error().message, 3);
    std::string serving;
    if (state) {
      if (auto st = state->replay((*obs)->store()); !st) return fail(st.error().message, 3);
      reads = std::make_unique<gossip::ReadServer>(io, *state);
      auto port = reads->listen(*serve_at);
      if (!port) return fail(port.error().message, 3);
      serve_at->port = *port;
      serving = " serve=" + serve_at->str();
    }
    if (auto st = (*obs)->start(); !st) return fail(st.error().message, 3);
    std::printf("observer data=%s gossip=%s last_block=%llu%s\n", o.data_dir.c_str(), api->str().c_str(),
                static_cast<unsigned long long>((*obs)->last_block()), serving.c_str());
    std::fflush(stdout);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code&, int) { io.stop(); });
    // Progress once a minute at most, when there is any.
    asio::steady_timer report(io);
    uint64_t reported = (*obs)->last_block();
    std::function<void()> tick = [&] {
      report.expires_after(std::chrono::seconds(60));
      report.async_wait([&](const asio::error_code& ec) {
        if (ec) return;
        if ((*obs)->last_block() != reported) {
          reported = (*obs)->last_block();
          auto& s = (*obs)->stats();
          spdlog::info("event=observer_progress last_block={} stored={} refused_parts={} wants={}", reported, s.stored,
                       s.invalid, s.wants);
        }
        tick();
      });
    };
    tick();
    io.run();
  });
});

}  // namespace rampart::cli
