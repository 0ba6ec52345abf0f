#pragma once
// Ledger blocks (DESIGN.md §3.4): block k records what batch k was, where it sits in the hash
// chain, what executing it produced, and the cluster's proof that nf replicas executed it.
//
// The block hash covers the header only: k, batch digest, previous hash, state digest, results
// root — what every correct replica computes identically. The proof of execution is the BLS
// threshold group signature over proof_message(view, k, block hash): nf replicas vouched for
// block k in that one view (docs/protocols.md, I2; shares of executions in different views
// never combine). The view sits with the proof, outside the hash: replicas may hold proofs of
// different views for one block, and all hold the same chain of hashes. The proof exists only
// after nf replicas vouched, and execution of k+1 (whose header links to hash(k)) must not wait
// for it. It is checked against the group public key, not through the chain.
// docs/ledger.md gives the encoding byte by byte.
#include <cstdint>
#include <optional>

#include "common/batch_digest.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::ledger {

// Version byte leading every encoded block; bump it when the encoding changes.
inline constexpr uint8_t kBlockFormat = 3;  // 2: view moved out of the hashed header; 3: the proof signs the view
// Upper bound on a proof of execution (a BLS signature is 48 or 96 bytes; the fake one 32).
inline constexpr size_t kMaxProofBytes = 1024;

struct Block {
  uint64_t k = 0;            // sequence number; genesis is 0, the first batch is 1
  Hash32 batch_digest{};     // batch_digest(batch bytes), common/batch_digest.hpp; for genesis config_digest(config)
  Hash32 prev_hash{};        // block_hash(block k-1); zero for genesis
  Hash32 state_digest{};     // application state digest after executing batch k
  Hash32 results_root{};     // Merkle root over batch k's results (what clients' replies prove)
  // Not hashed (proof part): the view the proof names (before it, the view this replica
  // executed k in). Two correct replicas may hold proofs of different views for one block.
  uint64_t view = 0;
  Bytes proof;               // group signature over proof_message(view, k, block_hash(*this)); empty = not yet proven

  bool proven() const { return !proof.empty(); }
  bool operator==(const Block&) const = default;
};

// The exact message a replica threshold-signs when it vouches for block k in view v (CART reply
// shares), and that a block's proof of execution is a group signature over:
//   "rampart/cart-reply/v3" (21 ASCII bytes) | v u64 LE | k u64 LE | block_hash(k) (32 bytes) = 69 bytes
// The block hash binds the results root (what replies prove), the state digest (what verifiable
// reads prove against) and, through the previous hash, the whole history 1..k.
Bytes proof_message(uint64_t view, uint64_t k, const Hash32& block_hash);

// A block's batch digest is rampart::batch_digest (common/batch_digest.hpp), the digest the
// protocol ordered the batch under. The name stays reachable as ledger::batch_digest for callers
// that still spell it so (src/sim); it is the same function, not a second one.
using rampart::batch_digest;
// BLAKE3 (derive-key mode, context "rampart/ledger/config/v1") of the canonical cluster config.
Hash32 config_digest(ByteView cluster_config);

// Canonical header encoding (every field but view and proof), the input of block_hash.
Bytes encode_header(const Block& b);
// BLAKE3 (derive-key mode, context "rampart/ledger/block/v1") of encode_header(b).
Hash32 block_hash(const Block& b);
// The message b's proof signs: proof_message(b.view, b.k, block_hash(b)).
Bytes proof_message(const Block& b);

// Full encoding: header, then view u64, u32 proof length and the proof.
Bytes encode_block(const Block& b);
// Bounds-checked; rejects an unknown format byte, a proof above kMaxProofBytes and trailing
// bytes. decode_block(encode_block(b)) == b, and every accepted input re-encodes to itself.
Result<Block> decode_block(ByteView bytes);

// Block 0: k = 0, view = 0, batch_digest = config_digest(config), every other digest zero, no
// proof. Its "batch" in the store is the config bytes themselves, so verification treats it
// like any other block.
Block genesis_block(ByteView cluster_config);

// One link of the chain, without crypto: b.k == prev.k + 1, b.prev_hash == block_hash(prev),
// and batch_digest(batch) == b.batch_digest. The error names block b.k.
Status check_link(const Block& prev, const Block& b, ByteView batch);

}  // namespace rampart::ledger
