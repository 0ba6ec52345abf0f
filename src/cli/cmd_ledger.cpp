// `rampart ledger verify --config DIR/cluster.toml --data PATH`: offline check of a replica's
// whole ledger (hash chain, every proof of execution against the group key, final state, and the
// stored stable checkpoint's certificate: nf replicas' signatures under the cluster's protocol).
#include <cstdio>

#include "cli/commands.hpp"
#include "client/group_key.hpp"
#include "common/config.hpp"
#include "ledger/genesis.hpp"
#include "ledger/verify.hpp"
#include "replica/restart.hpp"

namespace rampart::cli {

static Command reg("ledger", [](CLI::App& app) {
  auto* led = app.add_subcommand("ledger", "ledger tools");
  led->require_subcommand(1);
  struct Args {
    std::string config, data;
    bool all_proven = false;
  };
  auto a = std::make_shared<Args>();
  auto* v = led->add_subcommand("verify", "verify a replica's ledger offline");
  v->add_option("--config", a->config, "cluster.toml")->required();
  v->add_option("--data", a->data, "the replica's data folder")->required();
  v->add_flag("--all-proven", a->all_proven, "also refuse unproven speculative blocks");
  v->callback([a] {
    auto cfg = load_config(a->config);
    if (!cfg) {
      std::fprintf(stderr, "error: %s\n", cfg.error().message.c_str());
      exit_code = 2;
      return;
    }
    auto g = client::make_group_verifier(*cfg);
    if (!g) {
      std::fprintf(stderr, "error: %s\n", g.error().message.c_str());
      exit_code = 2;
      return;
    }
    ledger::VerifyOptions vo;
    vo.require_all_proven = a->all_proven;
    auto cc = replica::checkpoint_checker(*cfg);
    if (!cc) {
      std::fprintf(stderr, "error: %s\n", cc.error().message.c_str());
      exit_code = 2;
      return;
    }
    vo.check_checkpoint = *cc;
    auto r = ledger::verify_ledger_at(a->data, **g, ledger::genesis_config(*cfg), vo);
    if (!r) {
      std::fprintf(stderr, "INVALID: %s\n", r.error().message.c_str());
      exit_code = 1;
      return;
    }
    std::printf("OK blocks=%llu last_block=%llu last_final=%llu unproven=%llu checkpoint=%llu last_hash=%s final_state=%s\n",
                static_cast<unsigned long long>(r->blocks), static_cast<unsigned long long>(r->last_block),
                static_cast<unsigned long long>(r->last_final), static_cast<unsigned long long>(r->unproven),
                static_cast<unsigned long long>(r->has_checkpoint ? r->checkpoint_k : 0), to_hex(r->last_hash).c_str(),
                to_hex(r->final_state_digest).c_str());
  });
});

}  // namespace rampart::cli
