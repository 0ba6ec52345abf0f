#pragma once
// The broker's links to the replicas (I/O, asio; library rampart_broker_udp): one client-channel
// TCP connection per replica (crypto/client_channel.hpp through client::Session, as the client
// library and the load generator speak it), opened with the broker's own Ed25519 key, which
// cluster.toml lists, so replicas accept it as a relay.
//
// Connections are made lazily, on the first batch for that replica, and made again with
// back-off after a failure while batches wait for them (a connection the replica closes while
// idle is made again by the next batch). Each has a bounded queue of batches waiting for the channel; what
// does not fit, or is lost with a broken connection, is not retried here: the core resubmits
// every undelivered batch on its own timer (broker.hpp), to the next replica.
//
// In: records are opened and each frame that is a Delivered goes to on_delivered (the core
// checks its certificate); any other frame is counted and dropped.
#include <asio.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "client/session.hpp"
#include "common/config.hpp"
#include "net/frame.hpp"

namespace rampart::broker {

struct LinkCounters {
  uint64_t batches_out = 0;      // handed to a connection's write
  uint64_t bytes_out = 0;        // their plaintext bytes
  uint64_t delivered_in = 0;     // Delivered frames passed to the core
  uint64_t other_dropped = 0;    // frames in that are not a Delivered
  uint64_t queue_dropped = 0;    // batches refused because a link's queue was full
  uint64_t oversize = 0;         // batches above a replica's frame limit (a batch size error)
  uint64_t connects = 0;         // channels established
  uint64_t failures = 0;         // connect, handshake, read or write failures
};

class ReplicaLinks {
 public:
  using OnDelivered = std::function<void(uint32_t replica, ByteView msg)>;
  static constexpr size_t kMaxQueued = 16;           // batches waiting per link
  static constexpr uint64_t kFirstBackoffMs = 100;   // reconnect after a failure ...
  static constexpr uint64_t kMaxBackoffMs = 5000;    // ... doubling up to this
  static constexpr uint64_t kHandshakeTimeoutMs = 5000;

  ReplicaLinks(asio::io_context& io, const ClusterConfig& cfg, client::SigningKey key, OnDelivered on_delivered);
  ~ReplicaLinks();

  // Queues one encoded DistilledBatch for `replica`; connects first if needed.
  void send(uint32_t replica, Bytes msg);
  const LinkCounters& counters() const { return counters_; }

 private:
  enum class State { idle, connecting, handshaking, ready, waiting };
  struct Link {
    uint32_t replica = 0;
    State state = State::idle;
    std::unique_ptr<asio::ip::tcp::socket> sock;
    std::optional<client::Session> session;
    net::FrameDecoder dec;
    std::array<uint8_t, 64 * 1024> buf{};
    std::deque<Bytes> queue;  // plaintext batches waiting for the channel
    Bytes raw;                // handshake frames (not sealed) to write before any record
    bool writing = false;
    uint64_t backoff_ms = kFirstBackoffMs;
    uint64_t gen = 0;         // bumped on every failure: completions of an older socket are stale
    asio::steady_timer retry;
    explicit Link(asio::io_context& io);
  };

  void connect(Link& l);
  void read(Link& l);
  void on_frame(Link& l, ByteView frame);
  void pump(Link& l);
  void fail(Link& l, const std::string& why);

  asio::io_context& io_;
  const ClusterConfig& cfg_;
  client::SigningKey key_;
  OnDelivered on_delivered_;
  std::vector<std::unique_ptr<Link>> links_;
  LinkCounters counters_;
};

}  // namespace rampart::broker
