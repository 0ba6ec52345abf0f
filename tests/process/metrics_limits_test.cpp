// The metrics endpoint keeps answering while slow clients hold connections with half-sent
// requests (10 of them blocked it: 8 worker threads, 5 s per read).
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "process/cluster_fixture.hpp"
#include "process/raw_net.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

TEST(Process, MetricsEndpointAnswersWhileSlowClientsHoldConnections) {
  LocalCluster c(4);
  c.start(0);
  ASSERT_TRUE(c.wait_up(20s));
  const auto* r = c.config().replica(0);
  const std::string half = "GET /metrics HTTP/1.1\r\nHost: x\r\n";  // no blank line: never complete
  std::atomic<bool> stop{false};
  std::atomic<int> holding{0};
  // Twelve slow clients; one whose connection the server closes comes right back.
  std::thread slow([&] {
    std::vector<int> fds(12, -1);
    while (!stop) {
      int n = 0;
      for (int& fd : fds) {
        if (fd < 0 && (fd = tcp_connect("127.0.0.1", r->metrics_port)) >= 0 && !send_all(fd, as_bytes(half))) {
          ::close(fd);
          fd = -1;
        }
        if (fd >= 0) ++n;
      }
      holding = n;
      for (int& fd : fds) {
        pollfd p{fd, POLLIN, 0};
        if (fd >= 0 && ::poll(&p, 1, 0) > 0) {  // answered (an error) or closed: open another
          ::close(fd);
          fd = -1;
        }
      }
      std::this_thread::sleep_for(5ms);
    }
    close_all(fds);
  });
  ASSERT_TRUE(wait_for([&] { return holding == 12; }, 10s));
  for (int i = 0; i < 3; ++i) {
    httplib::Client cli(r->host, r->metrics_port);
    cli.set_connection_timeout(3, 0);
    cli.set_read_timeout(3, 0);
    auto res = cli.Get("/metrics");
    EXPECT_TRUE(res && res->status == 200) << "scrape " << i << " got no answer within 3 s";
  }
  stop = true;
  slow.join();
}

}  // namespace
}  // namespace rampart::test
