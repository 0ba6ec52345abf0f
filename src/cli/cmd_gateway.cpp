// `rampart gateway --config DIR/cluster.toml --listen HOST:PORT [--tls-cert F --tls-key F]
// [--client-ca F] [--plain-http]`: the wallet's REST API (src/gateway, docs/wallet.md).
#include <signal.h>

#include <cstdio>
#include <thread>

#include "cli/commands.hpp"
#include "gateway/server.hpp"

namespace rampart::cli {

namespace {
struct Args {
  std::string config, listen = "127.0.0.1:8443", cert, key, client_ca;
  bool plain = false;
  size_t clients = 8;
  int queue_wait_ms = 250, replica_timeout_ms = 1000;
};

int run_gateway(const Args& a) {
  auto cfg = load_config(a.config);
  if (!cfg) {
    std::fprintf(stderr, "error: %s\n", cfg.error().message.c_str());
    return 2;
  }
  const auto colon = a.listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "error: --listen wants HOST:PORT\n");
    return 2;
  }
  gateway::GatewayOptions o;
  o.cfg = *cfg;
  o.host = a.listen.substr(0, colon);
  try {
    o.port = static_cast<uint16_t>(std::stoul(a.listen.substr(colon + 1)));
  } catch (...) {
    std::fprintf(stderr, "error: bad port in --listen %s\n", a.listen.c_str());
    return 2;
  }
  o.tls_cert = a.cert;
  o.tls_key = a.key;
  o.client_ca = a.client_ca;
  o.plain_http = a.plain;
  o.clients = a.clients;
  o.queue_wait = std::chrono::milliseconds(a.queue_wait_ms);
  o.replica_timeout = std::chrono::milliseconds(a.replica_timeout_ms);
  auto g = gateway::Gateway::create(std::move(o));
  if (!g) {
    std::fprintf(stderr, "error: %s\n", g.error().message.c_str());
    return 2;
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);  // the server threads inherit it; one thread waits below
  std::thread server([&] { (*g)->run(); });
  std::printf("rampart gateway: %s://%s:%u/ (API /v1, OpenAPI /v1/openapi.json) for %u replicas\n",
              (*g)->tls() ? "https" : "http", a.listen.substr(0, colon).c_str(), (*g)->port(), cfg->n());
  std::fflush(stdout);
  int sig = 0;
  ::sigwait(&mask, &sig);
  (*g)->stop();
  server.join();
  return 0;
}
}  // namespace

static Command reg("gateway", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("gateway", "wallet REST API over HTTPS; every answer carries its proof");
  auto a = std::make_shared<Args>();
  cmd->add_option("--config", a->config, "cluster.toml")->required();
  cmd->add_option("--listen", a->listen, "HOST:PORT (port 0: any free port)")->default_val(a->listen);
  cmd->add_option("--tls-cert", a->cert, "PEM certificate (chain)");
  cmd->add_option("--tls-key", a->key, "PEM private key");
  cmd->add_option("--client-ca", a->client_ca, "PEM CA: require client certificates it signed");
  cmd->add_flag("--plain-http", a->plain, "serve plain HTTP without TLS (tests, behind a TLS proxy)");
  cmd->add_option("--clients", a->clients, "concurrent submissions to the cluster")->default_val(a->clients);
  cmd->add_option("--queue-wait-ms", a->queue_wait_ms, "wait this long for a free cluster client, then 429")->default_val(a->queue_wait_ms);
  cmd->add_option("--replica-timeout-ms", a->replica_timeout_ms, "per replica tried; after all: 503")->default_val(a->replica_timeout_ms);
  cmd->callback([a] { exit_code = run_gateway(*a); });
});

}  // namespace rampart::cli
