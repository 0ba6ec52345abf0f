#pragma once
// CART reply verification: the only thing a client trusts is the cluster's group public key.
#include "replica/client_wire.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::client {

// Ok when the reply answers (client, seq), its result is a leaf of the results tree with the
// given Merkle proof, and the group signature over proof_message(view, k, block hash of the header it carries) verifies.
Status verify_reply(const Reply& r, replica::ClientId client, uint64_t seq, const crypto::ThresholdVerifier& group);

}  // namespace rampart::client
