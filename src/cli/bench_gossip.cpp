// `rampart bench gossip [--sizes 10,30,100] [--degree D] [--items K] [--difficulty B] [--json FILE]`
// For each size N: N modules on loopback in this process (one io thread, as the loopback tests),
// every module bootstrapping from module 0 and discovering the rest, one subscriber per module
// that validates every item at once. Items are announced one at a time from a module picked in
// turn, each after the previous one reached everybody. Reported, median over the items: the
// time until 50%, 99% and 100% of the N modules had the item (the origin at once, the others
// when their subscriber was notified; 99% of 10 or 30 modules is all of them); and, per
// module per item, ITEM messages sent and duplicates received (the figures epidemic-broadcast
// and gossipsub papers report), with their ratios to the minimum (a spanning tree: N-1 messages,
// no duplicates) and to the overlay's mean degree.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>

#include "cli/bench.hpp"
#include "cli/commands.hpp"
#include "gossip/api_client.hpp"
#include "gossip/local_mesh.hpp"

namespace rampart::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<size_t> sizes = {10, 30, 100};
  size_t degree = 4;
  size_t items = 20;
  unsigned difficulty = 8;
  std::string json;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Result {
  size_t n = 0;
  double mean_peers = 0, form_s = 0;
  double p50_ms = 0, p99_ms = 0, p100_ms = 0;
  double sent_per_module = 0, dups_per_module = 0;
};

bool run_size(size_t n, const Options& o, Result& r) {
  r.n = n;
  auto t_form = Clock::now();
  gossip::MeshOptions mo;
  mo.n = n;
  mo.degree = o.degree;
  mo.difficulty = o.difficulty;
  mo.cache_size = 4 * o.items + 64;
  gossip::LocalMesh mesh(mo);
  if (!mesh.start_error().empty()) {
    std::fprintf(stderr, "bench gossip: %s\n", mesh.start_error().c_str());
    return false;
  }
  if (!mesh.wait_formed(std::chrono::seconds(120))) {
    std::fprintf(stderr, "bench gossip: %zu modules did not form a connected overlay of degree %zu: %s\n", n,
                 o.degree, mesh.describe().c_str());
    return false;
  }
  r.form_s = std::chrono::duration<double>(Clock::now() - t_form).count();
  r.mean_peers = mesh.mean_peers();

  // arrival[item][module] = when that module's subscriber was notified.
  std::map<std::string, std::map<size_t, Clock::time_point>> arrival;
  std::vector<std::unique_ptr<gossip::ApiClient>> subs;
  constexpr uint16_t kType = 0xbe00;
  for (size_t i = 0; i < n; ++i) {
    auto c = std::make_unique<gossip::ApiClient>(mesh.io);
    if (auto st = c->connect(mesh.modules[i]->api_address()); !st) {
      std::fprintf(stderr, "bench gossip: %s\n", st.error().message.c_str());
      return false;
    }
    auto* raw = c.get();
    c->on_notification([raw, i, &arrival](const gossip::Notification& m) {
      arrival[to_string(m.data)].try_emplace(i, Clock::now());
      raw->validate(m.message_id, true);
    });
    c->notify(kType);
    subs.push_back(std::move(c));
  }
  if (!gossip::run_until(mesh.io, [&] {
        for (auto& m : mesh.modules)
          if (m->engine().subscribers(kType) == 0) return false;
        return true;
      })) {
    std::fprintf(stderr, "bench gossip: subscriptions did not register\n");
    return false;
  }

  auto totals = [&] {
    std::pair<uint64_t, uint64_t> t{0, 0};
    for (auto& m : mesh.modules) {
      t.first += m->engine().stats().items_sent;
      t.second += m->engine().stats().duplicates;
    }
    return t;
  };
  auto before = totals();
  std::vector<double> p50, p99, p100;
  std::vector<std::unique_ptr<gossip::ApiClient>> announcers(n);
  for (size_t k = 0; k < o.items; ++k) {
    size_t origin = (k * 7) % n;
    if (!announcers[origin]) {
      announcers[origin] = std::make_unique<gossip::ApiClient>(mesh.io);
      if (!announcers[origin]->connect(mesh.modules[origin]->api_address())) return false;
    }
    std::string data = "bench item " + std::to_string(k);
    auto t0 = Clock::now();
    if (!announcers[origin]->announce(0, kType, to_bytes(data))) return false;
    // Every module's subscriber but the announcer's own is notified (the origin's too: it is
    // another local subscriber).
    if (!gossip::run_until(mesh.io, [&] { return arrival[data].size() >= n; }, std::chrono::seconds(30))) {
      std::fprintf(stderr, "bench gossip: item %zu reached %zu of %zu modules\n", k, arrival[data].size(), n);
      return false;
    }
    // The origin module has the item at once (time 0); the others when their subscriber heard.
    std::vector<double> ms = {0.0};
    for (auto& [i, t] : arrival[data])
      if (i != origin) ms.push_back(std::chrono::duration<double, std::milli>(t - t0).count());
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[static_cast<size_t>(std::ceil(q * double(ms.size()))) - 1]; };
    p50.push_back(at(0.5));
    p99.push_back(at(0.99));
    p100.push_back(ms.back());
  }
  // Late duplicates of the last item are still in flight: let the overlay go quiet.
  auto last = totals();
  for (int quiet = 0; quiet < 3;) {
    gossip::run_until(mesh.io, [] { return false; }, std::chrono::milliseconds(50));
    auto now = totals();
    quiet = now == last ? quiet + 1 : 0;
    last = now;
  }
  double per = double(n) * double(o.items);
  r.sent_per_module = double(last.first - before.first) / per;
  r.dups_per_module = double(last.second - before.second) / per;
  r.p50_ms = median(p50);
  r.p99_ms = median(p99);
  r.p100_ms = median(p100);
  return true;
}

