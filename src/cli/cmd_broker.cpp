// `rampart broker --config DIR/cluster.toml --id I [--clients FILE]`: one distillation broker
// (docs/brokers.md). Clients reach it over UDP at the port cluster.toml gives broker I; it
// reaches the replicas over their client ports (broker/replica_links.hpp), with its own key.
#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <csignal>
#include <sodium.h>
#include <cstdio>

#include "broker/broker_disk.hpp"
#include "broker/directory_file.hpp"
#include "client/signup.hpp"
#include "broker/replica_links.hpp"
#include "broker/replica_wire.hpp"
#include "broker/udp_front.hpp"
#include "cli/commands.hpp"
#include "client/group_key.hpp"
#include "keys/secrets.hpp"

namespace rampart::cli {
namespace {

struct Args {
  std::string config, clients, data, log_level = "info";
  uint32_t id = 0;
  bool trusted_directory = false;
  uint32_t batch_size = 65536;
  uint64_t close_ms = 1000, reduction_ms = 2000, resubmit_ms = 1000, stats_ms = 5000;
  size_t max_undelivered = 8;
  bool no_cookies = false;
  size_t workers = 1;
  std::string cpus;
};

int fail(int code, const std::string& why) {
  spdlog::error("event=refused_to_start error=\"{}\"", why);
  std::fprintf(stderr, "error: %s\n", why.c_str());
  return code;
}

void log_stats(const broker::UdpFront& f, const broker::ReplicaLinks& links) {
  const auto& s = f.core().stats();
  const auto& u = f.udp();
  const auto& l = links.counters();
  spdlog::info(
      "event=stats submissions={} rejected={} resent={} reductions={} proposed={} distilled={} stragglers={} "
      "invalid_reductions={} delivered={} undelivered={} replica_sends={} resubmissions={} datagrams_in={} "
      "datagrams_out={} truncated={} send_errors={} send_dropped={} replica_bytes={} link_connects={} link_failures={} "
      "delivered_in={} replica_other_dropped={} link_queue_dropped={} oversize={} signups={} signups_refused={} shed={} "
      "cookies_sent={}",
      s.submissions, s.rejected, s.resent, s.reductions, s.batches_proposed, s.batches_distilled, s.stragglers,
      s.invalid_reductions, s.batches_delivered, f.core().undelivered(), s.replica_sends, s.resubmissions,
      u.datagrams_in, u.datagrams_out, u.truncated, u.send_errors, f.counters().send_dropped,
      f.counters().replica_bytes, l.connects, l.failures, l.delivered_in, l.other_dropped, l.queue_dropped, l.oversize,
      s.signups, s.signups_refused, s.shed, s.cookies_sent);
}

// Whether a full batch of 8-byte payloads (the driver's default) with one aggregate fits the
// replicas' frame limit. A batch that does not is refused at send time (event=batch_too_large);
// saying so at start saves finding out from a stalled cluster.
bool full_batch_fits(uint32_t broker_id, uint32_t batch_size) {
  broker::DistilledBatch probe;
  probe.broker = broker_id;
  probe.has_aggregate = true;
  const Bytes payload(8, 0);
  for (uint32_t i = 0; i < batch_size; ++i) probe.entries.push(i, payload);
  return broker::encode(probe).size() <= client::Session::kMaxFrame;
}

int run(const Args& a) {
  auto cfg = load_config(a.config);
  if (!cfg) return fail(2, cfg.error().message);
  const BrokerEntry* me = nullptr;
  for (const auto& b : cfg->brokers)
    if (b.id == a.id) me = &b;
  if (!me) return fail(2, "no broker " + std::to_string(a.id) + " in " + a.config);
  // The broker's own key opens its channels to the replicas (cluster.toml lists its public half,
  // which replicas accept as a relay's); refused if missing, exposed or not its own.
  auto secrets = keys::load_secrets(cfg->resolve(me->key_file));
  if (!secrets) return fail(3, secrets.error().message);
  if (secrets->role != "broker" || secrets->id != a.id) return fail(3, "key file " + me->key_file + " is not broker " + std::to_string(a.id) + "'s");
  auto group = client::make_group_verifier(*cfg);
  if (!group) return fail(3, group.error().message);
  if (secrets->ed25519_secret.size() != 64) return fail(3, "key file " + me->key_file + " has no Ed25519 key");
  client::SigningKey key{Bytes(secrets->ed25519_secret.begin() + 32, secrets->ed25519_secret.end()), secrets->ed25519_secret};
  // The directory replicas check batches against (cluster.toml's `clients`) unless told otherwise.
  std::string clients = a.clients;
  if (clients.empty() && !cfg->clients.empty()) clients = cfg->resolve(cfg->clients).string();
  // Without one the broker starts empty and learns every client from its sign-up certificate.
  Result<std::unique_ptr<broker::MemoryDirectory>> dir = std::make_unique<broker::MemoryDirectory>();
  if (!clients.empty()) dir = broker::load_directory(clients, !a.trusted_directory);
  if (!dir) return fail(2, dir.error().message);

  // What this broker keeps across restarts (broker/broker_disk.hpp).
  const std::filesystem::path data = a.data.empty() ? cfg->resolve("data/broker-" + std::to_string(a.id)) : std::filesystem::path(a.data);
  auto disk = broker::BrokerDisk::open(data);
  if (!disk) return fail(3, disk.error().message);
  auto check = [g = *group](ByteView cert) -> Result<broker::CertifiedClient> {
    auto s = client::check_signup_certificate(cert, *g);
    if (!s) return s.error();
    return broker::CertifiedClient{s->id, {s->ed25519, s->bls}};
  };
  size_t loaded = 0, refused = 0;
  for (const Bytes& cert : disk->certificates()) {
    auto c = check(cert);
    if (!c || (**dir).find(c->id)) {
      refused += c ? 0 : 1;  // known already (the genesis directory has it): nothing to add
      continue;
    }
    (**dir).add_trusted(c->id, c->keys);
    ++loaded;
  }

  broker::BrokerConfig bc;
  bc.id = a.id;
  bc.first_number = disk->first_number();
  bc.max_undelivered = a.max_undelivered;
  if (!a.no_cookies) {
    Hash32 key;
    randombytes_buf(key.data(), key.size());  // new each start: clients ask again after a restart
    bc.cookie_key = key;
  }
  bc.replicas = cfg->n();
  bc.batch_size = a.batch_size;
  bc.close_timeout_ms = a.close_ms;
  bc.reduction_timeout_ms = a.reduction_ms;
  bc.resubmit_ms = a.resubmit_ms;
  std::vector<int> cpus;
  if (!a.cpus.empty()) {
    auto c = broker::parse_cpu_list(a.cpus);
    if (!c) return fail(2, "--cpus: " + c.error().message);
    cpus = std::move(*c);
    if (auto st = broker::pin_this_thread(cpus[0]); !st) return fail(2, "--cpus: " + st.error().message);
  }
  asio::io_context io;
  broker::UdpFront front(io, bc, **dir, group->get());
  front.use_workers(a.workers, cpus);
  auto port = front.bind(me->host, me->port);
  if (!port) return fail(3, port.error().message);
  broker::ReplicaLinks links(io, *cfg, std::move(key), [&front](uint32_t r, ByteView m) { front.on_replica(r, m); });
  front.set_replica_sink([&links](uint32_t r, Bytes m) { links.send(r, std::move(m)); });
  front.set_number_hook([&disk](uint64_t n) {
    if (auto st = disk->reserve_through(n); !st)
      spdlog::error("event=number_reservation_failed number={} error=\"{}\"", n, st.error().message);
  });
  // Clients signed up after the start hand us their certificates (docs/brokers.md, "Sign-up");
  // the ones that add a client are kept for the next start.
  auto check_and_log = [&check](ByteView cert) -> Result<broker::CertifiedClient> {
    auto c = check(cert);
    if (c) spdlog::info("event=client_signed_up id={}", c->id);
    return c;
  };
  front.core().learn_signups(**dir, check_and_log, [&disk](ByteView cert) {
    if (auto st = disk->remember_certificate(cert); !st)
      spdlog::error("event=signup_not_kept error=\"{}\"", st.error().message);
  });
  front.start();
  spdlog::info("event=listening udp={}:{} clients={} signups_loaded={} signups_refused={} first_number={} batch_size={} "
               "close_ms={} reduction_ms={} resubmit_ms={} max_undelivered={} cookies={} replicas={} workers={} cpus=\"{}\" data={}",
               me->host, *port, (*dir)->size(), loaded, refused, bc.first_number, bc.batch_size, bc.close_timeout_ms,
               bc.reduction_timeout_ms, bc.resubmit_ms, bc.max_undelivered, bc.cookie_key ? "on" : "off", bc.replicas,
               a.workers, a.cpus, data.string());

  if (!full_batch_fits(a.id, bc.batch_size))
    spdlog::warn("event=batch_size_too_large batch_size={} limit={} hint=\"a full batch of 8-byte payloads exceeds the "
                 "replicas' frame limit; lower --batch-size\"",
                 bc.batch_size, client::Session::kMaxFrame);

  asio::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](const asio::error_code&, int) { io.stop(); });
  asio::steady_timer stats(io);
  std::function<void()> tick = [&] {
    stats.expires_after(std::chrono::milliseconds(a.stats_ms));
    stats.async_wait([&](const asio::error_code& ec) {
      if (ec) return;
      log_stats(front, links);
      tick();
    });
  };
  tick();
  io.run();
  log_stats(front, links);
  return 0;
}

}  // namespace

