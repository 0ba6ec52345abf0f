// `make soak` (not part of `make test`): a 4-replica cluster for SOAK_SECONDS (default 180)
// under a bounded mix — honest clients putting unique keys, a hostile client (garbage and
// oversize frames on both ports, replayed requests, slow frames, idle floods on both ports), and
// SIGKILL/restart of one replica at a time. It ends with every acknowledged write read back,
// `rampart ledger verify` passing on every replica (and the ledgers agreeing block by block),
// and each replica's resident memory under kMaxRssBytes; it prints its figures.
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "app/kv/op.hpp"
#include "client/client.hpp"
#include "replica/client_wire.hpp"
#include "net/frame.hpp"
#include "process/cluster_fixture.hpp"
#include "process/load.hpp"
#include "process/raw_channel.hpp"
#include "process/raw_net.hpp"
#include "replica/request.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

constexpr long kMaxRssBytes = 512L << 20;  // the stated bound per replica

struct Figures {
  std::atomic<uint64_t> acked{0}, failed_calls{0}, garbage{0}, oversize{0}, peer_garbage{0}, replays{0},
      slow_frames{0}, idle_client{0}, idle_peer{0};
  uint64_t kills = 0;
  long max_rss[4] = {0, 0, 0, 0};
};

class Signer final : public replica::ClientSigner {
 public:
  explicit Signer(const Bytes& sk) : sk_(sk) {}
  Bytes sign(ByteView msg) const override {
    Bytes sig(crypto_sign_BYTES);
    crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk_.data());
    return sig;
  }

 private:
  const Bytes& sk_;
};

