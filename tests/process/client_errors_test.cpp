// The client and `rampart kv` say what went wrong: a replica that accepts the connection and
// never answers is a timeout, not "closed the connection"; one that really closes it is not a
// timeout. The "replica" here is a socket in the test, on replica 0's configured client port.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <thread>

#include "app/kv/op.hpp"
#include "client/client.hpp"
#include "process/cluster_fixture.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// Accepts on replica 0's client port; keeps every connection open (silent) or closes it at once.
class FakeReplica {
 public:
  FakeReplica(const ClusterConfig& cfg, bool close_at_once)
      : acc_(io_, {asio::ip::make_address("127.0.0.1"), cfg.replica(0)->client_port}), close_(close_at_once) {
    accept();
    th_ = std::thread([this] { io_.run(); });
  }
  ~FakeReplica() {
    io_.stop();
    th_.join();
  }

 private:
  void accept() {
    acc_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket s) {
      if (ec) return;
      if (!close_) held_.push_back(std::move(s));  // never read, never answer
      accept();
    });
  }
  asio::io_context io_;
  asio::ip::tcp::acceptor acc_;
  bool close_;
  std::vector<asio::ip::tcp::socket> held_;
  std::thread th_;
};

Result<client::Answer> one_attempt(const ClusterConfig& cfg) {
  client::ClientOptions o;
  o.first_replica = 0;
  o.attempts = 1;
  o.timeout = 300ms;
  auto cl = client::Client::create(cfg, o);
  if (!cl) return cl.error();
  return (*cl)->call(app::kv::encode_op(app::kv::put("k", "v")));
}

TEST(Process, ClientReportsATimeoutAsATimeout) {
  LocalCluster c(4);  // keys and ports only: no replica runs
  FakeReplica silent(c.config(), false);
  auto a = one_attempt(c.config());
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("timed out"), std::string::npos) << a.error().message;
  EXPECT_EQ(a.error().message.find("closed the connection"), std::string::npos) << a.error().message;

  auto [st, out] = run_cli({"kv", "put", "--config", c.config_file().string(), "--timeout-ms", "300", "k", "v"});
  EXPECT_NE(st, 0) << out;
  EXPECT_NE(out.find("timed out"), std::string::npos) << out;
  EXPECT_EQ(out.find("closed the connection"), std::string::npos) << out;
}

TEST(Process, ClientReportsAClosedConnectionAsClosed) {
  LocalCluster c(4);
  FakeReplica closer(c.config(), true);
  auto a = one_attempt(c.config());
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("closed the connection"), std::string::npos) << a.error().message;
  EXPECT_EQ(a.error().message.find("timed out"), std::string::npos) << a.error().message;
}

}  // namespace
}  // namespace rampart::test
