// Client listener on real sockets: echo, limits, a client that never reads, connection cap.
#include <gtest/gtest.h>

#include <sodium.h>

#include <memory>

#include "crypto/client_channel.hpp"
#include "net/client_listener.hpp"
#include "net/harness.hpp"

namespace rampart::net {
namespace {

using namespace testing;

struct Server {
  explicit Server(IoThread& io, ClientOptions o = {}) : io_(io) {
    port = io_.run([&] {
      l = std::make_unique<ClientListener>(io_.io, o);
      l->on_frame([this](ConnId c, Bytes f) {
        last_conn = c;
        if (echo) l->send(c, f);
      });
      l->on_close([this](ConnId) { ++closes; });
      return *l->listen("127.0.0.1", 0);
    });
  }
  ~Server() {
    io_.run([&] {
      l.reset();
      return 0;
    });
  }
  IoThread& io_;
  std::unique_ptr<ClientListener> l;
  uint16_t port = 0;
  bool echo = true;
  std::atomic<ConnId> last_conn{0};
  std::atomic<int> closes{0};
};

TEST(ClientListener, EchoesFramesPerConnection) {
  IoThread io;
  Server srv(io);
  asio::io_context raw_io;
  auto a = raw_connect(raw_io, srv.port);
  auto b = raw_connect(raw_io, srv.port);
  for (int i = 0; i < 3; ++i) {
    raw_write_frame(a, to_bytes("a" + std::to_string(i)));
    raw_write_frame(b, to_bytes("b" + std::to_string(i)));
  }
  raw_write_frame(a, {});  // empty frames are legal
  Bytes f;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(raw_read_frame(a, f));
    EXPECT_EQ(f, to_bytes("a" + std::to_string(i)));
    ASSERT_TRUE(raw_read_frame(b, f));
    EXPECT_EQ(f, to_bytes("b" + std::to_string(i)));
  }
  ASSERT_TRUE(raw_read_frame(a, f));
  EXPECT_TRUE(f.empty());
  auto k = srv.l->counters();
  EXPECT_EQ(k.frames_in, 7u);
  EXPECT_TRUE(wait_until([&] { return srv.l->counters().frames_out == 7u; }));
  EXPECT_EQ(srv.l->connections(), 2u);
}

TEST(ClientListener, OversizeFrameClosesOnlyThatConnection) {
  IoThread io;
  ClientOptions o;
  o.max_frame = 1024;
  Server srv(io, o);
  asio::io_context raw_io;
  auto bad = raw_connect(raw_io, srv.port);
  auto good = raw_connect(raw_io, srv.port);
  raw_write_frame(bad, Bytes(1025, 1));
  EXPECT_TRUE(raw_closed_by_peer(bad));
  EXPECT_TRUE(wait_until([&] { return srv.l->counters().bad_frames == 1 && srv.closes == 1; }));
  raw_write_frame(good, Bytes(1024, 2));
  Bytes f;
  ASSERT_TRUE(raw_read_frame(good, f));
  EXPECT_EQ(f, Bytes(1024, 2));
  EXPECT_EQ(srv.l->connections(), 1u);
}

// With channel keys the listener speaks the client channel: a hello, the key proof, then sealed
// frames; the owner sees opened frames and knows which key opened the connection. Anything
// else before the channel is up closes the connection as a failed handshake.
TEST(ClientListener, WithAChannelTheOwnerSeesOpenedFramesAndTheClientsKey) {
  IoThread io;
  ClientOptions o;
  auto keys = std::make_shared<ClientChannelKeys>();
  keys->replica = 5;
  keys->statics = crypto::ChannelKeypair::generate();
  o.channel = keys;
  Server srv(io, o);
  Bytes pk(crypto_sign_PUBLICKEYBYTES), sk(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(pk.data(), sk.data());
  asio::io_context raw_io;

  auto plain = raw_connect(raw_io, srv.port);
  raw_write_frame(plain, to_bytes("a plain request"));
  EXPECT_TRUE(raw_closed_by_peer(plain));
  EXPECT_TRUE(wait_until([&] { return srv.l->counters().handshake_failures == 1; }));

  auto s = raw_connect(raw_io, srv.port);
  crypto::ClientChannelInitiator init(pk, sk);
  raw_write_frame(s, init.hello());
  Bytes hello;
  ASSERT_TRUE(raw_read_frame(s, hello));
  auto est = init.finish(hello, 5, keys->statics.pk);
  ASSERT_TRUE(est) << est.error().message;
  raw_write_frame(s, est->auth);
  // After the key proof every sealed message is a record of whole frames: two requests in one.
  Bytes record;
  append_frame(record, to_bytes("ping"));
  append_frame(record, to_bytes("pong"));
  raw_write_frame(s, *est->channel.seal(record));
  std::vector<Bytes> echoed;
  while (echoed.size() < 2) {
    Bytes f;
    ASSERT_TRUE(raw_read_frame(s, f));
    auto opened = est->channel.open(f);
    ASSERT_TRUE(opened);
    ASSERT_TRUE(for_each_frame(*opened, 1024, [&](ByteView m) {
      echoed.emplace_back(m.begin(), m.end());
      return true;
    }));
  }
  EXPECT_EQ(echoed, (std::vector<Bytes>{to_bytes("ping"), to_bytes("pong")}));
  const crypto::ClientKey* who = nullptr;
  io.run([&] {
    who = srv.l->principal(srv.last_conn);
    return 0;
  });
  ASSERT_NE(who, nullptr);
  EXPECT_EQ(Bytes(who->begin(), who->end()), pk);
  EXPECT_EQ(srv.l->counters().handshakes, 1u);

  // A record whose frames do not add up, then one that does not open (sent in the clear): each
  // closes the channel.
  EXPECT_FALSE(for_each_frame(Bytes{9, 0, 0, 0, 1}, 1024, [](ByteView) { return true; }));
  raw_write_frame(s, to_bytes("not sealed"));
  EXPECT_TRUE(raw_closed_by_peer(s));
}

TEST(ClientListener, ClientThatNeverReadsIsBounded) {
  IoThread io;
  ClientOptions o;
  o.max_send_buffer_bytes = 256 * 1024;
  Server srv(io, o);
  srv.echo = false;
  asio::io_context raw_io;
  auto s = raw_connect(raw_io, srv.port);
  raw_write_frame(s, to_bytes("hi"));
  ASSERT_TRUE(wait_until([&] { return srv.last_conn != 0; }));
  int accepted = io.run([&] {
    int ok = 0;
    for (int i = 0; i < 200; ++i) ok += srv.l->send(srv.last_conn, Bytes(64 * 1024, 3)) ? 1 : 0;
    return ok;
  });
  EXPECT_LE(accepted, 4);  // 256 KiB of 64 KiB frames (plus headers)
  EXPECT_EQ(srv.l->counters().dropped_frames, uint64_t(200 - accepted));
  // The client goes away: its connection is closed and forgotten.
  s.close();
  EXPECT_TRUE(wait_until([&] { return srv.l->connections() == 0 && srv.closes == 1; }));
  EXPECT_FALSE(io.run([&] { return srv.l->send(srv.last_conn, to_bytes("late")); }));
}

// A socket to 127.0.0.1:port from the loopback address `src` (any 127.x.y.z works on Linux),
// so tests can play several source addresses.
asio::ip::tcp::socket connect_from(asio::io_context& io, const std::string& src, uint16_t port) {
  asio::ip::tcp::socket s(io);
  s.open(asio::ip::tcp::v4());
  s.bind({asio::ip::make_address(src), 0});
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  return s;
}

// Sends a frame and waits for its echo: the connection is admitted and was just active.
void ping(asio::ip::tcp::socket& s, const std::string& text) {
  raw_write_frame(s, to_bytes(text));
  Bytes f;
  ASSERT_TRUE(raw_read_frame(s, f)) << text;
  EXPECT_EQ(f, to_bytes(text));
}

TEST(ClientListener, AtTheCapTheLongestIdleConnectionMakesRoom) {
  IoThread io;
  ClientOptions o;
  o.max_connections = 2;
  Server srv(io, o);
  asio::io_context raw_io;
  auto first = raw_connect(raw_io, srv.port);
  auto second = raw_connect(raw_io, srv.port);
  ASSERT_TRUE(wait_until([&] { return srv.l->connections() == 2; }));
  ping(first, "first is active");  // so `second` is the longest idle
  auto third = raw_connect(raw_io, srv.port);
  EXPECT_TRUE(raw_closed_by_peer(second));
  EXPECT_TRUE(wait_until([&] { return srv.l->counters().evicted == 1; }));
  ping(third, "newcomer served");
  ping(first, "active one kept");
  EXPECT_EQ(srv.l->connections(), 2u);
  EXPECT_EQ(srv.l->counters().connections_rejected, 0u);
}

TEST(ClientListener, ASourceAtItsCapOnlyDisplacesItsOwnConnections) {
  IoThread io;
  ClientOptions o;
  o.max_per_source = 2;
  o.max_connections = 4;
  Server srv(io, o);
  asio::io_context raw_io;
  auto other = connect_from(raw_io, "127.0.0.2", srv.port);
  auto a = connect_from(raw_io, "127.0.0.3", srv.port);
  auto b = connect_from(raw_io, "127.0.0.3", srv.port);
  ASSERT_TRUE(wait_until([&] { return srv.l->connections() == 3; }));
  ping(a, "a");
  auto c = connect_from(raw_io, "127.0.0.3", srv.port);  // 127.0.0.3 is at its cap: b goes
  EXPECT_TRUE(raw_closed_by_peer(b));
  ping(c, "c");
  // The total cap (4): a fourth source's newcomer displaces the largest source's idlest (a or
  // c), never the lone connection of 127.0.0.2, idle as it is.
  auto d = connect_from(raw_io, "127.0.0.4", srv.port);
  ASSERT_TRUE(wait_until([&] { return srv.l->counters().evicted == 1; }));
  auto e = connect_from(raw_io, "127.0.0.5", srv.port);
  ASSERT_TRUE(wait_until([&] { return srv.l->counters().evicted == 2; }));
  ping(d, "d");
  ping(e, "e");
  ping(other, "the lone idle source is still here");
  EXPECT_LE(srv.l->connections(), 4u);
}

TEST(ClientListener, IdleAndSlowFramesAreClosed) {
  IoThread io;
  ClientOptions o;
  o.limits.idle_timeout = std::chrono::milliseconds(300);
  o.limits.frame_timeout = std::chrono::milliseconds(300);
  Server srv(io, o);
  asio::io_context raw_io;
  auto idle = raw_connect(raw_io, srv.port);
  EXPECT_TRUE(raw_closed_by_peer(idle));
  EXPECT_TRUE(wait_until([&] { return srv.l->counters().idle_timeouts == 1; }));
  // Half a frame, then nothing: the slow-frame timeout, not the idle one, closes it.
  ClientOptions slow_only = o;
  slow_only.limits.idle_timeout = std::chrono::milliseconds(0);
  Server srv2(io, slow_only);
  auto slow = raw_connect(raw_io, srv2.port);
  Bytes half = encode_frame(Bytes(1000, 7));
  half.resize(500);
  asio::write(slow, asio::buffer(half));
  EXPECT_TRUE(raw_closed_by_peer(slow));
  EXPECT_TRUE(wait_until([&] { return srv2.l->counters().frame_timeouts == 1; }));
  EXPECT_EQ(srv2.l->counters().idle_timeouts, 0u);
  EXPECT_TRUE(wait_until([&] { return srv2.l->counters().partial_frame_bytes == 0; }));
}

TEST(ClientListener, PartialFramesShareOneBudget) {
  IoThread io;
  ClientOptions o;
  o.buffer_budget_bytes = 256 * 1024;
  Server srv(io, o);
  asio::io_context raw_io;
  const Bytes big(200 * 1024, 9);
  Bytes frame = encode_frame(big);
  auto a = raw_connect(raw_io, srv.port);
  auto b = raw_connect(raw_io, srv.port);
  // a holds 150 KiB of its frame; b's 150 KiB do not fit in what is left.
  asio::write(a, asio::buffer(frame.data(), 150 * 1024));
  ASSERT_TRUE(wait_until([&] { return srv.l->counters().partial_frame_bytes >= 150 * 1024; }));
  asio::error_code ec;
  asio::write(b, asio::buffer(frame.data(), 150 * 1024), ec);  // may fail: b is closed midway
  EXPECT_TRUE(ec || raw_closed_by_peer(b));
  EXPECT_TRUE(wait_until([&] { return srv.l->counters().budget_exceeded == 1; }));
  EXPECT_LE(srv.l->counters().partial_frame_bytes, o.buffer_budget_bytes);
  // a completes its frame and is served; the budget is given back.
  asio::write(a, asio::buffer(frame.data() + 150 * 1024, frame.size() - 150 * 1024));
  Bytes f;
  ASSERT_TRUE(raw_read_frame(a, f));
  EXPECT_EQ(f, big);
  EXPECT_TRUE(wait_until([&] { return srv.l->counters().partial_frame_bytes == 0; }));
}

}  // namespace
}  // namespace rampart::net
