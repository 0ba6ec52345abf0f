#pragma once
// The transport's state (Transport::Impl), shared by the files that implement it: transport.cpp
// (the public API, start and stop), transport_accept.cpp (listening and admitting inbound
// connections), transport_dial.cpp (dialing and reconnecting), transport_handshake.cpp (the
// handshake and incoming frames) and transport_pump.cpp (per-peer queues and the connection
// pump). Private to src/net; everything runs on the io_context thread, except the atomics
// Transport's const getters read.
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/channel.hpp"
#include "net/connection.hpp"
#include "net/counters.hpp"
#include "net/transport.hpp"

namespace rampart::net {

struct Transport::Impl : std::enable_shared_from_this<Transport::Impl> {
  // Hellos and confirm messages are a few dozen bytes; an unauthenticated connection may not
  // announce anything larger.
  static constexpr size_t kHandshakeMaxFrame = 256;

  using Msg = std::shared_ptr<const Bytes>;

  // One connection's handshake and channel state.
  struct PeerConn {
    enum class State { hello, confirm, established };
    std::shared_ptr<Connection> conn;
    std::unique_ptr<crypto::Handshake> hs;
    std::optional<crypto::Channel> channel;
    State state = State::hello;
    bool outbound = false;
    bool counted_pending = false;  // inbound, counted in pending_inbound
    bool peer_known = false;
    NodeId peer = 0;
    std::string source;  // inbound: source_key of the remote address
    std::chrono::steady_clock::time_point accepted{};
  };

  struct Peer {
    PeerInfo info;
    std::deque<Msg> queue;
    size_t queue_bytes = 0;
    std::atomic<size_t> depth_gauge{0}, bytes_gauge{0};
    std::atomic<bool> up{false};
    std::shared_ptr<PeerConn> conn;      // authenticated connection, if any
    std::shared_ptr<PeerConn> outbound;  // our dial in its handshake
    std::shared_ptr<asio::ip::tcp::socket> dial_socket;  // our dial while connecting
    bool dialing = false;                // resolve/connect in progress
    std::unique_ptr<asio::steady_timer> retry;
    bool retry_pending = false;
    std::chrono::milliseconds backoff{0};
  };

  Impl(asio::io_context& io_, NodeId self_, const crypto::ChannelKeypair& keys_, Options opts_)
      : io(io_), self(self_), keys(keys_), opts(opts_), acceptor(io_), accept_retry(io_), resolver(io_),
        counters(std::make_shared<CounterSet>()) {}

  asio::io_context& io;
  NodeId self;
  crypto::ChannelKeypair keys;
  Options opts;
  PeerInfo self_info;
  std::map<NodeId, std::unique_ptr<Peer>> peers;  // everyone but self
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  asio::ip::tcp::resolver resolver;
  std::shared_ptr<CounterSet> counters;
  std::function<void(NodeId, Bytes)> on_msg;
  std::set<std::shared_ptr<PeerConn>> handshaking;
  size_t pending_inbound = 0;
  std::map<std::string, size_t> pending_by_source;
  std::set<std::string> peer_sources;  // source keys of the configured peers' addresses
  uint64_t accept_failures = 0;        // in a row
  bool listening = false;
  bool started = false;
  bool stopped = false;

  // ---- lookup, start and stop (transport.cpp) ----------------------------------------
  Peer* find(NodeId id);
  Status start();
  void stop();

  // ---- listening (transport_accept.cpp) ----------------------------------------------
  Result<uint16_t> listen();
  // Addresses the configured peers dial from (their configured hosts): exempt from the
  // per-source cap. A peer that dials from another address is still admitted, under the cap.
  void resolve_peer_sources();
  void accept_loop();
  void admit(asio::ip::tcp::socket s);
  // Makes room for a new inbound connection: the oldest pending one that has not sent a valid
  // Hello goes first (a dialing peer sends its Hello at once), else the oldest.
  bool evict_pending();
  void uncount_pending(PeerConn& pc);
  void begin_inbound(asio::ip::tcp::socket s, std::string src);

  // ---- dialing (transport_dial.cpp) -------------------------------------------------
  void dial(Peer& p);
  void dial_failed(Peer& p);
  void begin_outbound(Peer& p, asio::ip::tcp::socket s);
  void schedule_reconnect(Peer& p);

  // ---- handshake and frames (transport_handshake.cpp) -------------------------------
  void begin_handshake(const std::shared_ptr<PeerConn>& pc);
  void bad_frame(PeerConn& pc, const std::string& why);
  bool seal_frame(PeerConn& pc, ByteView plaintext);
  void on_frame(const std::shared_ptr<PeerConn>& pc, ByteView frame);
  void established(const std::shared_ptr<PeerConn>& pc);
  void on_closed(const std::shared_ptr<PeerConn>& pc);

  // ---- sending (transport_pump.cpp) -------------------------------------------------
  void update_gauges(Peer& p);
  void pump(Peer& p);
  bool enqueue(Peer& p, Msg m);
  bool send(NodeId to, Bytes msg);
  void broadcast(Bytes msg);
};

}  // namespace rampart::net
