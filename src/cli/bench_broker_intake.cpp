// `rampart bench broker-intake`: how many submissions one `rampart broker` process takes from
// rate-limited UDP senders, and how many it loses (issue 17: the reference broker's target is
// 65,536 a second with at most 1% loss, there on 4 cores).
//
// The senders replay Submits signed before the run (one per client and sequence number, so each
// is new to the broker and passes its Ed25519 check), paced by a token bucket each
// (broker/token_bucket.hpp) with a burst limit. Intake is the broker's own count of accepted
// submissions over the window; loss is 1 - datagrams the broker received / datagrams sent
// (both from the broker's stats line and the senders' counts). No replicas run: batches close
// and distil (every client a straggler) and their delivery is not waited for.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "broker/client_keys.hpp"
#include "broker/client_wire.hpp"
#include "broker/entries.hpp"
#include "broker/token_bucket.hpp"
#include "cli/bench.hpp"
#include "cli/bench_local.hpp"
#include "cli/commands.hpp"
#include "keys/keygen.hpp"

namespace rampart::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Args {
  uint32_t clients = 4096;
  uint32_t per_client = 16;  // Submits signed per client (seq 0..per_client-1)
  uint32_t senders = 2;
  double rate = 65536;       // datagrams a second, all senders together
  double burst = 256;        // per sender
  double duration = 5;
  std::string json;
  bool keep = false;
  uint32_t workers = 1;  // the broker's --workers
  std::string cpus;      // the broker's --cpus
};

uint64_t now_us() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count());
}

// The broker's counters from its last stats line.
std::map<std::string, uint64_t> last_stats(const fs::path& log) {
  std::ifstream in(log);
  std::string last;
  for (std::string line; std::getline(in, line);)
    if (line.find("event=stats") != std::string::npos) last = line;
  std::map<std::string, uint64_t> out;
  static const std::regex re("([a-z_]+)=([0-9]+)");
  for (std::sregex_iterator it(last.begin(), last.end(), re), end; it != end; ++it)
    out[(*it)[1].str()] = std::stoull((*it)[2].str());
  return out;
}

