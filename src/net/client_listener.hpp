#pragma once
// Client-facing TCP listener: plain length-prefixed frames (same codec and limits as the
// replica transport, no channel crypto: clients sign their requests, and replies carry group
// signatures, at a higher layer).
//
//   net::ClientListener cl(io);
//   cl.on_frame([&](net::ConnId c, Bytes req) { ...; cl.send(c, reply); });
//   auto port = cl.listen("0.0.0.0", 7000);
//
// Everything runs on the io_context thread. A frame above max_frame is counted in bad_frames
// and closes that connection; a connection whose unsent replies exceed max_send_buffer_bytes
// gets further replies dropped and counted (the client times out and retries), so a client
// that never reads cannot exhaust memory. Connections beyond max_connections are refused.
#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "net/counters.hpp"
#include "net/frame.hpp"

namespace rampart::net {

using ConnId = uint64_t;

struct ClientOptions {
  size_t max_frame = kDefaultMaxFrame;
  size_t max_connections = 10000;
  size_t max_send_buffer_bytes = 16u << 20;  // per connection
};

class ClientListener {
 public:
  explicit ClientListener(asio::io_context& io, ClientOptions opts = {});
  ~ClientListener();  // closes everything; no callback runs afterwards
  ClientListener(const ClientListener&) = delete;
  ClientListener& operator=(const ClientListener&) = delete;

  void on_frame(std::function<void(ConnId, Bytes)> cb);
  void on_close(std::function<void(ConnId)> cb);  // optional

  // Binds and starts accepting; returns the bound port (port 0 = ephemeral).
  Result<uint16_t> listen(const std::string& host, uint16_t port);
  // Queues one frame to a client. False if the connection is gone or its buffer is full.
  bool send(ConnId c, ByteView payload);
  void close(ConnId c);
  void stop();

  Counters counters() const;
  size_t connections() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rampart::net
