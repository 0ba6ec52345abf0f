#include "net/connection.hpp"

#include <utility>

namespace rampart::net {

Connection::Connection(asio::ip::tcp::socket socket, size_t max_frame,
                       std::shared_ptr<CounterSet> counters)
    : socket_(std::move(socket)),
      deadline_(socket_.get_executor()),
      decoder_(max_frame),
      counters_(std::move(counters)) {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.set_option(asio::socket_base::keep_alive(true), ec);
}

void Connection::start(Handlers h) {
  h_ = std::move(h);
  read_more();
}

void Connection::read_more() {
  if (closed_) return;
  socket_.async_read_some(asio::buffer(read_buf_),
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
  // Frames are delivered as they decode, before any error; the owner may close us from a
  // handler, and then the rest of this read is dropped.
  Status st = decoder_.feed(ByteView(read_buf_.data(), n), [this](ByteView f) {
    if (closed_) return;
    CounterSet::add(counters_->frames_in);
    if (h_.on_frame) h_.on_frame(f);
  });
  if (closed_) return;
  if (!st) {
    CounterSet::add(counters_->bad_frames);
    close(st.error().message);
    return;
  }
  read_more();
}

void Connection::send_frame(ByteView payload) {
  append_frame(fill_, payload);
  frame_appended();
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
