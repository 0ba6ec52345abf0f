// `rampart broker --config DIR/cluster.toml --id I --clients FILE`: one distillation broker
// (docs/brokers.md). Clients reach it over UDP at the port cluster.toml gives broker I.
//
// What it cannot do yet: talk to replicas. Without the replica side of issue 17 it takes
// submissions, proposes, collects reductions and distils batches, then holds them (logged as
// event=distilled); no batch is ordered or delivered, so clients never get a delivery.
#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <csignal>
#include <cstdio>

#include "broker/directory_file.hpp"
#include "broker/udp_front.hpp"
#include "cli/commands.hpp"
#include "client/group_key.hpp"
#include "keys/secrets.hpp"

namespace rampart::cli {
namespace {

struct Args {
  std::string config, clients, log_level = "info";
  uint32_t id = 0;
  uint32_t batch_size = 65536;
  uint64_t close_ms = 1000, reduction_ms = 2000, stats_ms = 5000;
};

int fail(int code, const std::string& why) {
  spdlog::error("event=refused_to_start error=\"{}\"", why);
  std::fprintf(stderr, "error: %s\n", why.c_str());
  return code;
}

void log_stats(const broker::UdpFront& f) {
  const auto& s = f.core().stats();
  const auto& u = f.udp();
  spdlog::info(
      "event=stats submissions={} rejected={} resent={} reductions={} proposed={} distilled={} stragglers={} "
      "invalid_reductions={} datagrams_in={} datagrams_out={} truncated={} send_errors={} send_dropped={} held_batches={} "
      "held_bytes={}",
      s.submissions, s.rejected, s.resent, s.reductions, s.batches_proposed, s.batches_distilled, s.stragglers,
      s.invalid_reductions, u.datagrams_in, u.datagrams_out, u.truncated, u.send_errors, f.counters().send_dropped,
      f.counters().batches_held,
      f.counters().held_bytes);
}

int run(const Args& a) {
  auto cfg = load_config(a.config);
  if (!cfg) return fail(2, cfg.error().message);
  const BrokerEntry* me = nullptr;
  for (const auto& b : cfg->brokers)
    if (b.id == a.id) me = &b;
  if (!me) return fail(2, "no broker " + std::to_string(a.id) + " in " + a.config);
  // The broker's own key: not used by the core yet (replica links will authenticate with it),
  // but a broker must not start with a key file that is missing, exposed or not its own.
  auto secrets = keys::load_secrets(cfg->resolve(me->key_file));
  if (!secrets) return fail(3, secrets.error().message);
  if (secrets->role != "broker" || secrets->id != a.id) return fail(3, "key file " + me->key_file + " is not broker " + std::to_string(a.id) + "'s");
  auto group = client::make_group_verifier(*cfg);
  if (!group) return fail(3, group.error().message);
  auto dir = broker::load_directory(a.clients);
  if (!dir) return fail(2, dir.error().message);

  broker::BrokerConfig bc;
  bc.id = a.id;
  bc.replicas = cfg->n();
  bc.batch_size = a.batch_size;
  bc.close_timeout_ms = a.close_ms;
  bc.reduction_timeout_ms = a.reduction_ms;
  asio::io_context io;
  broker::UdpFront front(io, bc, **dir, group->get());
  auto port = front.bind(me->host, me->port);
  if (!port) return fail(3, port.error().message);
  front.start();
  spdlog::info("event=listening udp={}:{} clients={} batch_size={} close_ms={} reduction_ms={} replica_links=none",
               me->host, *port, (*dir)->size(), bc.batch_size, bc.close_timeout_ms, bc.reduction_timeout_ms);

  asio::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](const asio::error_code&, int) { io.stop(); });
  asio::steady_timer stats(io);
  std::function<void()> tick = [&] {
    stats.expires_after(std::chrono::milliseconds(a.stats_ms));
    stats.async_wait([&](const asio::error_code& ec) {
      if (ec) return;
      log_stats(front);
      tick();
    });
  };
  tick();
  io.run();
  log_stats(front);
  return 0;
}

}  // namespace

static Command reg("broker", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("broker", "run one distillation broker (UDP; no replica links yet: batches are distilled and held)");
  auto a = std::make_shared<Args>();
  cmd->add_option("--config", a->config, "cluster.toml")->required();
  cmd->add_option("--id", a->id, "this broker's id")->required();
  cmd->add_option("--clients", a->clients, "client directory (docs/brokers.md) until sign-up exists")->required();
  cmd->add_option("--batch-size", a->batch_size, "entries at which a batch closes")->default_val(a->batch_size)
      ->check(CLI::Range(1u, broker::kMaxBatchEntries));
  cmd->add_option("--close-ms", a->close_ms, "close a batch this long after its first entry")->default_val(a->close_ms);
  cmd->add_option("--reduction-ms", a->reduction_ms, "wait this long for reductions")->default_val(a->reduction_ms);
  cmd->add_option("--stats-ms", a->stats_ms, "log counters this often")->default_val(a->stats_ms);
  cmd->add_option("--log-level", a->log_level, "trace|debug|info|warn|error");
  cmd->callback([a] {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l broker=" + std::to_string(a->id) + " %v");
    spdlog::set_level(spdlog::level::from_str(a->log_level));
    exit_code = run(*a);
  });
});

}  // namespace rampart::cli
