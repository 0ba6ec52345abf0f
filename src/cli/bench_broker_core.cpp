// `rampart bench broker-core`: the broker core's own CPU per step, single thread, no network
// (a host that only keeps what the core sends): a Submit (decode + Ed25519 check + insert), the
// proposal (reduction tree + one Inclusion with three proofs per client), a Reduction (decode of
// the uncompressed point, curve check only, + store), distillation (sum, its subgroup check, one
// pairing check, the distilled batch). It says
// how many cores a broker needs for a given intake; docs/benchmarks.md has the numbers.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "broker/broker.hpp"
#include "cli/bench.hpp"
#include "cli/commands.hpp"

namespace rampart::cli::bench {
namespace {

using namespace rampart::broker;

struct Keep final : BrokerHost {
  std::vector<std::pair<ClientAddr, Bytes>> to_clients;
  uint64_t last_token = 0;
  void send_client(ClientAddr to, Bytes m) override { to_clients.emplace_back(to, std::move(m)); }
  void send_replica(uint32_t, Bytes) override {}
  uint64_t now_ms() override { return 0; }
  void set_timer(uint64_t token, uint64_t) override { last_token = token; }
};

Timing once(const std::function<void()>& f) {
  const double c0 = thread_cpu_now_ns();
  auto a = std::chrono::steady_clock::now();
  f();
  auto b = std::chrono::steady_clock::now();
  return {thread_cpu_now_ns() - c0, std::chrono::duration<double, std::nano>(b - a).count()};
}

int run(uint32_t n, const std::string& json) {
  std::fprintf(stderr, "bench broker-core: keys and signatures for %u clients ...\n", n);
  MemoryDirectory dir;
  std::vector<crypto::bls::SecretKey> bls;
  std::vector<Bytes> submits;
  for (uint32_t i = 0; i < n; ++i) {
    Bytes seed(32, 0x42);
    std::memcpy(seed.data(), &i, 4);
    auto ed = *crypto::ed25519::KeyPair::from_seed(seed);
    bls.push_back(*crypto::bls::SecretKey::from_seed(seed));
    dir.add_trusted(i, {ed.public_key(), crypto::bls::public_key(bls.back())});
    Submit s{i, 0, Bytes(8, static_cast<uint8_t>(i)), {}};
    s.sig = ed.sign(submit_statement(i, 0, s.payload));
    submits.push_back(encode(s));
  }
  Keep host;
  BrokerConfig cfg;
  cfg.batch_size = n + 1;  // closed by its timer below, so the proposal is measured alone
  Broker b(cfg, dir, nullptr, host);
  const Timing submit = once([&] {
    for (uint32_t i = 0; i < n; ++i) b.on_client(i, submits[i]);
  });
  if (b.building() != n) std::abort();
  const Timing propose = once([&] { b.on_timer(host.last_token); });
  if (host.to_clients.size() != n) std::abort();
  size_t inclusion_bytes = 0;
  std::vector<Bytes> reductions;
  for (auto& [addr, wire] : host.to_clients) {
    inclusion_bytes += wire.size();
    auto m = decode_client_message(wire);
    if (!m || !std::holds_alternative<Inclusion>(*m)) std::abort();
    const auto& inc = std::get<Inclusion>(*m);
    Reduction r{static_cast<ClientId>(addr), inc.number, inc.root, {}};
    r.sig = crypto::bls::sign(bls[addr], reduce_statement(inc.root)).to_raw();
    reductions.push_back(encode(r));
  }
  const Timing reduce = once([&] {
    for (uint32_t i = 0; i + 1 < n; ++i) b.on_client(i, reductions[i]);
  });
  const Timing distill = once([&] { b.on_client(n - 1, reductions[n - 1]); });  // the last one distils
  if (b.stats().batches_distilled != 1 || b.stats().stragglers != 0) std::abort();

  Report rep("broker-core");
  rep.param("clients", n);
  rep.add("submit: decode + Ed25519 check + insert", submit / n, "submission");
  rep.add("proposal: tree + one Inclusion per client", propose / n, "client",
          "whole batch " + human_ns(propose.cpu_ns) + ", Inclusion " + std::to_string(inclusion_bytes / n) + " B");
  rep.add("reduction: decode (uncompressed, curve check only) + store", reduce / (n - 1), "reduction");
  rep.add("distil: sum, one pairing check, the distilled batch", distill / n, "client",
          "whole batch " + human_ns(distill.cpu_ns));
  const double per_msg = (submit.cpu_ns + propose.cpu_ns + reduce.cpu_ns + distill.cpu_ns) / n;
  rep.metric("broker CPU per message, all steps (ns)", per_msg);
  rep.metric("messages per second per core, all steps", 1e9 / per_msg);
  rep.print();
  if (!json.empty() && !rep.write_json(json)) return 1;
  return 0;
}

Registration reg("broker-core", [](CLI::App& bench) {
  auto n = std::make_shared<uint32_t>(4096);
  auto json = std::make_shared<std::string>();
  auto* cmd = bench.add_subcommand("broker-core", "the broker core's CPU per submission, proposal, reduction and distillation");
  cmd->add_option("--clients", *n, "clients in the batch")->default_val(*n)->check(CLI::Range(2u, kMaxBatchEntries));
  cmd->add_option("--json", *json, "also write the results as JSON");
  cmd->callback([n, json] { exit_code = run(*n, *json); });
});

}  // namespace
}  // namespace rampart::cli::bench
