// The client channel on a real replica (issue 16): what crosses the wire between a client and a
// replica is sealed, a plain request is refused, and nobody opens a connection with a key whose
// secret they lack.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "app/kv/op.hpp"
#include "client/client.hpp"
#include "replica/client_wire.hpp"
#include "crypto/client_channel.hpp"
#include "process/cluster_fixture.hpp"
#include "process/raw_channel.hpp"
#include "process/raw_net.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// A TCP forwarder in front of a client port that keeps a copy of every byte, both ways: what an
// eavesdropper on the path sees.
class Tap {
 public:
  explicit Tap(uint16_t target) : target_(target) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~Tap() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  Bytes seen() {
    std::lock_guard lk(mu_);
    return seen_;
  }

 private:
  void run() {
    int c = -1, r = -1;
    uint8_t buf[65536];
    while (!stop_) {
      if (c < 0) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        c = ::accept(listen_fd_, nullptr, nullptr);
        r = tcp_connect("127.0.0.1", target_);
        continue;
      }
      pollfd p[2] = {{c, POLLIN, 0}, {r, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (!p[i].revents) continue;
        ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0 || !send_all(p[1 - i].fd, ByteView(buf, static_cast<size_t>(n)))) {
          stop_ = true;
          break;
        }
        std::lock_guard lk(mu_);
        seen_.insert(seen_.end(), buf, buf + n);
      }
    }
    if (c >= 0) ::close(c);
    if (r >= 0) ::close(r);
  }

  uint16_t target_, port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  Bytes seen_;
  std::thread thread_;
};

bool contains(const Bytes& hay, const std::string& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

TEST(ClientChannelProcess, AnEavesdropperSeesNeitherRequestNorReply) {
  LocalCluster c(4);
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  Tap tap(c.config().replica(0)->client_port);
  ClusterConfig via_tap = c.config();
  via_tap.replicas[0].client_port = tap.port();
  client::ClientOptions o;
  o.first_replica = 0;
  auto cl = client::Client::create(via_tap, o);
  ASSERT_TRUE(cl);
  const std::string key = "launch-code-key", value = "launch-code-value";
  auto a = (*cl)->call(app::kv::encode_op(app::kv::put(key, value)));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->replica, 0u) << "the call went around the tap";
  auto g = (*cl)->call(app::kv::encode_op(app::kv::get(key)));
  ASSERT_TRUE(g) << g.error().message;
  ASSERT_TRUE(contains(g->result, value)) << "the read did not return the value";
  const Bytes seen = tap.seen();
  ASSERT_GT(seen.size(), 200u) << "the tap saw no traffic";
  EXPECT_FALSE(contains(seen, key)) << "the key crossed the wire in the clear";
  EXPECT_FALSE(contains(seen, value)) << "the value crossed the wire in the clear";
}

TEST(ClientChannelProcess, APlainRequestIsRefused) {
  LocalCluster c(4);
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  const double bad_before = c.metric(1, "rampart_client_bad_frames_total");
  auto key = client::SigningKey::generate();
  replica::Request r;
  r.client = client::client_id_of(key.pk);
  r.seq = 1;
  r.payload = key.pk;
  int fd = tcp_connect("127.0.0.1", c.config().replica(1)->client_port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, net::encode_frame(client::encode_request_frame(r))));
  EXPECT_TRUE(closed_by_peer(fd, 10s)) << "a plain request was not refused";
  ::close(fd);
  EXPECT_TRUE(c.wait_metric_at_least(1, "rampart_client_bad_frames_total", bad_before + 1, 10s));
  EXPECT_TRUE(c.wait_metric_at_least(1, "rampart_client_handshake_failures_total", 1, 10s));
}

// A hello that names someone else's key, proved with another secret: the replica closes the
// connection without serving it, and the victim's own channel still works.
TEST(ClientChannelProcess, NobodyOpensAConnectionWithAnotherClientsKey) {
  LocalCluster c(4);
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  const auto victim = client::SigningKey::generate();
  client::SigningKey forged = client::SigningKey::generate();
  forged.pk = victim.pk;  // the victim's public key, the thief's secret
  auto s = client::Session::to_replica(c.config(), 2, forged.pk, forged.sk);
  ASSERT_TRUE(s);
  int fd = tcp_connect("127.0.0.1", c.config().replica(2)->client_port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, s->hello_frame()));
  auto hello = read_frame(fd, 10s);
  ASSERT_TRUE(hello);
  auto auth = s->on_hello(*hello);
  ASSERT_TRUE(auth) << auth.error().message;
  ASSERT_TRUE(send_all(fd, *auth));
  EXPECT_TRUE(closed_by_peer(fd, 10s)) << "a connection opened with a key whose secret the opener lacks";
  ::close(fd);
  EXPECT_TRUE(c.wait_metric_at_least(2, "rampart_client_handshake_failures_total", 1, 10s));

  auto mine = RawChannel::open(c.config(), 2, victim);
  ASSERT_TRUE(mine);
  replica::Request r;
  r.client = client::client_id_of(victim.pk);
  r.seq = 1;
  r.payload = victim.pk;
  const Bytes op = app::kv::encode_op(app::kv::put("mine", "yes"));
  r.payload.insert(r.payload.end(), op.begin(), op.end());
  const Bytes msg = replica::request_signing_bytes(r.client, r.seq, r.payload);
  r.sig.resize(crypto_sign_BYTES);
  crypto_sign_detached(r.sig.data(), nullptr, msg.data(), msg.size(), victim.sk.data());
  ASSERT_TRUE(mine->send(client::encode_request_frame(r)));
  auto reply = mine->recv(10s);
  ASSERT_TRUE(reply);
  auto rp = client::decode_reply_view(*reply);
  ASSERT_TRUE(rp) << rp.error().message;
  EXPECT_EQ(rp->seq, 1u);
}

}  // namespace
}  // namespace rampart::test
