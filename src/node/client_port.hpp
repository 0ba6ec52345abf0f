#pragma once
// The replica's client listener: TCP, u32-length-prefixed frames (net/frame.hpp), on
// net::ClientListener with its limits (docs/transport.md, "Limits": idle and slow-frame
// timeouts, per-source and total connection caps with eviction of idle connections, a budget
// for partial frames, back-off on failed accepts). Every connection runs the client channel
// (crypto/client_channel.hpp): the replica sees only opened frames and knows which client key
// opened each connection; a malformed frame is counted and closes that connection only.
// Replies to a client that does not read are bounded: past max_pending_bytes the connection is
// closed.
#include <asio.hpp>
#include <functional>
#include <memory>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "net/client_listener.hpp"

namespace rampart::node {

class ClientPort {
 public:
  using ConnId = uint64_t;
  static constexpr size_t kMaxFrame = 1u << 20;
  static constexpr size_t kMaxPendingBytes = 16u << 20;

  // The replica's defaults; cluster.toml's [limits] may change the limits.
  static net::ClientOptions default_options();

  ClientPort(asio::io_context& io, std::shared_ptr<net::CounterSet> counters,
             net::ClientOptions opts = default_options());
  ~ClientPort();

  // frame handler: (connection, frame). Return false to mark the frame bad (counted, closed).
  void on_frame(std::function<bool(ConnId, ByteView)> cb) { listener_.on_frame_view(std::move(cb)); }
  void on_close(std::function<void(ConnId)> cb) { listener_.on_close(std::move(cb)); }
  Result<uint16_t> listen(const std::string& host, uint16_t port);
  // The client key that opened the connection (the client channel); null before that.
  const crypto::ClientKey* principal(ConnId c) const { return listener_.principal(c); }
  // False when the connection is gone or over its bound.
  bool send(ConnId c, ByteView frame) { return listener_.send(c, frame); }
  void stop() { listener_.stop(); }
  size_t connections() const { return listener_.connections(); }
  uint64_t bad_frames() const { return counters_->bad_frames.load(); }

 private:
  std::shared_ptr<net::CounterSet> counters_;
  net::ClientListener listener_;
};

}  // namespace rampart::node
