#pragma once
// Replica-to-replica transport: one persistent, authenticated and encrypted TCP connection per
// pair of replicas (crypto/channel.hpp), length-prefixed frames, reconnection with exponential
// back-off, and bounded per-peer send queues. See docs/transport.md.
//
// Usage (everything on one io_context thread; callbacks run on it too):
//
//   net::Transport t(io, self_id, peers, my_channel_keypair, net::Options{});
//   t.on_message([&](net::NodeId from, Bytes msg) { protocol->on_message(from, msg); });
//   auto port = t.listen();             // optional: binds self's host:port (0 = ephemeral)
//   t.start();                          // listens if not done yet, dials peers
//   t.send(2, bytes); t.broadcast(bytes);
//
// Who dials: the replica with the lower id dials the higher one, so each pair has exactly one
// connection and no tie-breaking is needed. An acceptor only admits Hellos from known lower
// ids; a newly authenticated connection from a peer replaces the old one (the peer restarted).
//
// Back-pressure: each peer has a queue bounded by message count and bytes. When it is full
// the OLDEST message is dropped and counted (consensus retransmits, and the newest messages
// are the useful ones). Messages move from the queue into the connection's write buffer only
// while that buffer is below write_batch_bytes, so a peer that stops reading holds at most
// queue bound + 2 write buffers of our memory.
//
// Malformed frames and frames that fail authentication are counted in bad_frames and close
// the connection; the peer then reconnects (after back-off) with a fresh handshake.
//
// Unauthenticated inbound connections are bounded (Options: handshake_timeout,
// max_pending_handshakes with eviction of the oldest, max_pending_per_source for addresses that
// are no configured peer's): connections that never authenticate cannot keep a known peer out.
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/channel.hpp"
#include "net/counters.hpp"
#include "net/frame.hpp"

namespace rampart::net {

using NodeId = uint32_t;

struct PeerInfo {
  NodeId id = 0;
  std::string host;  // IP address or name; for self: the address to listen on
  uint16_t port = 0;
  crypto::ChannelPublicKey static_pk{};
};

struct Options {
  size_t max_frame = kDefaultMaxFrame;       // wire payload limit (sealed message + 16)
  size_t max_queue_messages = 8192;           // per peer
  size_t max_queue_bytes = 64u << 20;         // per peer
  size_t write_batch_bytes = 1u << 20;        // coalesce up to this much per write
  // An inbound or outbound connection must authenticate within this: on loopback or a LAN a
  // handshake takes a round trip and a few milliseconds of X25519.
  std::chrono::milliseconds handshake_timeout{2000};
  std::chrono::milliseconds backoff_initial{50};
  std::chrono::milliseconds backoff_max{5000};
  // Inbound connections not yet authenticated. At the cap a new one evicts the oldest pending
  // connection that has not sent a valid Hello (else the oldest): anyone can open connections,
  // and a configured peer's must never wait behind them.
  size_t max_pending_handshakes = 64;
  // Pending inbound connections per source address that is not a configured peer's address;
  // more are refused at accept.
  size_t max_pending_per_source = 8;
  std::chrono::milliseconds accept_backoff{100};  // after a failed accept (out of descriptors)
};

class Transport {
 public:
  // `peers` lists every replica, self included (self's entry gives the listen address).
  Transport(asio::io_context& io, NodeId self, std::vector<PeerInfo> peers,
            const crypto::ChannelKeypair& keys, Options opts = {});
  ~Transport();  // closes everything; no callback runs afterwards
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Delivered messages: (authenticated sender, plaintext). Set before start().
  void on_message(std::function<void(NodeId, Bytes)> cb);

  // Binds the listening socket on self's host:port; returns the bound port.
  Result<uint16_t> listen();
  // Changes where a peer is dialed (tests with ephemeral ports; config reload). Takes effect
  // at the next dial.
  void set_peer_address(NodeId id, std::string host, uint16_t port);
  // Listens (if listen() was not called) and starts dialing the higher-id peers.
  Status start();
  // Closes every connection and the listener; queued messages are discarded.
  void stop();

  // Queues a message for `to` (a message to self is delivered locally, asynchronously).
  // Returns false if `to` is unknown or the message exceeds the frame limit (counted dropped).
  bool send(NodeId to, Bytes msg);
  // To every replica but self; the bytes are shared, not copied per peer.
  void broadcast(Bytes msg);

  Counters counters() const;
  // Messages waiting in `to`'s queue (not yet handed to the socket).
  size_t queue_depth(NodeId to) const;
  size_t queue_bytes(NodeId to) const;
  // True while an authenticated connection to `id` is up.
  bool connected(NodeId id) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rampart::net
