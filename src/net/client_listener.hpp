#pragma once
// Client-facing TCP listener: length-prefixed frames (same codec as the replica transport),
// sealed on the client channel (crypto/client_channel.hpp) when ClientOptions::channel is set,
// as on a replica's client port: a connection must then complete the handshake within
// handshake_timeout, the owner sees only opened frames, and principal() names the client key
// that opened the connection. Without channel keys (tests of the limits) frames are plain.
//
//   net::ClientListener cl(io);
//   cl.on_frame([&](net::ConnId c, Bytes req) { ...; cl.send(c, reply); });
//   auto port = cl.listen("0.0.0.0", 7000);
//
// Everything runs on the io_context thread. A frame above max_frame is counted in bad_frames
// and closes that connection; a connection whose unsent replies exceed max_send_buffer_bytes
// gets further replies dropped and counted (the client times out and retries), or is closed
// (close_when_send_buffer_full), so a client that never reads cannot exhaust memory.
//
// Limits (docs/transport.md, "Limits"), all in ClientOptions:
//  - idle and slow-frame timeouts per connection (ConnLimits);
//  - all partial frames together hold at most buffer_budget_bytes; a frame that would take
//    more closes its connection (budget_exceeded);
//  - at most max_per_source connections per source address (an IPv6 /64 counts as one), and
//    max_connections in all, kept below the process's descriptor limit. A new connection is
//    always admitted: a source at its cap gives up its own longest-idle connection, and at the
//    total cap the longest-idle connection of the source holding the most goes (evicted). A
//    flood of idle connections therefore cannot lock anyone else out;
//  - a failed accept (out of descriptors) is counted, logged and retried after accept_backoff,
//    never in a busy loop.
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/client_channel.hpp"
#include "net/counters.hpp"
#include "net/frame.hpp"
#include "net/limits.hpp"

namespace rampart::net {

using ConnId = uint64_t;

// The replica's side of the client channel: its id and static X25519 key pair.
struct ClientChannelKeys {
  uint32_t replica = 0;
  crypto::ChannelKeypair statics;
};

struct ClientOptions {
  size_t max_frame = 1u << 20;
  size_t max_connections = 4096;
  size_t max_per_source = 64;
  size_t max_send_buffer_bytes = 16u << 20;  // per connection
  bool close_when_send_buffer_full = false;   // otherwise the reply is dropped
  ConnLimits limits{std::chrono::seconds(60), std::chrono::seconds(10)};
  size_t buffer_budget_bytes = 64u << 20;     // partial frames, all connections together
  size_t read_buffer_bytes = 16 * 1024;       // per connection
  std::chrono::milliseconds accept_backoff{100};
  size_t reserved_descriptors = 256;  // kept free below the descriptor limit (peers, ledger, metrics)
  std::string name = "client";        // in log lines
  std::shared_ptr<const ClientChannelKeys> channel;  // null: plain frames
  std::chrono::milliseconds handshake_timeout{5000};  // with a channel: hello and key proof within this
};

class ClientListener {
 public:
  // `counters` may be shared with the owner (metrics); a fresh set if null.
  explicit ClientListener(asio::io_context& io, ClientOptions opts = {}, std::shared_ptr<CounterSet> counters = nullptr);
  ~ClientListener();  // closes everything; no callback runs afterwards
  ClientListener(const ClientListener&) = delete;
  ClientListener& operator=(const ClientListener&) = delete;

  void on_frame(std::function<void(ConnId, Bytes)> cb);
  // Without a copy: the view is valid during the call only. Return false for a bad frame
  // (counted in bad_frames, the connection is closed). Replaces on_frame.
  void on_frame_view(std::function<bool(ConnId, ByteView)> cb);
  void on_close(std::function<void(ConnId)> cb);  // optional

  // Binds and starts accepting; returns the bound port (port 0 = ephemeral).
  Result<uint16_t> listen(const std::string& host, uint16_t port);
  // Queues one frame to a client. False if the connection is gone or its buffer is full.
  bool send(ConnId c, ByteView payload);
  void close(ConnId c);
  void stop();
  // The client key that authenticated the connection: null without a channel, before the
  // handshake completed, or once the connection is gone.
  const crypto::ClientKey* principal(ConnId c) const;

  Counters counters() const;
  size_t connections() const;
  // The connection cap in force (max_connections, lowered to fit the descriptor limit).
  size_t max_connections() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rampart::net
