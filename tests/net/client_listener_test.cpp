// Client listener on real sockets: echo, limits, a client that never reads, connection cap.
#include <gtest/gtest.h>

#include <memory>

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

TEST(ClientListener, ConnectionCapRefusesExtraClients) {
  IoThread io;
  ClientOptions o;
  o.max_connections = 1;
  Server srv(io, o);
  asio::io_context raw_io;
  auto first = raw_connect(raw_io, srv.port);
  ASSERT_TRUE(wait_until([&] { return srv.l->connections() == 1; }));
  auto second = raw_connect(raw_io, srv.port);
  EXPECT_TRUE(raw_closed_by_peer(second));
  EXPECT_EQ(srv.l->counters().connections_rejected, 1u);
  raw_write_frame(first, to_bytes("still served"));
  Bytes f;
  ASSERT_TRUE(raw_read_frame(first, f));
  EXPECT_EQ(f, to_bytes("still served"));
}

}  // namespace
}  // namespace rampart::net
