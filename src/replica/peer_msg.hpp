#pragma once
// The node-level envelope on the replica-to-replica transport. Consensus messages are opaque
// to the node; the other kinds are the node's own: batches forwarded to the primary, CART reply
// shares, and state transfer.
#include <cstdint>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/metrics_registry.hpp"
#include "common/result.hpp"
#include "ledger/block.hpp"
#include "ledger/records.hpp"

namespace rampart::replica {

enum class PeerTag : uint8_t {
  consensus = 1,   // bytes for Protocol::on_message
  forward = 2,     // a client batch for the primary to propose
  share = 3,       // CART reply share: k, view, block hash, threshold share over proof_message(view, k, hash)
  state_req = 4,   // "send me your checkpoint and blocks above `from`"
  state_resp = 5,  // checkpoint, snapshot, blocks (from .. checkpoint)
  proof = 6,       // a combined group signature for (view, k) (ShareMsg layout), to a peer that lacks it
  // Restart handshake and catch-up by proven blocks (replica/restart.hpp has the bodies).
  hello = 7,        // "I restarted with this final height; what is yours?"
  status = 8,       // last final height, serving or still restarting
  blocks_req = 9,   // "send me your final blocks from k on"
  blocks_resp = 10, // up to kMaxBlocksPerResponse proven blocks with their batches
  durable = 11,     // "k's proof, these very bytes, is fsync'ed here" (DurableMsg; ask: "and send me yours")
  witness = 12,     // "I checked the client signatures of origin's batch with this digest" (replica/witness.hpp)
  delivery = 13,    // a threshold share over a broker batch's delivery statement (replica/deliveries.hpp)
};

struct ShareMsg {
  uint64_t k = 0;
  uint64_t view = 0;
  Hash32 hash{};  // block k's hash
  Bytes share;
};

// DURABLE (replica/proofs.hpp): block k's proof, named by its id (proof_id: the block, the view
// and the signature's bytes), is synced at the sender, which may not have checked it yet. A
// receiver counts it if it names the very proof the receiver holds (identical bytes: valid if
// the receiver's is) or if the sender says it checked its proof (a valid one for the same block).
struct DurableMsg {
  uint64_t k = 0;
  Hash32 head{};   // block k's hash
  Hash32 proof{};  // proof_id of the proof synced at the sender
  bool checked = false;  // the sender verified that proof
  bool ask = false;      // and asks for the receiver's acknowledgement
  bool operator==(const DurableMsg&) const = default;
};

struct StateResp {
  ledger::CheckpointRecord checkpoint;
  Bytes snapshot;                    // executor snapshot at checkpoint.k
  std::vector<ledger::Block> blocks; // consecutive, starting at the requested `from`
  std::vector<Bytes> batches;        // one per block
};

// A witness over a forwarded batch: origin (the replica that built it), its digest, and the
// witness's replica signature over witness_statement(origin, digest).
struct WitnessMsg {
  uint32_t origin = 0;
  Hash32 digest{};
  Bytes sig;
  bool operator==(const WitnessMsg&) const = default;
};
inline constexpr size_t kMaxWitnessSig = 256;  // Ed25519's is 64; the simulator's stand-in may differ

// Node-level peer messages refused as malformed or inconsistent (counted by every part that reads them).
extern const metrics::Declared kBadPeerMsgs;

inline constexpr size_t kMaxStateBlocks = 4096;
inline constexpr size_t kMaxSnapshot = 512u << 20;

Bytes wrap(PeerTag tag, ByteView body);
Bytes encode_share(const ShareMsg& s, PeerTag tag = PeerTag::share);
Result<ShareMsg> decode_share(ByteView body);
// (first block wanted, checkpoint sequence number wanted)
Bytes encode_state_req(uint64_t from, uint64_t want_k);
Result<std::pair<uint64_t, uint64_t>> decode_state_req(ByteView body);
Bytes encode_state_resp(const StateResp& r);
Result<StateResp> decode_state_resp(ByteView body);
Bytes encode_durable(const DurableMsg& m);  // wrapped: the tag, then the body
Result<DurableMsg> decode_durable(ByteView body);
Bytes encode_witness(const WitnessMsg& m);  // wrapped: the tag, then the body
Result<WitnessMsg> decode_witness(ByteView body);

}  // namespace rampart::replica
