// `rampart broker-client --config DIR/cluster.toml --broker I --clients N --messages M`: plays N
// broker-path clients (keys from DIR/keys/broker-clients.key, `rampart keygen --broker-clients`)
// through broker I over UDP, with the real client protocol (broker::Client: Ed25519-signed
// Submit, inclusion checks, BLS reduction, delivery certificate checked against the group key).
// Each client sends M messages one after another (one outstanding); the driver prints how many
// were delivered and their latency, and exits 0 only when all N * M were, within --timeout-s.
#include <algorithm>
#include <asio.hpp>
#include <fstream>
#include <map>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>

#include "broker/client_keys.hpp"
#include "broker/token_bucket.hpp"
#include "client/signup.hpp"
#include "broker/udp_client.hpp"
#include "cli/commands.hpp"
#include "client/group_key.hpp"
#include "common/config.hpp"

namespace rampart::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string config, keys;
  std::vector<std::string> signup_certs;
  uint32_t broker = 0, clients = 1, messages = 1, payload_bytes = 8;
  uint64_t timeout_s = 60, retransmit_ms = 1000;
  double rate = 0, burst = 64;  // new messages per second over all clients (0: unpaced), saved up at most
};

int fail(const std::string& why) {
  std::fprintf(stderr, "error: %s\n", why.c_str());
  return 2;
}

// Unique per (client, message): id u32 and message number u32, then zeros to the size asked.
Bytes payload(uint32_t id, uint32_t k, uint32_t size) {
  Bytes p(size, 0);
  for (int i = 0; i < 4; ++i) {
    p[i] = static_cast<uint8_t>(id >> (8 * i));
    p[4 + i] = static_cast<uint8_t>(k >> (8 * i));
  }
  return p;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

int run(const Args& a) {
  auto cfg = load_config(a.config);
  if (!cfg) return fail(cfg.error().message);
  if (a.broker >= cfg->brokers.size()) return fail("no broker " + std::to_string(a.broker) + " in " + a.config);
  auto group = client::make_group_verifier(*cfg);
  if (!group) return fail(group.error().message);
  auto secrets = broker::load_client_secrets(a.keys.empty() ? cfg->resolve(broker::kClientSecretsFile) : std::filesystem::path(a.keys));
  if (!secrets) return fail(secrets.error().message);
  if (secrets->size() < a.clients)
    return fail("only " + std::to_string(secrets->size()) + " broker clients in the key file; asked for " + std::to_string(a.clients));

  asio::io_context io;
  // Broker b of the client core is cluster.toml's brokers[b]: a client that gives up on its
  // broker moves on to the next one, as the core does.
  std::vector<asio::ip::udp::endpoint> eps;
  for (const auto& b : cfg->brokers) {
    asio::error_code ec;
    auto addr = asio::ip::make_address(b.host, ec);
    if (ec) return fail("broker " + std::to_string(b.id) + ": bad host " + b.host);
    eps.emplace_back(addr, b.port);
  }
  // Freshly signed-up clients: each one's core hands its certificate to every broker it talks
  // to, before its first message there (broker::ClientConfig::signup_cert).
  std::map<uint32_t, Bytes> certs;  // client id -> its sign-up certificate
  for (const auto& file : a.signup_certs) {
    std::ifstream in(file, std::ios::binary);
    const Bytes cert((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto c = client::check_signup_certificate(cert, **group);
    if (!c) return fail(file + ": " + c.error().message);
    certs[c->id] = cert;
  }
  std::vector<std::unique_ptr<broker::UdpClient>> cs;
  std::vector<uint32_t> sent(a.clients, 0);
  std::vector<Clock::time_point> since(a.clients);
  std::vector<double> lat_ms;
  uint64_t delivered = 0;
  const uint64_t want = uint64_t(a.clients) * a.messages;
  auto send_now = [&](uint32_t i) {
    since[i] = Clock::now();
    auto st = cs[i]->core().submit(payload((*secrets)[i].id, sent[i]++, a.payload_bytes));
    if (!st) std::fprintf(stderr, "client %u: %s\n", i, st.error().message.c_str());
  };
  // Client-side pacing (--rate, --burst): a new message leaves only with a token; the clients
  // waiting for one queue in order and one timer releases them as tokens come. Retransmissions
  // are not paced (the core's back-off spaces them).
  broker::TokenBucket bucket(a.rate, a.burst);
  std::deque<uint32_t> paced;
  asio::steady_timer pace(io);
  bool pace_armed = false;
  uint64_t waited = 0;
  const auto us_now = [t = Clock::now()] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count());
  };
  std::function<void()> release = [&] {
    while (!paced.empty() && bucket.take(us_now(), 1) == 1) {
      const uint32_t i = paced.front();
      paced.pop_front();
      send_now(i);
    }
    if (paced.empty() || pace_armed) return;
    pace_armed = true;
    pace.expires_after(std::chrono::microseconds(bucket.wait_us(us_now(), 1)));
    pace.async_wait([&](const asio::error_code& ec) {
      pace_armed = false;
      if (!ec) release();
    });
  };
  auto submit = [&](uint32_t i) {
    if (a.rate <= 0) return send_now(i);
    if (!paced.empty() || bucket.take(us_now(), 1) == 0) {
      ++waited;
      paced.push_back(i);
      return release();
    }
    send_now(i);
  };
  for (uint32_t i = 0; i < a.clients; ++i) {
    broker::ClientConfig cc;
    cc.id = (*secrets)[i].id;
    cc.brokers = static_cast<uint32_t>(eps.size());
    cc.first_broker = a.broker;
    cc.retransmit_ms = a.retransmit_ms;
    if (auto it = certs.find(cc.id); it != certs.end()) cc.signup_cert = it->second;
    cs.push_back(std::make_unique<broker::UdpClient>(io, eps, cc, (*secrets)[i].ed25519, (*secrets)[i].bls, group->get()));
    cs.back()->core().on_delivered = [&, i](const broker::DeliveredInfo&) {
      lat_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - since[i]).count());
      if (++delivered == want) io.stop();
      // The next message after the core finished with this one (posted: not from inside its handler).
      if (sent[i] < a.messages) asio::post(io, [&, i] { submit(i); });
    };
  }
  const auto t0 = Clock::now();
  for (uint32_t i = 0; i < a.clients; ++i) submit(i);
  if (want > 0) io.run_for(std::chrono::seconds(a.timeout_s));
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();

  uint64_t retransmits = 0, rejected = 0, switches = 0;
  std::string why;
  for (const auto& c : cs) {
    const auto& s = c->core().stats();
    retransmits += s.retransmits;
    rejected += s.rejected;
    switches += s.broker_switches;
    if (!s.last_rejection.empty()) why = s.last_rejection;
  }
  std::printf("delivered %llu/%llu in %.2f s  latency p50 %.1f ms  p99 %.1f ms  retransmits %llu  broker_switches %llu  rejected %llu  paced %llu%s%s\n",
              static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(want), secs, percentile(lat_ms, 0.5),
              percentile(lat_ms, 0.99), static_cast<unsigned long long>(retransmits), static_cast<unsigned long long>(switches),
              static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(waited),
              why.empty() ? "" : "  last rejection: ", why.c_str());
  std::fflush(stdout);
  return delivered == want ? 0 : 1;
}

}  // namespace

