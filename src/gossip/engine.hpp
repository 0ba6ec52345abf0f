#pragma once
// The gossip semantics (DESIGN.md §3.5, issue 19), sans-IO: API messages and peer items in,
// notifications, closes and peer sends out through EngineIo. The module (module.hpp) wires it
// to sockets; tests may drive it directly.
//
//  - NOTIFY subscribes its API connection to a data type, until the connection closes.
//  - An item from a peer that this module has not seen (SeenCache, by content id) goes, as a
//    NOTIFICATION with a fresh message id, to every subscriber of its type. It is forwarded to
//    peers only once every one of them answered VALIDATION with V = 1. One V = 0 drops it, and
//    so does a subscriber that closes or stays silent past validation_timeout. With no
//    subscriber it is forwarded at once.
//  - An ANNOUNCE goes to peers at once and to the other local subscribers of its type (not back
//    to the announcer); their VALIDATIONs are accepted and change nothing.
//  - TTL: an ANNOUNCE's ttl is sent as is. A module receiving ttl 1 does not forward; ttl 0 is
//    forwarded as 0 (unlimited); any other ttl is forwarded decremented. So ttl k reaches the
//    modules within k hops of the announcer.
//  - Forwarding goes to every connected peer but the sender. While fewer than `degree` peers
//    got an item, it is held (up to hold_time, at most cache_size items) and sent to peers that
//    connect later.
//  - Limits per peer: a token bucket on items (item_rate, item_burst) and at most
//    max_pending_per_peer of its items awaiting local validation; excess items are dropped and
//    counted. Subscribers therefore see at most that many outstanding items per peer.
//  - Malformed API input, or a NOTIFICATION sent by a client, closes that API connection only.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "common/bytes.hpp"
#include "gossip/api_message.hpp"
#include "gossip/p2p_message.hpp"
#include "gossip/rate_limit.hpp"
#include "gossip/seen_cache.hpp"

namespace rampart::gossip {

using ConnId = uint64_t;  // an API connection
using PeerId = uint64_t;  // a P2P link; 0 is never a peer (it stands for "local")
using Clock = std::chrono::steady_clock;

struct EngineOptions {
  size_t cache_size = 50;
  size_t degree = 4;
  double item_rate = 500;
  double item_burst = 1000;
  size_t max_pending_per_peer = 256;
  size_t max_pending = 4096;  // items awaiting validation in all (message ids are 16 bits)
  std::chrono::milliseconds validation_timeout{10000};
  std::chrono::milliseconds hold_time{30000};
};

class EngineIo {
 public:
  virtual ~EngineIo() = default;
  // Queue one encoded API message to a local connection.
  virtual void api_send(ConnId c, Bytes message) = 0;
  // Close that connection; the engine has already forgotten it.
  virtual void api_close(ConnId c, const std::string& why) = 0;
  virtual void peer_send(PeerId p, const ItemMsg& item) = 0;
};

struct EngineStats {
  uint64_t announces = 0;           // ANNOUNCEs from local modules
  uint64_t notifications = 0;       // NOTIFICATIONs sent to local subscribers
  uint64_t items_received = 0;      // ITEMs from peers (duplicates and drops included)
  uint64_t duplicates = 0;          // ... already seen
  uint64_t items_sent = 0;          // ITEM messages sent to peers
  uint64_t forwarded = 0;           // distinct items sent on (announced or validated)
  uint64_t invalid = 0;             // dropped: a subscriber said V = 0
  uint64_t unvalidated = 0;         // dropped: a subscriber closed or timed out
  uint64_t ttl_stopped = 0;         // accepted with ttl 1, not forwarded
  uint64_t rate_limited = 0;        // dropped: the peer exceeded its item rate
  uint64_t pending_full = 0;        // dropped: too many items awaiting validation
  uint64_t malformed_api = 0;       // API connections closed for bad input
  uint64_t held_sent = 0;           // held items sent to peers that connected later
};

class Engine {
 public:
  Engine(EngineIo& io, EngineOptions opt);

  void api_open(ConnId c);
  // One whole API message (ApiStreamDecoder split it).
  void api_message(ConnId c, ByteView message, Clock::time_point now);
  // The connection closed (idempotent; also fine after the engine closed it itself).
  void api_closed(ConnId c);
  // Closes connection c as malformed (stream errors seen by the I/O layer).
  void api_malformed(ConnId c, const std::string& why);

  void peer_up(PeerId p, Clock::time_point now);
  void peer_item(PeerId from, ItemMsg item, Clock::time_point now);
  void peer_down(PeerId p);

  // Expires validations and held items; call a few times a second.
  void tick(Clock::time_point now);

  // Called with every new item accepted from a peer (before validation): tests and stats.
  std::function<void(const Hash32& id, const ItemMsg& item, PeerId from)> on_item;

  const EngineStats& stats() const { return stats_; }
  size_t peers() const { return peers_.size(); }
  size_t pending() const { return pending_.size(); }
  size_t held() const { return held_.size(); }
  size_t subscribers(uint16_t data_type) const;

 private:
  struct Pending {
    Hash32 id{};
    ItemMsg item;          // as received (its ttl not yet applied)
    PeerId from = 0;
    bool forward = false;  // false: a local announce's notification, already spread
    std::set<ConnId> waiting;
    Clock::time_point deadline;
  };
  struct Held {
    ItemMsg out;
    PeerId from = 0;
    std::set<PeerId> sent_to;
    Clock::time_point deadline;
  };
  struct Peer {
    TokenBucket bucket;
    size_t pending = 0;
  };

  void announce(ConnId c, Announce a, Clock::time_point now);
  void validation(ConnId c, const Validation& v, Clock::time_point now);
  void forward(const ItemMsg& item, PeerId from, Clock::time_point now);
  // Sends a NOTIFICATION (one fresh message id) to every subscriber of the type but `except`
  // and records what it waits for; false when there is nobody to notify.
  bool notify(const Hash32& id, const ItemMsg& item, PeerId from, bool forward, ConnId except,
              Clock::time_point now);
  void finish(uint16_t msg_id, bool spread, Clock::time_point now);
  void close_api(ConnId c, const std::string& why);
  void forget_conn(ConnId c);
  uint16_t fresh_message_id();

  EngineIo& io_;
  EngineOptions opt_;
  SeenCache seen_;
  std::map<uint16_t, std::set<ConnId>> subs_;
  std::unordered_map<ConnId, std::set<uint16_t>> conns_;
  std::map<uint16_t, Pending> pending_;
  std::deque<Held> held_;
  std::map<PeerId, Peer> peers_;
  uint16_t next_msg_id_ = 0;
  EngineStats stats_;
};

}  // namespace rampart::gossip