int bench_intake(const Args& a) {
  std::string tmpl = (fs::temp_directory_path() / "rampart-bench-intake-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return 1;
  const fs::path dir = tmpl;
  keys::KeygenOptions ko;
  ko.brokers = 1;
  ko.base_port = bench::free_base_port(4);
  auto cfg = keys::keygen(ko, dir);
  if (!cfg) return 1;
  std::fprintf(stderr, "bench broker-intake: %u clients' keys, %u Submits each...\n", a.clients, a.per_client);
  if (auto st = broker::add_client_set_to_cluster(dir, a.clients); !st) return 1;
  auto secrets = broker::load_client_secrets(dir / broker::kClientSecretsFile);
  if (!secrets) return 1;
  // Interleaved by seq, so consecutive datagrams come from different clients as in a real load.
  std::vector<Bytes> wire;
  wire.reserve(size_t{a.clients} * a.per_client);
  for (uint32_t seq = 0; seq < a.per_client; ++seq)
    for (const auto& c : *secrets) {
      broker::Submit s;
      s.id = c.id;
      s.seq = seq;
      Writer w;
      w.u64(seq);
      s.payload = w.take();
      const auto sig = c.ed25519.sign(broker::submit_statement(s.id, s.seq, s.payload));
      std::copy(sig.begin(), sig.end(), s.sig.begin());
      wire.push_back(broker::encode(s));
    }

  const fs::path log = dir / "broker-0.log";
  const std::string cf = (dir / "cluster.toml").string();
  std::vector<std::string> bargs = {"broker", "--config", cf, "--id", "0", "--trusted-directory", "--stats-ms",
                                    "200", "--log-level", "info", "--workers", std::to_string(a.workers)};
  if (!a.cpus.empty()) bargs.insert(bargs.end(), {"--cpus", a.cpus});
  const pid_t broker_pid = bench::spawn_self(log, bargs);
  auto stats_ready = [&] { return !last_stats(log).empty(); };
  const auto t0 = Clock::now();
  while (!stats_ready() && Clock::now() - t0 < std::chrono::seconds(60)) std::this_thread::sleep_for(std::chrono::milliseconds(50));

  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(cfg->brokers[0].port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::atomic<uint64_t> sent{0};
  std::atomic<bool> stop{false};
  const auto before = last_stats(log);
  const auto w0 = Clock::now();
  std::vector<std::thread> senders;
  for (uint32_t s = 0; s < a.senders; ++s) {
    senders.emplace_back([&, s] {
      int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
      // Return-routability first, as a real client does: one Submit without a cookie, the
      // broker's Cookie for this socket's address, then every Submit of this sender carries it.
      timeval tv{2, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (s < wire.size()) ::sendto(fd, wire[s].data(), wire[s].size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
      uint8_t reply[64];
      const ssize_t n = ::recv(fd, reply, sizeof reply, 0);
      if (n == 17 && reply[0] == static_cast<uint8_t>(broker::ClientKind::cookie)) {
        for (size_t j = s; j < wire.size(); j += a.senders) {
          wire[j][0] = static_cast<uint8_t>(broker::ClientKind::submit_with_cookie);
          wire[j].insert(wire[j].end(), reply + 1, reply + 17);
        }
      }
      broker::TokenBucket bucket(a.rate / a.senders, a.burst);
      size_t i = s;
      while (!stop.load(std::memory_order_relaxed) && i < wire.size()) {
        const uint64_t got = bucket.take(now_us(), 64);
        if (got == 0) {
          std::this_thread::sleep_for(std::chrono::microseconds(std::max<uint64_t>(50, bucket.wait_us(now_us(), 16))));
          continue;
        }
        for (uint64_t k = 0; k < got && i < wire.size(); ++k, i += a.senders) {
          if (::sendto(fd, wire[i].data(), wire[i].size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) > 0) sent++;
        }
      }
      ::close(fd);
    });
  }
  while (Clock::now() - w0 < std::chrono::duration<double>(a.duration)) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  for (auto& t : senders) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - w0).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the broker drains its socket; a stats line follows
  const auto after = last_stats(log);
  const double cpu = bench::process_cpu_seconds(broker_pid);
  ::kill(broker_pid, SIGTERM);
  ::waitpid(broker_pid, nullptr, 0);

  auto delta = [&](const char* k) {
    auto b = before.count(k) ? before.at(k) : 0, e = after.count(k) ? after.at(k) : 0;
    return static_cast<double>(e - b);
  };
  const double accepted = delta("submissions"), received = delta("datagrams_in");
  const double loss = sent ? 1.0 - received / static_cast<double>(sent.load()) : 0;
  std::printf("bench broker-intake: 1 broker (%u workers%s%s), %u senders at %.0f datagrams/s together (burst %.0f each), %.1f s\n",
              a.workers, a.cpus.empty() ? "" : ", cpus ", a.cpus.c_str(), a.senders, a.rate, a.burst, secs);
  std::printf("  sent        %llu Submits (%.0f/s)\n", static_cast<unsigned long long>(sent.load()), static_cast<double>(sent.load()) / secs);
  std::printf("  intake      %.0f Submits/s received by the broker core; %.0f/s new batch entries (the\n"
              "              rest a client's later seq while its id waits in a batch), %.0f rejected\n",
              received / secs, accepted / secs, delta("rejected"));
  std::printf("  loss        %.2f%% of the datagrams sent never reached the broker's core\n", 100 * loss);
  std::printf("  broker cpu  %.1f s in all (its process, whole life)\n", cpu);
  bench::Report rep("broker-intake");
  rep.param("senders", a.senders);
  rep.param("rate", a.rate);
  rep.param("workers", a.workers);
  rep.metric("received_per_s", received / secs);
  rep.metric("new_entries_per_s", accepted / secs);
  rep.metric("loss_fraction", loss);
  if (!a.json.empty()) rep.write_json(a.json);
  std::error_code ec;
  if (a.keep) std::fprintf(stderr, "kept %s\n", dir.c_str());
  else fs::remove_all(dir, ec);
  return accepted > 0 ? 0 : 1;
}

}  // namespace

static bench::Registration reg("broker-intake", [](CLI::App& bench) {
  auto* cmd = bench.add_subcommand("broker-intake", "one broker's intake of Submits from rate-limited UDP senders, and its loss");
  auto a = std::make_shared<Args>();
  cmd->add_option("--clients", a->clients, "clients (distinct ids)")->default_val(a->clients);
  cmd->add_option("--per-client", a->per_client, "Submits signed per client before the run")->default_val(a->per_client);
  cmd->add_option("--senders", a->senders, "sender threads")->default_val(a->senders);
  cmd->add_option("--rate", a->rate, "datagrams a second, all senders together (token buckets)")->default_val(a->rate);
  cmd->add_option("--burst", a->burst, "each sender's bucket size")->default_val(a->burst);
  cmd->add_option("--duration", a->duration, "seconds of sending")->default_val(a->duration);
  cmd->add_option("--workers", a->workers, "the broker's --workers (Ed25519 checks beside its I/O thread)")->default_val(a->workers);
  cmd->add_option("--cpus", a->cpus, "the broker's --cpus (pinning)");
  cmd->add_option("--json", a->json, "also write the results as JSON");
  cmd->add_flag("--keep", a->keep, "keep the folder (keys, the broker's log)");
  cmd->callback([a] { exit_code = bench_intake(*a); });
});

}  // namespace rampart::cli