static Command reg("broker", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("broker", "run one distillation broker (clients over UDP, replicas over their client ports)");
  auto a = std::make_shared<Args>();
  cmd->add_option("--config", a->config, "cluster.toml")->required();
  cmd->add_option("--id", a->id, "this broker's id")->required();
  cmd->add_option("--clients", a->clients, "genesis client directory (docs/brokers.md); default: cluster.toml's clients; none: every client comes from a sign-up certificate");
  cmd->add_option("--batch-size", a->batch_size, "entries at which a batch closes")->default_val(a->batch_size)
      ->check(CLI::Range(1u, broker::kMaxBatchEntries));
  cmd->add_option("--close-ms", a->close_ms, "close a batch this long after its first entry")->default_val(a->close_ms);
  cmd->add_option("--reduction-ms", a->reduction_ms, "wait this long for reductions")->default_val(a->reduction_ms);
  cmd->add_option("--resubmit-ms", a->resubmit_ms, "first wait for a delivery before the next replica (doubles up to 8 s)")
      ->default_val(a->resubmit_ms)->check(CLI::Range(uint64_t(1), uint64_t(8000)));
  cmd->add_option("--max-undelivered", a->max_undelivered,
                  "closed batches waiting for delivery at which new messages are dropped (back-pressure; 0: no bound)")
      ->default_val(a->max_undelivered);
  cmd->add_flag("--no-cookies", a->no_cookies,
                "take Submits from any source address without a return-routability cookie (closed networks, old clients)");
  cmd->add_option("--workers", a->workers,
                  "threads beside the I/O thread that check Submits' Ed25519 signatures (0: the I/O thread checks them)")
      ->default_val(a->workers)->check(CLI::Range(size_t(0), size_t(64)));
  cmd->add_option("--cpus", a->cpus,
                  "pin the I/O thread (receive, batching, send) to the first core of this list and the workers to the "
                  "next ones, wrapping around (e.g. 0,1 or 0-3)");
  cmd->add_option("--data", a->data, "folder for what the broker keeps across restarts (default: the config's data/broker-ID)");
  cmd->add_option("--stats-ms", a->stats_ms, "log counters this often")->default_val(a->stats_ms);
  cmd->add_option("--log-level", a->log_level, "trace|debug|info|warn|error");
  cmd->add_flag("--trusted-directory", a->trusted_directory,
                "benchmarks only: the client directory was written by this cluster's own keygen; load it without "
                "checking each proof of possession");
  cmd->callback([a] {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l broker=" + std::to_string(a->id) + " %v");
    spdlog::set_level(spdlog::level::from_str(a->log_level));
    exit_code = run(*a);
  });
});

}  // namespace rampart::cli
