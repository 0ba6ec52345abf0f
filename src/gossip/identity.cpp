#include "gossip/identity.hpp"

#include "common/codec.hpp"
#include "crypto/blake3.hpp"

namespace rampart::gossip {

Identity identity_of(ByteView public_der, std::string_view address) {
  Writer w;
  w.bytes(public_der);
  w.raw(as_bytes(address));
  return crypto::blake3::Hasher::derive_key("rampart/gossip/identity/v1").update(w.data()).finalize();
}

std::string short_id(const Identity& id) { return to_hex(ByteView(id.data(), 4)); }

}  // namespace rampart::gossip
