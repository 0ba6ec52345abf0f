// `rampart keygen --replicas N --brokers B [--broker-clients C] --out DIR`: trusted-dealer key
// generation. --broker-clients also writes the broker path's client directory (DIR/clients.toml,
// named by cluster.toml's `clients`) and those clients' secret keys (DIR/keys/broker-clients.key).
#include <cstdio>

#include "broker/client_keys.hpp"
#include "cli/commands.hpp"
#include "client/wallet_keys.hpp"
#include "keys/keygen.hpp"

namespace rampart::cli {

static Command reg("keygen", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("keygen", "write cluster.toml and per-node key files (trusted dealer)");
  auto opt = std::make_shared<keys::KeygenOptions>();
  auto out = std::make_shared<std::string>();
  auto app_name = std::make_shared<std::string>("kv");
  auto admins = std::make_shared<uint32_t>(1);
  auto broker_clients = std::make_shared<uint32_t>(0);
  cmd->add_option("--replicas", opt->replicas, "number of replicas (3f+1)")->default_val(4);
  cmd->add_option("--brokers", opt->brokers, "number of brokers")->default_val(0);
  cmd->add_option("--relays", opt->relays, "relay keys to create (keys/relay-I.key): connections that carry other clients' requests")->default_val(0);
  cmd->add_option("-f,--faults", opt->f, "f (default: the largest f with 3f+1 <= replicas)");
  cmd->add_option("--protocol", opt->protocol, "poe | poe-mac | pbft")->default_val("poe")->check(CLI::IsMember({"poe", "poe-mac", "pbft"}));
  cmd->add_option("--crypto", opt->crypto, "bls | fake (fake: deterministic stand-in, tests only)")->default_val(opt->crypto)->check(CLI::IsMember({"bls", "fake"}));
  cmd->add_option("--host", opt->host, "address every node listens on")->default_val("127.0.0.1");
  cmd->add_option("--base-port", opt->base_port, "replica i: peer base+i, client base+100+i, metrics base+200+i")->default_val(7000);
  cmd->add_option("--batch-size", opt->batch_size, "requests per batch")->default_val(100);
  cmd->add_option("--batch-timeout-ms", opt->batch_timeout_ms, "close a partial batch after this long")->default_val(2);
  cmd->add_option("--view-timeout-ms", opt->view_timeout_ms, "first view-change timeout")->default_val(1000);
  cmd->add_option("--checkpoint-interval", opt->checkpoint_interval, "batches between checkpoints")->default_val(64);
  cmd->add_option("--app", *app_name, "kv | wallet: the state machine the cluster runs")->default_val("kv")->check(CLI::IsMember({"kv", "wallet"}));
  cmd->add_option("--admins", *admins, "wallet: admin accounts to create (keys/admin-I.key)")->default_val(1);
  cmd->add_option("--broker-clients", *broker_clients,
                  "broker-path clients to create: DIR/clients.toml (public, with proofs of possession) and "
                  "DIR/keys/broker-clients.key (their secret keys)")
      ->default_val(0)->check(CLI::Range(0u, 1u << 20));
  cmd->add_option("--out", *out, "output folder")->required();
  cmd->callback([opt, out, app_name, admins, broker_clients] {
    auto r = keys::keygen(*opt, *out);
    if (r && *app_name == "wallet") {
      if (auto st = client::make_wallet_cluster(*r, *out, *admins); !st) r = st.error();
    }
    if (r && *broker_clients > 0) {
      if (auto st = broker::add_client_set_to_cluster(*out, *broker_clients); !st) r = st.error();
    }
    if (!r) {
      std::fprintf(stderr, "error: %s\n", r.error().message.c_str());
      exit_code = 1;
      return;
    }
    if (*broker_clients > 0)
      std::printf("broker clients: %u in %s/%s (keys in %s/%s, mode 0600)\n", *broker_clients, out->c_str(),
                  broker::kClientDirectoryFile, out->c_str(), broker::kClientSecretsFile);
    if (*app_name == "wallet")
      std::printf("app wallet: %u admin account key(s) in %s/keys/admin-I.key\n", *admins, out->c_str());
    std::printf("wrote %s/cluster.toml and %u replica + %u broker + %u relay key files in %s/keys (mode 0600)\n",
                out->c_str(), r->n(), static_cast<unsigned>(r->brokers.size()), opt->relays, out->c_str());
  });
});

}  // namespace rampart::cli