int run(const Options& o) {
  std::printf("gossip on loopback, one process, one io thread; degree %zu (max peers %zu), proof of work %u bits,\n"
              "%zu items per size, announced one at a time; one validating subscriber per module\n\n",
              o.degree, 2 * o.degree, o.difficulty, o.items);
  std::printf("%5s %7s %7s %9s %9s %9s %9s %10s %9s %9s %9s\n", "N", "peers", "form s", "50% ms", "99% ms",
              "100% ms", "100%/50%", "sent/mod", "/minimum", "/peers", "dups/mod");
  bench::Report rep("gossip");
  rep.param("degree", double(o.degree));
  rep.param("items", double(o.items));
  rep.param("pow_difficulty", o.difficulty);
  for (size_t n : o.sizes) {
    Result r;
    if (!run_size(n, o, r)) return 1;
    double minimum = double(n - 1) / double(n);  // messages per module per item of a spanning tree
    std::printf("%5zu %7.1f %7.2f %9.2f %9.2f %9.2f %9.2f %10.2f %9.2f %9.2f %9.2f\n", n, r.mean_peers, r.form_s,
                r.p50_ms, r.p99_ms, r.p100_ms, r.p50_ms > 0 ? r.p100_ms / r.p50_ms : 0, r.sent_per_module,
                r.sent_per_module / minimum, r.sent_per_module / r.mean_peers, r.dups_per_module);
    std::fflush(stdout);
    std::string p = "n" + std::to_string(n) + "_";
    rep.metric(p + "mean_peers", r.mean_peers);
    rep.metric(p + "reach50_ms", r.p50_ms);
    rep.metric(p + "reach99_ms", r.p99_ms);
    rep.metric(p + "reach100_ms", r.p100_ms);
    rep.metric(p + "sent_per_module_per_item", r.sent_per_module);
    rep.metric(p + "duplicates_per_module_per_item", r.dups_per_module);
  }
  std::printf("\nsent/mod: ITEM messages a module sent per item; /minimum: over a spanning tree's (N-1)/N;\n"
              "/peers: over the mean number of peers (flooding sends each item to every peer but the one it\n"
              "came from: just under 1); dups/mod: copies a module received after its first.\n");
  if (!o.json.empty() && !rep.write_json(o.json)) return 1;
  return 0;
}

bench::Registration reg("gossip", [](CLI::App& bench) {
  auto o = std::make_shared<Options>();
  auto* cmd = bench.add_subcommand("gossip", "gossip spreading on loopback: reach times, messages and duplicates");
  cmd->add_option("--sizes", o->sizes, "module counts (default 10 30 100)")->delimiter(',');
  cmd->add_option("--degree", o->degree, "degree of every module (default 4)")->check(CLI::Range(1, 64));
  cmd->add_option("--items", o->items, "items announced per size (default 20)")->check(CLI::Range(1, 10000));
  cmd->add_option("--difficulty", o->difficulty, "proof-of-work bits in handshakes (default 8)")->check(CLI::Range(0, 24));
  cmd->add_option("--json", o->json, "also write the results as JSON to this file");
  cmd->callback([o] { exit_code = run(*o); });
});

}  // namespace
}  // namespace rampart::cli
