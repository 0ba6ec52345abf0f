#pragma once
// What peers say to each other once the handshake is done (every such frame is sealed; this is
// the plaintext). Little-endian:
//   ITEM           1 | ttl u8 | hops u8 | data type u16 | u32 length | data (<= kMaxData)
//   PEERS_REQUEST  2
//   PEERS          3 | u32 count (<= kMaxPeerList) | count x (u32 length | address)
// `ttl` is what the receiver applies (0 unlimited, 1 = do not forward, else forward with ttl-1);
// `hops` counts the hops the item made so far (statistics and the TTL tests).
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::gossip {

inline constexpr size_t kMaxPeerList = 64;

struct ItemMsg {
  uint8_t ttl = 0;
  uint8_t hops = 0;
  uint16_t data_type = 0;
  Bytes data;
  bool operator==(const ItemMsg&) const = default;
};
struct PeersRequest {
  bool operator==(const PeersRequest&) const = default;
};
struct PeersMsg {
  std::vector<std::string> addresses;
  bool operator==(const PeersMsg&) const = default;
};
using P2pMessage = std::variant<ItemMsg, PeersRequest, PeersMsg>;

Bytes encode_p2p(const P2pMessage& m);
// Strict: known kind, bounded lengths and counts, no trailing bytes.
Result<P2pMessage> decode_p2p(ByteView b);

// An item's content id: BLAKE3 (derive-key "rampart/gossip/item/v1") of data type u16 BE |
// data. The TTL and hop count are not part of it, so one item seen on two paths is one item.
Hash32 content_id(uint16_t data_type, ByteView data);

}  // namespace rampart::gossip
