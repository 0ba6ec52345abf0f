#pragma once
// A module's identity: BLAKE3 (derive-key mode, "rampart/gossip/identity/v1") over
// u32 LE length | public key DER | address "host:port". Binding the address means one key
// running at two addresses is two identities, and a peer list entry names exactly one module.
#include <string_view>

#include "common/bytes.hpp"

namespace rampart::gossip {

using Identity = Hash32;

Identity identity_of(ByteView public_der, std::string_view address);
// The first 8 hex digits, for logs.
std::string short_id(const Identity& id);

}  // namespace rampart::gossip
