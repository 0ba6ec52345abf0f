#pragma once
// Test harness for real-socket tests: an io_context on its own thread (transports live and die
// on it), an inbox with condition waits, and blocking raw-socket helpers that play a
// misbehaving peer from the test thread. Every wait has a generous deadline and is a condition,
// never a fixed sleep.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <asio.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include "common/bytes.hpp"
#include "net/frame.hpp"

namespace rampart::net::testing {

constexpr auto kDeadline = std::chrono::seconds(10);

class IoThread {
 public:
  IoThread() : guard_(asio::make_work_guard(io)), th_([this] { io.run(); }) {}
  ~IoThread() {
    guard_.reset();
    io.stop();
    th_.join();
  }
  // Runs f on the io thread and returns its result.
  template <typename F>
  auto run(F f) -> decltype(f()) {
    using R = decltype(f());
    std::packaged_task<R()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(io, [&task] { task(); });
    return fut.get();
  }
  asio::io_context io;

 private:
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread th_;
};

// Polls a thread-safe predicate until it holds or the deadline passes.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline = kDeadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

struct Delivery {
  uint32_t from, to;
  Bytes msg;
};

class Inbox {
 public:
  void add(uint32_t from, uint32_t to, Bytes msg) {
    std::lock_guard<std::mutex> l(mu_);
    got_.push_back({from, to, std::move(msg)});
    cv_.notify_all();
  }
  bool wait(const std::function<bool(const std::vector<Delivery>&)>& pred) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, kDeadline, [&] { return pred(got_); });
  }
  bool has(uint32_t from, uint32_t to, const Bytes& msg) {
    return wait([&](const std::vector<Delivery>& v) {
      for (auto& d : v)
        if (d.from == from && d.to == to && d.msg == msg) return true;
      return false;
    });
  }
  std::vector<Delivery> snapshot() {
    std::lock_guard<std::mutex> l(mu_);
    return got_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Delivery> got_;
};

// Raw sockets for playing a misbehaving peer from the test thread. Reads use poll() with the
// deadline, so a broken transport fails the test instead of hanging it.
inline asio::ip::tcp::socket raw_connect(asio::io_context& io, uint16_t port) {
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  return s;
}

// Reads exactly n bytes: 1 on success, 0 on EOF/reset, -1 on timeout or other error.
inline int raw_read_exact(asio::ip::tcp::socket& s, uint8_t* buf, size_t n) {
  auto end = std::chrono::steady_clock::now() + kDeadline;
  size_t got = 0;
  while (got < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return -1;
    pollfd pfd{s.native_handle(), POLLIN, 0};
    int pr = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (pr <= 0) return -1;
    ssize_t r = ::recv(s.native_handle(), buf + got, n - got, 0);
    if (r == 0) return 0;
    if (r < 0) return errno == ECONNRESET ? 0 : -1;
    got += static_cast<size_t>(r);
  }
  return 1;
}

inline void raw_write_frame(asio::ip::tcp::socket& s, ByteView payload) {
  asio::write(s, asio::buffer(encode_frame(payload)));
}

// Reads one frame; false on EOF, error or timeout.
inline bool raw_read_frame(asio::ip::tcp::socket& s, Bytes& out) {
  uint8_t h[4];
  if (raw_read_exact(s, h, 4) != 1) return false;
  uint32_t len = h[0] | (h[1] << 8) | (h[2] << 16) | (uint32_t(h[3]) << 24);
  if (len > kDefaultMaxFrame) return false;
  out.resize(len);
  return len == 0 || raw_read_exact(s, out.data(), len) == 1;
}

// True once the other side has closed the connection (discards data until EOF).
inline bool raw_closed_by_peer(asio::ip::tcp::socket& s) {
  uint8_t buf[4096];
  for (;;) {
    int r = raw_read_exact(s, buf, 1);
    if (r == 0) return true;
    if (r < 0) return false;
  }
}

}  // namespace rampart::net::testing