static Command reg("broker-client", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("broker-client", "play broker-path clients through a broker (UDP) until every message is delivered");
  auto a = std::make_shared<Args>();
  cmd->add_option("--config", a->config, "cluster.toml")->required();
  cmd->add_option("--broker", a->broker, "the broker the clients start with (they move on if it goes silent)")->default_val(0);
  cmd->add_option("--clients", a->clients, "clients to play (the first N of the key file)")->default_val(a->clients)
      ->check(CLI::Range(1u, 1u << 20));
  cmd->add_option("--messages", a->messages, "messages per client, one outstanding at a time")->default_val(a->messages);
  cmd->add_option("--payload-bytes", a->payload_bytes, "bytes per message (8..512: client id and message number, zero padded)")
      ->default_val(a->payload_bytes)->check(CLI::Range(8u, 512u));
  cmd->add_option("--keys", a->keys, "the clients' key file (default DIR/keys/broker-clients.key)");
  cmd->add_option("--signup-certs", a->signup_certs,
                  "sign-up certificates (`rampart client signup` writes KEY.cert): each client hands its own to a broker before its first message there");
  cmd->add_option("--retransmit-ms", a->retransmit_ms, "a client's first retransmission")->default_val(a->retransmit_ms);
  cmd->add_option("--timeout-s", a->timeout_s, "give up after this long (exit 1)")->default_val(a->timeout_s);
  cmd->add_option("--rate", a->rate, "new messages per second over all clients, a token bucket (0: unpaced)")
      ->default_val(a->rate)->check(CLI::Range(0.0, 1e7));
  cmd->add_option("--burst", a->burst, "messages the bucket saves up while idle (with --rate)")
      ->default_val(a->burst)->check(CLI::Range(1.0, 1e7));
  cmd->callback([a] { exit_code = run(*a); });
});

}  // namespace rampart::cli
