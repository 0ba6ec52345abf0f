// `rampart broker` as a process: clients reach it over UDP, it proposes, collects their
// reductions and distils the batch. There are no replica links yet (issue 17's replica side),
// so the test ends at the distilled batch, which the broker logs as event=distilled.
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "broker/client.hpp"
#include "broker/directory_file.hpp"
#include "client/group_key.hpp"
#include "cluster_fixture.hpp"

namespace rampart::test {
namespace {

Bytes seed(uint32_t i, uint8_t salt) {
  Bytes s(32, salt);
  std::memcpy(s.data(), &i, 4);
  return s;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// One client core on its own UDP socket; timers kept here and fired by pump().
struct UdpClient final : broker::ClientHost {
  int fd = -1;
  sockaddr_in broker{};
  std::vector<std::pair<std::chrono::steady_clock::time_point, uint64_t>> timers;
  std::unique_ptr<broker::Client> core;

  UdpClient(uint32_t id, uint16_t port, const crypto::ThresholdVerifier* group) {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    broker.sin_family = AF_INET;
    broker.sin_port = htons(port);
    broker.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    broker::ClientConfig cc;
    cc.id = id;
    cc.retransmit_ms = 300;
    core = std::make_unique<broker::Client>(cc, *crypto::ed25519::KeyPair::from_seed(seed(id, 1)),
                                            *crypto::bls::SecretKey::from_seed(seed(id, 2)), group, *this);
  }
  ~UdpClient() override { ::close(fd); }
  void send_broker(uint32_t, Bytes m) override {
    ::sendto(fd, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&broker), sizeof broker);
  }
  uint64_t now_ms() override { return 0; }
  void set_timer(uint64_t token, uint64_t after) override {
    timers.push_back({std::chrono::steady_clock::now() + std::chrono::milliseconds(after), token});
  }
  void pump() {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) {
      uint8_t buf[65536];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) core->on_message(0, ByteView(buf, static_cast<size_t>(n)));
    }
    auto now = std::chrono::steady_clock::now();
    for (size_t i = 0; i < timers.size();) {
      if (timers[i].first <= now) {
        uint64_t t = timers[i].second;
        timers.erase(timers.begin() + static_cast<long>(i));
        core->on_timer(t);
      } else {
        ++i;
      }
    }
  }
};

TEST(BrokerProcess, UdpClientsGetTheirBatchDistilled) {
  LocalCluster cluster(4, "poe", "--brokers 1");
  const auto& cfg = cluster.config();
  ASSERT_EQ(cfg.brokers.size(), 1u);
  std::vector<broker::ClientRecord> recs;
  for (uint32_t i = 0; i < 3; ++i) {
    auto sk = *crypto::bls::SecretKey::from_seed(seed(i, 2));
    recs.push_back({i, crypto::ed25519::KeyPair::from_seed(seed(i, 1))->public_key(), crypto::bls::public_key(sk),
                    crypto::bls::prove_possession(sk)});
  }
  const auto clients_file = cluster.dir() / "clients.toml";
  ASSERT_TRUE(broker::save_directory(clients_file, recs).ok());
  const auto log = cluster.dir() / "broker-0.log";
  pid_t pid = spawn_logged({rampart_bin(), "broker", "--config", cluster.config_file().string(), "--id", "0", "--clients",
                            clients_file.string(), "--batch-size", "3", "--stats-ms", "200"},
                           log);
  ASSERT_TRUE(wait_for([&] { return slurp(log).find("event=listening") != std::string::npos; }, std::chrono::seconds(30)))
      << slurp(log);

  auto group = client::make_group_verifier(cfg);
  ASSERT_TRUE(group.ok());
  std::vector<std::unique_ptr<UdpClient>> cs;
  for (uint32_t i = 0; i < 3; ++i) {
    cs.push_back(std::make_unique<UdpClient>(i, cfg.brokers[0].port, group->get()));
    ASSERT_TRUE(cs.back()->core->submit(to_bytes("op-" + std::to_string(i))).ok());
  }
  // Each client answers its proof with a reduction (retransmitting if a datagram is lost).
  EXPECT_TRUE(wait_for(
      [&] {
        size_t reduced = 0;
        for (auto& c : cs) {
          c->pump();
          reduced += c->core->stats().reductions_sent > 0;
        }
        return reduced == cs.size();
      },
      std::chrono::seconds(30)));
  for (auto& c : cs) EXPECT_EQ(c->core->stats().rejected, 0u) << c->core->stats().last_rejection;
  EXPECT_TRUE(wait_for([&] { return slurp(log).find("event=distilled number=1 entries=3 stragglers=0 aggregate=true") != std::string::npos; },
                       std::chrono::seconds(30)))
      << slurp(log);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(log);
}

TEST(BrokerProcess, RefusesToStartWithABadDirectory) {
  LocalCluster cluster(4, "poe", "--brokers 1");
  const auto clients_file = cluster.dir() / "clients.toml";
  {
    std::ofstream f(clients_file);
    f << "format = \"rampart-clients-v1\"\n[[client]]\nid = 0\ned25519 = \"00\"\n";
  }
  auto [st, out] = run_cli({"broker", "--config", cluster.config_file().string(), "--id", "0", "--clients", clients_file.string()});
  EXPECT_EQ(st, 2) << out;
  EXPECT_NE(out.find("ed25519 must be 32 bytes"), std::string::npos) << out;
}

}  // namespace
}  // namespace rampart::test
