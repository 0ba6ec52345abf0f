#pragma once
// One gossip module: the API server, the P2P layer and the Engine between them, on one
// io_context thread. `rampart gossip -c FILE.ini` runs one; tests and the benchmark run many in
// one process.
#include <asio.hpp>
#include <memory>

#include "common/result.hpp"
#include "gossip/api_server.hpp"
#include "gossip/config.hpp"
#include "gossip/engine.hpp"
#include "gossip/hostkey.hpp"
#include "gossip/peers.hpp"

namespace rampart::gossip {

struct ModuleOptions {
  GossipConfig config;
  std::shared_ptr<const HostKey> key;
  // Tuning that the INI file does not carry (tests and benchmarks change these).
  bool discovery = true;
  unsigned max_difficulty = 24;
  std::chrono::milliseconds maintain_interval{250};
  std::chrono::milliseconds tick_interval{100};
  std::chrono::milliseconds validation_timeout{10000};
};

// Builds ModuleOptions from a config file, loading the host key it names.
Result<ModuleOptions> module_options_from(const GossipConfig& c);

class Module : private EngineIo {
 public:
  Module(asio::io_context& io, ModuleOptions opt);
  ~Module() override;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Binds both ports and starts; the bound addresses are then api_address() and p2p_address().
  Status start();
  void stop();

  const Address& api_address() const { return api_; }
  const std::string& p2p_address() const { return peers_.address(); }
  const Identity& identity() const { return peers_.identity(); }
  const Engine& engine() const { return engine_; }
  Engine& engine() { return engine_; }
  const PeerManager& peers() const { return peers_; }
  size_t api_connections() const { return api_server_.connections(); }

 private:
  void api_send(ConnId c, Bytes message) override;
  void api_close(ConnId c, const std::string& why) override;
  void peer_send(PeerId p, const ItemMsg& item) override;
  void tick();

  ModuleOptions opt_;
  Engine engine_;
  ApiServer api_server_;
  PeerManager peers_;
  Address api_;
  asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rampart::gossip
