// The dashboard's replica view: values read from a Prometheus text page (exact names only, not
// labelled series or longer names), and a probe against a stand-in metrics server that reports
// view and role, a replica that is down, and its cache.
#include <gtest/gtest.h>
#include <httplib.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "gateway/replica_probe.hpp"

namespace rampart::gateway {
namespace {

TEST(ReplicaProbe, ReadsExactlyTheNamedSample) {
  const std::string page =
      "# HELP rampart_view view\n# TYPE rampart_view gauge\nrampart_view_changes_total 9\nrampart_view 3\n"
      "rampart_peer_connected{peer=\"1\"} 1\nrampart_height 17\nrampart_height_x 5\n";
  EXPECT_EQ(prometheus_value(page, "rampart_view"), 3.0);
  EXPECT_EQ(prometheus_value(page, "rampart_height"), 17.0);
  EXPECT_EQ(prometheus_value(page, "rampart_peer_connected"), std::nullopt);
  EXPECT_EQ(prometheus_value(page, "rampart_is_primary"), std::nullopt);
  EXPECT_EQ(prometheus_value("rampart_view abc\n", "rampart_view"), std::nullopt);
}

TEST(ReplicaProbe, ScrapesEachReplicaAndCaches) {
  httplib::Server metrics;
  std::atomic<int> scrapes{0};
  metrics.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    scrapes++;
    res.set_content("rampart_view 2\nrampart_is_primary 1\nrampart_height 40\nrampart_final_height 38\nrampart_ops_executed_total 4000\n",
                    "text/plain");
  });
  const int port = metrics.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread t([&] { metrics.listen_after_bind(); });  // bound and listening already: no race
  // A closed port for the second replica: bind one, note it, close it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const int dead = ntohs(sa.sin_port);
  ::close(fd);

  std::vector<ReplicaEntry> reps(2);
  reps[0].id = 0;
  reps[0].host = "127.0.0.1";
  reps[0].metrics_port = static_cast<uint16_t>(port);
  reps[1].id = 1;
  reps[1].host = "127.0.0.1";
  reps[1].metrics_port = static_cast<uint16_t>(dead);
  ReplicaProbe probe(reps, std::chrono::milliseconds(300), std::chrono::seconds(60));
  auto j = probe.sample();
  ASSERT_EQ(j["replicas"].size(), 2u);
  const auto& a = j["replicas"][0];
  EXPECT_EQ(a["up"], true);
  EXPECT_EQ(a["role"], "primary");
  EXPECT_EQ(a["view"], 2);
  EXPECT_EQ(a["height"], 40);
  EXPECT_EQ(a["final_height"], 38);
  EXPECT_EQ(a["ops_executed"], 4000);
  EXPECT_EQ(j["replicas"][1]["up"], false);
  EXPECT_EQ(j["replicas"][1]["role"], "unreachable");
  EXPECT_EQ(probe.sample(), j);  // within max_age: the cached sample, no second scrape
  EXPECT_EQ(scrapes.load(), 1);
  metrics.stop();
  t.join();
}

}  // namespace
}  // namespace rampart::gateway
