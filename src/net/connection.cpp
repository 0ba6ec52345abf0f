#include "net/connection.hpp"

#include <algorithm>
#include <utility>

namespace rampart::net {

Connection::Connection(asio::ip::tcp::socket socket, size_t max_frame,
                       std::shared_ptr<CounterSet> counters)
    : Connection(std::move(socket), max_frame, std::move(counters), Options{}) {}

Connection::Connection(asio::ip::tcp::socket socket, size_t max_frame, std::shared_ptr<CounterSet> counters,
                       Options opts)
    : socket_(std::move(socket)),
      deadline_(socket_.get_executor()),
      watchdog_(socket_.get_executor()),
      decoder_(max_frame, std::move(opts.budget)),
      counters_(std::move(counters)),
      limits_(opts.limits),
      last_frame_(std::chrono::steady_clock::now()),
      read_size_(std::max<size_t>(opts.read_buffer_bytes, 512)),
      read_buf_(new uint8_t[read_size_]) {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.set_option(asio::socket_base::keep_alive(true), ec);
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) remote_ = ep.address();
}

void Connection::start(Handlers h) {
  h_ = std::move(h);
  arm_watchdog();
  read_more();
}

void Connection::set_limits(ConnLimits l) {
  limits_ = l;
  if (limits_.idle_timeout.count() == 0 && limits_.frame_timeout.count() == 0) {
    watchdog_.cancel();
    watchdog_armed_ = false;
    return;
  }
  last_frame_ = std::chrono::steady_clock::now();
  arm_watchdog();
}

// One timer per connection, set for the earliest deadline that could pass; reads only record
// times, and the timer re-arms itself for what is left when it fires early.
void Connection::arm_watchdog() {
  if (closed_) return;
  // A connection in the middle of a frame is not idle: the slow-frame limit governs it.
  std::optional<std::chrono::steady_clock::time_point> at;
  if (limits_.frame_timeout.count() && frame_started_) at = *frame_started_ + limits_.frame_timeout;
  else if (limits_.idle_timeout.count()) at = last_frame_ + limits_.idle_timeout;
  if (!at || (watchdog_armed_ && watchdog_.expiry() <= *at)) return;
  watchdog_armed_ = true;
  watchdog_.expires_at(*at);  // replaces a later wait (its handler sees operation_aborted)
  watchdog_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_watchdog();
  });
}

void Connection::on_watchdog() {
  watchdog_armed_ = false;
  if (closed_) return;
  auto now = std::chrono::steady_clock::now();
  if (limits_.frame_timeout.count() && frame_started_ && now - *frame_started_ >= limits_.frame_timeout) {
    CounterSet::add(counters_->frame_timeouts);
    close("frame not complete within " + std::to_string(limits_.frame_timeout.count()) + " ms");
    return;
  }
  if (limits_.idle_timeout.count() && !(limits_.frame_timeout.count() && frame_started_) &&
      now - last_frame_ >= limits_.idle_timeout) {
    CounterSet::add(counters_->idle_timeouts);
    close("idle for " + std::to_string(limits_.idle_timeout.count()) + " ms");
    return;
  }
  arm_watchdog();
}

void Connection::read_more() {
  if (closed_) return;
  socket_.async_read_some(asio::buffer(read_buf_.get(), read_size_),
                          [self = shared_from_this()](const asio::error_code& ec, size_t n) {
                            self->on_read(ec, n);
                          });
}

void Connection::on_read(const asio::error_code& ec, size_t n) {
  if (closed_) return;
  if (ec) {
    close(ec == asio::error::eof ? "peer closed" : ec.message());
    return;
  }
  CounterSet::add(counters_->bytes_in, n);
  const bool partial_before = decoder_.buffered() > 0;
  bool completed = false;
  // Frames are delivered as they decode, before any error; the owner may close us from a
  // handler, and then the rest of this read is dropped.
  Status st = decoder_.feed(ByteView(read_buf_.get(), n), [this, &completed](ByteView f) {
    if (closed_) return;
    completed = true;
    CounterSet::add(counters_->frames_in);
    if (h_.on_frame) h_.on_frame(f);
  });
  if (closed_) return;
  if (!st) {
    CounterSet::add(decoder_.over_budget() ? counters_->budget_exceeded : counters_->bad_frames);
    close(st.error().message);
    return;
  }
  if (limits_.idle_timeout.count() || limits_.frame_timeout.count()) {
    auto now = std::chrono::steady_clock::now();
    if (completed) last_frame_ = now;
    if (decoder_.buffered() == 0) frame_started_.reset();
    else if (completed || !partial_before) frame_started_ = now;  // a new partial frame began in this read
    arm_watchdog();
  }
  read_more();
}

void Connection::send_frame(ByteView payload) {
  append_frame(fill_, payload);
  frame_appended();
}

bool Connection::send_sealed(crypto::Channel& ch, ByteView plaintext) {
  if (!append_sealed_frame(ch, plaintext, fill_)) {
    close("channel counter exhausted");
    return false;
  }
  frame_appended();
  return true;
}

void Connection::flush() {
  if (closed_ || writing_ || fill_.empty()) return;
  std::swap(fill_, inflight_);
  fill_.clear();
  inflight_frames_ = fill_frames_;
  fill_frames_ = 0;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(inflight_),
                    [self = shared_from_this()](const asio::error_code& ec, size_t n) {
                      self->on_written(ec, n);
                    });
}

void Connection::on_written(const asio::error_code& ec, size_t n) {
  writing_ = false;
  if (closed_) return;
  if (ec) {
    close(ec.message());
    return;
  }
  CounterSet::add(counters_->bytes_out, n);
  CounterSet::add(counters_->frames_out, inflight_frames_);
  inflight_frames_ = 0;
  inflight_.clear();
  flush();
  if (h_.on_writable) h_.on_writable();
}

void Connection::set_deadline(std::chrono::milliseconds after) {
  deadline_.expires_after(after);
  deadline_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
    if (ec) return;  // cancelled
    if (auto self = weak.lock()) self->close("deadline passed");
  });
}

void Connection::clear_deadline() { deadline_.cancel(); }

void Connection::close(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  deadline_.cancel();
  watchdog_.cancel();
  fill_.clear();
  fill_.shrink_to_fit();
  // Only on_close is taken out: close() may run inside on_frame, which must stay alive.
  auto on_close = std::move(h_.on_close);
  h_.on_close = nullptr;
  if (on_close) {
    asio::post(socket_.get_executor(), [on_close = std::move(on_close), why]() { on_close(why); });
  }
}

}  // namespace rampart::net
