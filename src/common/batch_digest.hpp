#pragma once
// The digest of a batch, one function for the whole replica: the digest the protocols order
// (PoE's PROPOSE and PBFT's PRE-PREPARE name a batch by it; their votes, certificates and journals
// carry it), the digest a ledger block records (ledger::Block::batch_digest, checked against the
// stored batch), and the digest the replica's batcher, bundle parts and verified-batch cache key
// on. They are one value for the same bytes, so a slot's digest finds the batch in the
// verified-batch cache, the set-aside batches and the ledger without hashing under another key.
//
// BLAKE3 in derive-key mode, context "rampart/batch/v1", over the batch bytes exactly as ordered
// (a plain batch or a bundle, replica/batch.hpp; to the protocols they are opaque bytes).
//
// Domain separation: the context keeps a batch apart from every other object Rampart hashes
// (block headers, cluster configs, snapshots, journal records, Merkle nodes each have their own
// context), so no batch can pass for one of those. Nothing needs the protocols, the ledger and
// the batcher to name one batch differently: a digest is only the batch's name, and what is
// signed about it carries its own tag (PoE's "rampart/poe/support" statement, PBFT's typed vote
// bodies, the ledger's "rampart/cart-reply/v3" proof message).
//
// In src/common because consensus, ledger and replica all use it and consensus depends on
// neither of the other two.
#include "common/bytes.hpp"

namespace rampart {

Hash32 batch_digest(ByteView batch);

}  // namespace rampart
