// `rampart replica --config DIR/cluster.toml --id I [--data PATH]`: one replica process.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "node/node.hpp"

namespace rampart::cli {

static Command reg("replica", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("replica", "run one replica of a cluster");
  struct Args {
    std::string config, data, auth = "ed25519", log_level = "info", gossip, misbehave, serve_reads;
    uint32_t id = 0;
    bool fake_crypto = false;
    bool trusted_directory = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--config", a->config, "cluster.toml")->required();
  cmd->add_option("--id", a->id, "this replica's id")->required();
  cmd->add_option("--data", a->data, "data folder (default: the config's data_dir for this id)");
  cmd->add_option("--client-auth", a->auth, "ed25519 | none (none: benchmarks of the ordering path only)")
      ->check(CLI::IsMember({"ed25519", "none"}));
  cmd->add_option("--log-level", a->log_level, "trace|debug|info|warn|error");
  cmd->add_option("--gossip", a->gossip, "API address of a local gossip module, HOST:PORT: announce every final block to observers");
  cmd->add_flag("--insecure-fake-crypto", a->fake_crypto,
                "accept crypto = \"fake\" in the config (tests only: anyone holding cluster.toml can forge every signature)");
  cmd->add_option("--serve-reads", a->serve_reads,
                  "HOST:PORT: answer the wallet's balance and ledger reads with proofs from this replica's final blocks, "
                  "without a consensus round (clients: wallet balance|ledger --observer HOST:PORT)");
  cmd->add_flag("--trusted-directory", a->trusted_directory,
                "benchmarks only: the broker path's client directory (cluster.toml `clients`) was written by this "
                "cluster's own keygen; load it without checking each proof of possession (~1.6 ms a client)");
  cmd->add_option("--misbehave", a->misbehave,
                  "tests and benchmarks only: act as a Byzantine replica: bad-shares (CART shares and proofs over another "
                  "block), lie-results (every reply altered), or both, comma-separated");
  cmd->callback([a] {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l replica=" + std::to_string(a->id) + " %v");
    spdlog::set_level(spdlog::level::from_str(a->log_level));
    auto cfg = load_config(a->config);
    if (!cfg) {
      std::fprintf(stderr, "error: %s\n", cfg.error().message.c_str());
      exit_code = 2;
      return;
    }
    node::NodeOptions o;
    o.config = std::move(*cfg);
    o.id = a->id;
    o.data_dir = a->data;
    o.client_auth = a->auth;
    o.allow_fake_crypto = a->fake_crypto;
    o.gossip_api = a->gossip;
    o.serve_reads = a->serve_reads;
    o.trusted_directory = a->trusted_directory;
    auto mis = node::parse_misbehaviour(a->misbehave);
    if (!mis) {
      std::fprintf(stderr, "error: %s\n", mis.error().message.c_str());
      exit_code = 2;
      return;
    }
    o.misbehave = *mis;
    auto n = node::Node::create(std::move(o));
    if (!n) {
      spdlog::error("event=refused_to_start error=\"{}\"", n.error().message);
      std::fprintf(stderr, "error: %s\n", n.error().message.c_str());
      exit_code = 3;
      return;
    }
    exit_code = (*n)->run();
  });
});

}  // namespace rampart::cli
