#pragma once
// The replica's client listener: TCP, u32-length-prefixed frames (net/frame.hpp). Clients are
// not authenticated at this layer (their requests are signed); a malformed frame is counted
// and closes that connection only. Replies to a client that does not read are bounded: past
// max_pending_bytes the connection is closed.
#include <asio.hpp>
#include <functional>
#include <memory>
#include <unordered_map>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "net/connection.hpp"

namespace rampart::node {

class ClientPort {
 public:
  using ConnId = uint64_t;
  ClientPort(asio::io_context& io, std::shared_ptr<net::CounterSet> counters);
  ~ClientPort();

  // frame handler: (connection, frame). Return false to mark the frame bad (counted, closed).
  void on_frame(std::function<bool(ConnId, ByteView)> cb) { on_frame_ = std::move(cb); }
  Result<uint16_t> listen(const std::string& host, uint16_t port);
  // False when the connection is gone or over its bound.
  bool send(ConnId c, ByteView frame);
  void stop();
  size_t connections() const { return conns_.size(); }
  uint64_t bad_frames() const { return counters_->bad_frames.load(); }

  static constexpr size_t kMaxFrame = 1u << 20;
  static constexpr size_t kMaxPendingBytes = 16u << 20;
  static constexpr size_t kMaxConnections = 4096;

 private:
  void accept();
  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<net::CounterSet> counters_;
  std::function<bool(ConnId, ByteView)> on_frame_;
  std::unordered_map<ConnId, std::shared_ptr<net::Connection>> conns_;
  ConnId next_ = 1;
  bool stopped_ = false;
};

}  // namespace rampart::node
