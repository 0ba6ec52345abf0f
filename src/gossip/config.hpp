#pragma once
// The module's INI configuration, as the VoidPhone course defines it:
//
//   hostkey = /path/to/hostkey.pem      ; top level: PEM private key, RSA or Ed25519
//   [gossip]
//   cache_size = 50                     ; items remembered for deduplication
//   degree = 30                         ; active peers to maintain
//   bootstrapper = 10.0.0.1:6001        ; a module to ask for peers first (optional here)
//   p2p_address = 10.0.0.2:6001         ; where peers reach us
//   api_address = 127.0.0.1:7001        ; where local modules reach us
//
// Other sections and keys are ignored. Our own optional keys in [gossip]: pow_difficulty
// (leading zero bits of the handshake's proof of work, default 16), max_peers (connections
// kept at most, default 2 x degree), item_rate and item_burst (items per second a peer may send,
// default 500 and 1000). Comments start with ';' or '#'. A relative hostkey path is taken
// relative to the INI file's folder.
#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace rampart::gossip {

struct Address {
  std::string host;
  uint16_t port = 0;
  std::string str() const;  // "host:port", IPv6 hosts in brackets
  bool operator==(const Address&) const = default;
};
// "host:port" or "[v6]:port"; port 0..65535.
Result<Address> parse_address(std::string_view s);

struct GossipConfig {
  std::string hostkey;
  size_t cache_size = 0;
  size_t degree = 0;
  std::string bootstrapper;  // empty: none (the first module)
  Address p2p_address;
  Address api_address;
  unsigned pow_difficulty = 16;
  size_t max_peers = 0;  // 0: 2 x degree
  double item_rate = 500;
  double item_burst = 1000;
};

// Parses INI text; `base_dir` resolves a relative hostkey path. Errors name the line or the
// missing key.
Result<GossipConfig> parse_gossip_config(std::string_view text, const std::string& base_dir = "");
Result<GossipConfig> load_gossip_config(const std::string& path);

}  // namespace rampart::gossip
