#pragma once
// PoE wire messages and the exact byte strings that get signed.
//
// Every message starts with a one-byte type. Decoders take untrusted bytes, use the
// bounds-checked Reader with a limit on every length and count, and require finish() (no
// trailing bytes). Semantic checks (view, sender, signatures, window) are the protocol's job.
#include <cstdint>
#include <optional>
#include <vector>

#include "common/batch_digest.hpp"  // batch_digest: the name of the batch a PROPOSE carries
#include "common/bytes.hpp"
#include "common/result.hpp"
#include "consensus/protocol.hpp"

namespace rampart::consensus::poe {

enum class MsgType : uint8_t {
  propose = 1,
  support = 2,
  certify = 3,
  checkpoint = 4,
  vc_request = 5,
  nv_propose = 6,
  forward = 7,  // a backup hands its pending batch to a new primary after a view change
  fetch = 8,    // a backup that misses proposals/certificates asks the primary to re-send
  stable = 9,   // a stable checkpoint with its nf-signature proof (for a replica behind it)
  want = 10,    // a new primary asks for batches of its new view's history it does not hold
};

// Limits applied while decoding, derived from the Config.
struct Limits {
  uint32_t n = 4;
  Seq window = 256;
  size_t max_batch = 64u << 20;  // bytes of one opaque batch
  size_t max_sig = 1024;         // bytes of one signature, share or group signature
};
Limits limits_for(const Config& cfg);

struct Propose {
  View v = 0;
  Seq k = 0;
  Hash32 digest{};
  Bytes batch;
};

// In the threshold variant sig is a threshold share, in the MAC variant an ordinary signature;
// both over support_statement(v, k, digest).
struct Support {
  View v = 0;
  Seq k = 0;
  Hash32 digest{};
  Bytes sig;
};

struct SigEntry {
  NodeId signer = 0;
  Bytes sig;
  bool operator==(const SigEntry&) const = default;
};

// The certificate of (v, k, digest): the group signature (threshold variant), or, in the MAC
// variant, nf SUPPORT signatures (only sent when re-sending to a replica that asked by FETCH).
struct Certify {
  View v = 0;
  Seq k = 0;
  Hash32 digest{};
  Bytes group_sig;
  std::vector<SigEntry> sigs;
};

// A vote for checkpoint k: this replica executed 1..k, reaching ledger head `head`, and holds a
// certificate of view v for each of them above its stable checkpoint (it attested (v, k)).
// Only votes of one view combine into a stable checkpoint (docs/protocols.md, I2).
struct Checkpoint {
  View v = 0;
  Seq k = 0;
  Hash32 head{};
  Bytes sig;  // over checkpoint_statement(v, k, head)
};

// Proof that (v, k, digest) was view-committed: the group signature (threshold variant) or
// nf SUPPORT signatures of distinct replicas (MAC variant).
struct Certificate {
  Bytes group_sig;
  std::vector<SigEntry> sigs;
};

struct CommittedEntry {
  View v = 0;
  Seq k = 0;
  Hash32 digest{};
  Bytes batch;  // held by the replica; never on the wire (VC-REQUESTs name it by digest)
  Certificate cert;
};

struct VcRequest {
  View new_view = 0;
  NodeId sender = 0;
  Seq ckpt = 0;             // the sender's stable checkpoint (0 = genesis)
  View ckpt_view = 0;
  Hash32 ckpt_head{};
  std::vector<SigEntry> ckpt_proof;  // nf signatures over checkpoint_statement(ckpt_view, ckpt, ckpt_head)
  // View-committed proposals above ckpt, increasing k, without their batches: the digest
  // (certified) names the batch, and a new primary that lacks one asks for it (Want). With the
  // batches a request was as large as the window's worth of batches, and the NV-PROPOSE nf
  // times that: megabytes that missed the frame limit and filled peer queues at full load.
  std::vector<CommittedEntry> entries;
  Bytes sig;                // sender's signature over vc_statement(body)
  Bytes body;               // the signed part as received/encoded (not on the wire twice)
};

struct NvPropose {
  View v = 0;
  std::vector<Bytes> requests;  // encoded VC-REQUEST messages (with their type byte)
};

struct Forward {
  Bytes batch;
};

// The batches with these digests, please: each replica that holds one answers with a Forward.
struct Want {
  std::vector<Hash32> digests;  // at most window
};

struct Fetch {
  View v = 0;
  Seq from = 0;  // the first sequence number the sender has not executed
};

struct Stable {
  Seq k = 0;
  View v = 0;
  Hash32 head{};
  std::vector<SigEntry> proof;
};

Bytes support_statement(View v, Seq k, const Hash32& digest);
Bytes certify_statement(View v, Seq k, const Hash32& digest);  // same as support_statement
Bytes checkpoint_statement(View v, Seq k, const Hash32& head);
Bytes vc_statement(ByteView body);

Bytes encode(const Propose& m);
Bytes encode(const Support& m);
Bytes encode(const Certify& m);
Bytes encode(const Checkpoint& m);
// Fills m.body from the fields, then appends m.sig. Use vc_body() to get the bytes to sign.
Bytes encode(const VcRequest& m);
Bytes vc_body(const VcRequest& m);
Bytes encode(const NvPropose& m);
Bytes encode(const Forward& m);
Bytes encode(const Want& m);
Bytes encode(const Fetch& m);
Bytes encode(const Stable& m);

// The type byte, or nullopt for an empty message.
std::optional<MsgType> peek_type(ByteView msg);

Result<Propose> decode_propose(ByteView msg, const Limits& l);
Result<Support> decode_support(ByteView msg, const Limits& l);
Result<Certify> decode_certify(ByteView msg, const Limits& l);
Result<Checkpoint> decode_checkpoint(ByteView msg, const Limits& l);
Result<VcRequest> decode_vc_request(ByteView msg, const Limits& l);
Result<NvPropose> decode_nv_propose(ByteView msg, const Limits& l);
Result<Forward> decode_forward(ByteView msg, const Limits& l);
Result<Want> decode_want(ByteView msg, const Limits& l);
Result<Fetch> decode_fetch(ByteView msg, const Limits& l);
Result<Stable> decode_stable(ByteView msg, const Limits& l);

}  // namespace rampart::consensus::poe
