#include "gossip/p2p_message.hpp"

#include "common/codec.hpp"
#include "crypto/blake3.hpp"
#include "gossip/api_message.hpp"
#include "gossip/handshake.hpp"

namespace rampart::gossip {
namespace {
enum : uint8_t { kItem = 1, kPeersRequest = 2, kPeers = 3 };
}

Bytes encode_p2p(const P2pMessage& m) {
  Writer w;
  if (auto* i = std::get_if<ItemMsg>(&m)) {
    w.u8(kItem);
    w.u8(i->ttl);
    w.u8(i->hops);
    w.u16(i->data_type);
    w.bytes(i->data);
  } else if (std::holds_alternative<PeersRequest>(m)) {
    w.u8(kPeersRequest);
  } else {
    auto& p = std::get<PeersMsg>(m);
    w.u8(kPeers);
    w.u32(static_cast<uint32_t>(p.addresses.size()));
    for (auto& a : p.addresses) w.str(a);
  }
  return w.take();
}

Result<P2pMessage> decode_p2p(ByteView b) {
  Reader r(b);
  uint8_t kind = r.u8();
  P2pMessage out;
  switch (kind) {
    case kItem: {
      ItemMsg i;
      i.ttl = r.u8();
      i.hops = r.u8();
      i.data_type = r.u16();
      i.data = r.bytes(kMaxData);
      out = std::move(i);
      break;
    }
    case kPeersRequest:
      out = PeersRequest{};
      break;
    case kPeers: {
      PeersMsg p;
      size_t n = r.count(kMaxPeerList, 4);
      p.addresses.reserve(n);
      for (size_t i = 0; i < n && !r.failed(); ++i) p.addresses.push_back(r.str(kMaxAddressBytes));
      out = std::move(p);
      break;
    }
    default:
      if (!r.failed()) r.fail("unknown gossip peer message kind " + std::to_string(kind));
  }
  if (auto st = r.finish(); !st) return err("gossip peer message: " + st.error().message);
  return out;
}

Hash32 content_id(uint16_t data_type, ByteView data) {
  uint8_t t[2] = {static_cast<uint8_t>(data_type >> 8), static_cast<uint8_t>(data_type)};
  return crypto::blake3::Hasher::derive_key("rampart/gossip/item/v1").update(ByteView(t, 2)).update(data).finalize();
}

}  // namespace rampart::gossip
