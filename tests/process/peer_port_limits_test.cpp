// A restarting replica's peer port under a flood of connections that never send a byte: 80 of
// them held its 64 pending-handshake slots, so its peers' dials were refused and the replica
// stayed isolated (on two replicas: the cluster stopped). It must rejoin while the flood goes on.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "app/kv/op.hpp"
#include "client/client.hpp"
#include "process/cluster_fixture.hpp"
#include "process/raw_net.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// Keeps `n` idle connections open to a port, opening a new one whenever one is closed or
// refused, until destroyed. Every 50 ms it also replaces its oldest connection, so their
// handshake deadlines are spread out and never free many slots at once.
class IdleFlood {
 public:
  IdleFlood(uint16_t port, size_t n) : fds_(n, -1) {
    th_ = std::thread([this, port] {
      size_t oldest = 0;
      auto next_turn = std::chrono::steady_clock::now();
      while (!stop_) {
        if (std::chrono::steady_clock::now() >= next_turn && fds_[oldest] >= 0) {
          ::close(fds_[oldest]);
          fds_[oldest] = -1;
          oldest = (oldest + 1) % fds_.size();
          next_turn = std::chrono::steady_clock::now() + 50ms;
        }
        bool refused = false;
        for (int& fd : fds_)
          if (fd < 0 && !refused) {
            fd = tcp_connect("127.0.0.1", port);
            if (fd < 0) refused = true;  // the port is not open (yet)
            else ++opened_;
          }
        std::vector<pollfd> ps;
        for (int fd : fds_)
          if (fd >= 0) ps.push_back({fd, POLLIN, 0});
        if (refused || ps.empty()) {
          std::this_thread::sleep_for(1ms);
          continue;
        }
        ::poll(ps.data(), ps.size(), 5);
        char buf[512];
        for (auto& p : ps) {
          if (!p.revents) continue;
          if (::recv(p.fd, buf, sizeof buf, MSG_DONTWAIT) > 0) continue;  // the replica's Hello: ignored
          for (int& fd : fds_)  // closed by the replica
            if (fd == p.fd) {
              ::close(fd);
              fd = -1;
            }
        }
      }
      close_all(fds_);
    });
  }
  ~IdleFlood() {
    stop_ = true;
    th_.join();
  }
  uint64_t opened() const { return opened_; }

 private:
  std::vector<int> fds_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> opened_{0};
  std::thread th_;
};

TEST(Process, IdleConnectionsOnThePeerPortDoNotIsolateARestartingReplica) {
  LocalCluster c(4);
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  std::vector<double> before;
  for (uint32_t p : {0u, 1u, 2u}) before.push_back(c.metric(p, "rampart_peer_reconnects_total"));
  c.kill(3);
  IdleFlood flood(c.config().replica(3)->peer_port, 80);
  // Replica 3 stays down until its peers' dial back-off has grown to its cap (5 s: eight
  // failed dials from 50 ms, doubling), as after any outage longer than a few seconds.
  ASSERT_TRUE(wait_for([&] {
    for (uint32_t p : {0u, 1u, 2u})
      if (c.metric(p, "rampart_peer_reconnects_total") < before[p] + 8) return false;
    return true;
  }, 30s));
  c.start(3);
  ASSERT_TRUE(wait_for([&] { return flood.opened() >= 80; }, 20s));
  auto linked = [&] {
    for (uint32_t p : {0u, 1u, 2u})
      if (c.metric(3, "rampart_peer_connected{peer=\"" + std::to_string(p) + "\"}") != 1) return false;
    return true;
  };
  EXPECT_TRUE(wait_for(linked, 30s)) << "replica 3 did not link to its peers under the flood";
  client::ClientOptions o;
  o.first_replica = 3;
  o.attempts = 3;
  auto cl = client::Client::create(c.config(), o);
  ASSERT_TRUE(cl);
  auto a = (*cl)->call(app::kv::encode_op(app::kv::put("during", "flood")));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->replica, 3u);
}

}  // namespace
}  // namespace rampart::test