// One validly signed put of someone else's: sent on the hostile client's own channels again
// and again, it is a replay.
Bytes signed_request() {
  Bytes pk(crypto_sign_PUBLICKEYBYTES), sk(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(pk.data(), sk.data());
  Bytes payload = pk;
  Bytes op = app::kv::encode_op(app::kv::put("replayed", "once"));
  payload.insert(payload.end(), op.begin(), op.end());
  auto req = replica::make_request(client::client_id_of(pk), 1, std::move(payload), Signer(sk));
  return client::encode_request_frame(req);
}

// The hostile client: one misdeed after another, at every replica in turn.
void hostile(const ClusterConfig& cfg, const std::atomic<bool>& stop, Figures& f) {
  std::mt19937 rng(7);
  const Bytes replay = signed_request();
  const auto own = client::SigningKey::generate();
  std::vector<int> held;  // slow and idle connections from the previous round
  std::vector<RawChannel> channels;
  for (uint64_t round = 0; !stop; ++round) {
    const auto* r = cfg.replica(static_cast<uint32_t>(round % cfg.n()));
    close_all(held);
    channels.clear();
    auto once = [&](uint16_t port, const Bytes& bytes, std::atomic<uint64_t>& count) {
      int fd = tcp_connect("127.0.0.1", port);
      if (fd < 0) return;  // that replica is down right now
      send_all(fd, bytes);
      closed_by_peer(fd, 2s);
      ::close(fd);
      ++count;
    };
    Bytes junk(1 + rng() % 200);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    once(r->client_port, net::encode_frame(junk), f.garbage);
    once(r->client_port, Bytes{0xff, 0xff, 0xff, 0xff, 1}, f.oversize);
    once(r->peer_port, junk, f.peer_garbage);
    for (int i = 0; i < 3; ++i) {
      auto ch = RawChannel::open(cfg, r->id, own);
      if (!ch) break;
      ch->send(replay);
      channels.push_back(std::move(*ch));
      ++f.replays;
    }
    for (int i = 0; i < 20; ++i) {  // a frame begun and never finished (hello-sized: bigger ones are refused at once)
      int fd = tcp_connect("127.0.0.1", r->client_port);
      if (fd < 0) break;
      send_all(fd, Bytes{100, 0, 0, 0, 1, 2, 3});
      held.push_back(fd);
      ++f.slow_frames;
    }
    for (int i = 0; i < 300; ++i) {  // idle floods, from several source addresses
      int fd = tcp_connect("127.0.0." + std::to_string(2 + i % 5), r->client_port);
      if (fd < 0) break;
      held.push_back(fd);
      ++f.idle_client;
    }
    for (int i = 0; i < 80; ++i) {
      int fd = tcp_connect("127.0.0.1", r->peer_port);
      if (fd < 0) break;
      held.push_back(fd);
      ++f.idle_peer;
    }
    for (int i = 0; i < 20 && !stop; ++i) std::this_thread::sleep_for(100ms);  // pacing
  }
  close_all(held);
}

int soak_seconds() {
  const char* s = std::getenv("SOAK_SECONDS");
  return s && *s ? std::max(10, std::atoi(s)) : 180;
}

TEST(Soak, HonestHostileAndCrashes) {
  ASSERT_GE(sodium_init(), 0);
  const int seconds = soak_seconds();
  LocalCluster c(4, "poe", "--checkpoint-interval 32");
  {
    std::ofstream cfg(c.config_file(), std::ios::app);  // shorter timeouts, so the soak reaches them
    cfg << "\n[limits]\nclient_idle_timeout_ms = 5000\nclient_frame_timeout_ms = 2000\n";
  }
  c.start_all();
  ASSERT_TRUE(c.wait_up(30s));
  Figures f;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<std::string, std::string> acked;

  std::vector<std::thread> honest;
  for (int t = 0; t < 4; ++t) {
    honest.emplace_back([&, t] {
      client::ClientOptions o;
      o.first_replica = static_cast<uint32_t>(t);
      o.attempts = 20;
      o.timeout = 1500ms;
      auto cl = client::Client::create(c.config(), o);
      if (!cl) return;
      for (int i = 0; !stop; ++i) {
        std::string k = "h" + std::to_string(t) + "-" + std::to_string(i), v = "v" + std::to_string(i * 31 + t);
        if ((*cl)->call(app::kv::encode_op(app::kv::put(k, v)))) {
          std::lock_guard<std::mutex> l(mu);
          acked[k] = v;
          ++f.acked;
        } else {
          ++f.failed_calls;
        }
      }
    });
  }
  std::thread bad([&] { hostile(c.config(), stop, f); });

  // The main thread owns the cluster: it samples memory every second and kills one replica at
  // a time (every 20 s, round robin), restarting it 2 s later.
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (int tick = 1; std::chrono::steady_clock::now() < end; ++tick) {
    std::this_thread::sleep_for(1s);
    for (uint32_t i = 0; i < 4; ++i)
      if (c.pid(i) > 0) f.max_rss[i] = std::max(f.max_rss[i], process_rss_bytes(c.pid(i)));
    if (tick % 20 == 0) {
      const uint32_t victim = static_cast<uint32_t>(f.kills % 4);
      c.kill(victim, SIGKILL);
      ++f.kills;
      std::this_thread::sleep_for(2s);
      c.start(victim);
      EXPECT_TRUE(c.wait_up(30s)) << "replica " << victim << " did not come back";
    }
  }
  stop = true;
  bad.join();
  for (auto& t : honest) t.join();

  // Every replica catches up, then every acknowledged write is read back (8 readers).
  const double target = c.metric(0, "rampart_final_height");
  for (uint32_t i = 1; i < 4; ++i)
    EXPECT_TRUE(c.wait_metric_at_least(i, "rampart_final_height", target, 60s)) << "replica " << i;
  std::vector<std::pair<std::string, std::string>> all(acked.begin(), acked.end());
  std::atomic<uint64_t> read_ok{0}, read_bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      client::ClientOptions o;
      o.first_replica = static_cast<uint32_t>(t % 4);
      o.attempts = 20;
      auto cl = client::Client::create(c.config(), o);
      if (!cl) return;
      for (size_t i = t; i < all.size(); i += 8) {
        auto g = (*cl)->call(app::kv::encode_op(app::kv::get(all[i].first)));
        auto r = g ? app::kv::decode_result(g->result) : Result<app::kv::OpResult>(err("no answer"));
        if (r && to_string(r->value) == all[i].second) ++read_ok;
        else ++read_bad;
      }
    });
  }
  for (auto& t : readers) t.join();
  EXPECT_EQ(read_bad.load(), 0u);
  EXPECT_EQ(read_ok.load(), all.size());
  expect_ledgers_verify_and_agree(c);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_LT(f.max_rss[i], kMaxRssBytes) << "replica " << i;

  std::printf(
      "soak: %d s, 4 replicas (poe), 4 honest clients\n"
      "  load held: %llu puts acknowledged (%.0f/s), %llu calls failed after retries\n"
      "  faults survived: %llu SIGKILL + restart, one replica at a time\n"
      "  bad inputs tried: %llu garbage frames, %llu oversize lengths, %llu garbage peer handshakes, %llu replayed "
      "requests, %llu slow frames, %llu idle client connections, %llu idle peer connections\n"
      "  nothing lost: %llu of %zu acknowledged writes read back, %llu wrong or missing; ledgers verified and agree: %s\n"
      "  max RSS (MiB) per replica: %ld %ld %ld %ld (bound %ld)\n",
      seconds, (unsigned long long)f.acked.load(), double(f.acked.load()) / seconds,
      (unsigned long long)f.failed_calls.load(), (unsigned long long)f.kills, (unsigned long long)f.garbage.load(),
      (unsigned long long)f.oversize.load(), (unsigned long long)f.peer_garbage.load(),
      (unsigned long long)f.replays.load(), (unsigned long long)f.slow_frames.load(),
      (unsigned long long)f.idle_client.load(), (unsigned long long)f.idle_peer.load(),
      (unsigned long long)read_ok.load(), all.size(), (unsigned long long)read_bad.load(),
      ::testing::Test::HasFailure() ? "NO" : "yes", f.max_rss[0] >> 20, f.max_rss[1] >> 20, f.max_rss[2] >> 20,
      f.max_rss[3] >> 20, kMaxRssBytes >> 20);
}

}  // namespace
}  // namespace rampart::test
