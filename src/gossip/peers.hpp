#pragma once
// The P2P layer (docs/gossip.md, "P2P protocol"): TCP links framed as in src/net
// (u32 LE length | payload), opened by the handshake of handshake.hpp (proof of work both ways,
// host-key signatures) and sealed afterwards with crypto::Channel. It keeps `degree` links up:
// it dials the bootstrapper and addresses learned from peers' PEERS lists, replaces links that
// fail, accepts inbound links up to max_peers (beyond that it answers with its PEERS list and
// hangs up, so the caller learns where else to go), and keeps one link per peer identity.
// Items go to and come from the Engine through Handlers; everything runs on the io thread.
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "gossip/config.hpp"
#include "gossip/engine.hpp"
#include "gossip/hostkey.hpp"
#include "gossip/identity.hpp"
#include "gossip/p2p_message.hpp"

namespace rampart::gossip {

struct PeerOptions {
  Address listen;                     // p2p_address
  std::string bootstrapper;           // empty: none
  size_t degree = 4;
  size_t max_peers = 8;               // links kept at most (in + out)
  unsigned difficulty = 16;           // proof of work demanded of peers
  unsigned max_difficulty = 24;       // the most we pay for a peer
  bool discovery = true;              // false: only the bootstrapper is dialed (fixed topologies in tests)
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds maintain_interval{250};
  std::chrono::milliseconds peers_request_interval{2000};
  std::chrono::milliseconds redial_backoff{1000};   // doubled per failure, up to 30 s
  size_t max_pending_handshakes = 64;
  size_t max_queue_bytes = 8u << 20;  // unsent bytes per link before items to it are dropped
  size_t max_known = 1024;            // addresses remembered for dialing
};

struct PeerStats {
  uint64_t handshakes = 0;          // links established
  uint64_t handshake_failures = 0;  // links that failed their handshake
  uint64_t pow_failures = 0;        // ... because the peer's proof of work was wrong
  uint64_t bad_frames = 0;          // sealed frames that failed to open or decode (link closed)
  uint64_t dials = 0;
  uint64_t refused_full = 0;        // inbound links turned away at max_peers
  uint64_t duplicates_closed = 0;   // second links to one identity
  uint64_t send_dropped = 0;        // items not queued: the link's buffer was full
  uint64_t items_out = 0, items_in = 0;
};

class PeerManager {
 public:
  struct Handlers {
    std::function<void(PeerId)> on_up;
    std::function<void(PeerId, ItemMsg)> on_item;
    std::function<void(PeerId)> on_down;
  };
  PeerManager(asio::io_context& io, std::shared_ptr<const HostKey> key, PeerOptions opt, Handlers h);
  ~PeerManager();
  PeerManager(const PeerManager&) = delete;
  PeerManager& operator=(const PeerManager&) = delete;

  // Binds the P2P port (port 0: ephemeral; the advertised address then carries the real one).
  Result<uint16_t> listen();
  // Starts dialing and maintenance.
  void start();
  void stop();
  void send(PeerId p, const ItemMsg& item);

  const Identity& identity() const;
  const std::string& address() const;   // advertised "host:port"
  size_t active() const;                // established links
  std::vector<std::string> peer_addresses() const;
  PeerStats stats() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rampart::gossip
