#pragma once
// One TCP connection carrying length-prefixed frames: a read loop that feeds a FrameDecoder
// and hands complete frames to its owner, and a write path that coalesces frames into one
// buffer per write system call (double-buffered: one buffer in flight, one filling).
//
// Internal to src/net (Transport and ClientListener build on it). Single-threaded: every
// call and every handler runs on the io_context thread. Handlers are posted, never called
// from inside close(), so an owner may close a connection from within its own handler.
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "crypto/channel.hpp"
#include "net/counters.hpp"
#include "net/frame.hpp"
#include "net/limits.hpp"

namespace rampart::net {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Handlers {
    // A received frame, valid only during the call (it usually points into the read buffer:
    // frames are not copied on the way in).
    std::function<void(ByteView frame)> on_frame;
    // The in-flight write finished and the fill buffer moved out: the owner may add more.
    std::function<void()> on_writable;
    // Called once, after the socket is closed, with the reason.
    std::function<void(const std::string& why)> on_close;
  };

  struct Options {
    size_t read_buffer_bytes = 64 * 1024;  // allocated once, not zeroed: idle ones cost no pages
    ConnLimits limits;                     // idle and slow-frame timeouts (off by default)
    std::shared_ptr<BufferBudget> budget;  // charged for partial frames (none by default)
  };

  Connection(asio::ip::tcp::socket socket, size_t max_frame, std::shared_ptr<CounterSet> counters);
  Connection(asio::ip::tcp::socket socket, size_t max_frame, std::shared_ptr<CounterSet> counters, Options opts);

  // Starts the read loop.
  void start(Handlers h);

  // The buffer that the next write sends; append whole frames to it, then call
  // frame_appended() once per frame and flush().
  Bytes& fill_buffer() { return fill_; }
  void frame_appended(size_t n = 1) { fill_frames_ += n; }
  // Convenience: append one plain frame.
  void send_frame(ByteView payload);
  // Appends one frame sealed on `ch` (the next message of its send direction). False, with the
  // connection closed, only if the channel's counter is exhausted.
  bool send_sealed(crypto::Channel& ch, ByteView plaintext);
  // Starts a write if none is in flight.
  void flush();

  size_t fill_bytes() const { return fill_.size(); }
  size_t pending_bytes() const { return fill_.size() + inflight_.size(); }

  // Closes after `after` unless clear_deadline() is called first (handshake timeouts).
  void set_deadline(std::chrono::milliseconds after);
  void clear_deadline();

  // Turns the idle and slow-frame watchdog on or off (zeros) from now on.
  void set_limits(ConnLimits l);
  // When the last complete frame arrived (or the connection was accepted).
  std::chrono::steady_clock::time_point last_frame_at() const { return last_frame_; }
  // The other side's address at accept (unspecified if it could not be read).
  const asio::ip::address& remote_address() const { return remote_; }

  FrameDecoder& decoder() { return decoder_; }
  void close(const std::string& why);
  bool closed() const { return closed_; }

 private:
  void read_more();
  void on_read(const asio::error_code& ec, size_t n);
  void on_written(const asio::error_code& ec, size_t n);
  void arm_watchdog();
  void on_watchdog();

  asio::ip::tcp::socket socket_;
  asio::steady_timer deadline_;
  asio::steady_timer watchdog_;
  bool watchdog_armed_ = false;
  FrameDecoder decoder_;
  std::shared_ptr<CounterSet> counters_;
  Handlers h_;
  ConnLimits limits_;
  asio::ip::address remote_;
  std::chrono::steady_clock::time_point last_frame_;
  std::optional<std::chrono::steady_clock::time_point> frame_started_;  // the partial frame's first bytes
  size_t read_size_;
  std::unique_ptr<uint8_t[]> read_buf_;
  Bytes fill_, inflight_;
  size_t fill_frames_ = 0, inflight_frames_ = 0;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace rampart::net
