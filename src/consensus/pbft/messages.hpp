#pragma once
// PBFT wire messages (Castro & Liskov, OSDI'99 / TOCS'02) and their bounds-checked codec.
//
// Every message is  magic "PBFT" | type u8 | fields | sig (u32-length bytes) | unsigned tail.
// The signature covers everything before it, so the signing body of a PRE-PREPARE, PREPARE,
// COMMIT or CHECKPOINT can be rebuilt from its fields alone: that is what lets a replica check
// the signatures inside a certificate (prepared certificate in a VIEW-CHANGE, commit
// certificate in a CATCHUP, checkpoint proof) without the original message. The only unsigned
// tail is a PRE-PREPARE's batch, which the signed digest binds.
#include <cstdint>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "consensus/protocol.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::consensus::pbft {

enum class MsgType : uint8_t {
  pre_prepare = 1,
  prepare = 2,
  commit = 3,
  checkpoint = 4,
  view_change = 5,
  new_view = 6,
  status = 7,        // periodic "where I am" that peers answer with what I miss (retransmission)
  catchup = 8,       // a committed batch with its commit certificate, for a replica that lags
  stable_proof = 9,  // a stable checkpoint's nf signatures, for a replica that lags
};

// Decoding limits. Lengths are also checked against the bytes that remain, so a hostile length
// never allocates more than the message itself.
inline constexpr size_t kMaxSig = 512;
inline constexpr size_t kMaxBatch = 64u << 20;
inline constexpr size_t kMaxReplicas = 1024;
inline constexpr size_t kMaxEntries = 1u << 16;
inline constexpr size_t kMaxViewChange = 1u << 30;

struct SigOf {  // one replica's signature inside a certificate
  NodeId id = 0;
  Bytes sig;
};

struct PrePrepare {
  View view = 0;
  Seq seq = 0;
  Hash32 digest{};
  Bytes sig;    // by primary_of(view) over the signing body (view, seq, digest)
  Bytes batch;  // unsigned tail; batch_digest(batch) must equal digest
};

struct Vote {  // PREPARE or COMMIT
  MsgType type = MsgType::prepare;
  View view = 0;
  Seq seq = 0;
  Hash32 digest{};
  NodeId replica = 0;
  Bytes sig;
};

struct Checkpoint {
  Seq seq = 0;
  Hash32 state{};
  NodeId replica = 0;
  Bytes sig;
};

// nf CHECKPOINT signatures on (seq, state). seq 0 is the genesis checkpoint and needs none.
struct CheckpointProof {
  Seq seq = 0;
  Hash32 state{};
  std::vector<SigOf> sigs;
};

// A pre-prepare plus 2f matching prepares from distinct backups: the batch prepared at seq.
// In a VIEW-CHANGE it names the batch by digest only (batch empty): with the batches, a
// VIEW-CHANGE weighed a window of batches and a NEW-VIEW nf of those, tens of megabytes at full
// load, over the frame limit. Replicas keep batch bytes by digest and pass them on by CATCHUP.
struct PreparedCert {
  View view = 0;
  Seq seq = 0;
  Hash32 digest{};
  Bytes batch;  // only in the journal's prepared record
  Bytes pp_sig;
  std::vector<SigOf> prepares;
};

struct ViewChange {
  View new_view = 0;
  NodeId replica = 0;
  CheckpointProof stable;
  std::vector<PreparedCert> prepared;  // the P-set: highest-view certificate per seq > stable
  Bytes sig;
  size_t signed_len = 0;
};

struct NewViewEntry {  // one pre-prepare of the O-set, signed by the new primary
  Seq seq = 0;
  Hash32 digest{};
  Bytes pp_sig;
};

struct NewView {
  View view = 0;
  std::vector<Bytes> view_changes;  // nf VIEW-CHANGE messages, each in its own wire form
  std::vector<NewViewEntry> entries;
  Bytes sig;  // by primary_of(view); any replica may relay a NEW-VIEW
  size_t signed_len = 0;
};

struct StatusMsg {
  View view = 0;
  bool in_view_change = false;
  View target = 0;
  Seq stable = 0;
  Seq last_executed = 0;
  NodeId replica = 0;
  Bytes sig;
  size_t signed_len = 0;
};

// A pre-prepare and nf matching commits from distinct replicas: the batch is committed.
struct CommitCert {
  View view = 0;
  Seq seq = 0;
  Hash32 digest{};
  Bytes pp_sig;
  std::vector<SigOf> commits;
  Bytes batch;
};

struct Catchup {
  NodeId replica = 0;  // the relaying replica
  CommitCert cert;
  Bytes sig;
  size_t signed_len = 0;
};

struct StableProof {
  NodeId replica = 0;  // the relaying replica
  CheckpointProof proof;
  Bytes sig;
  size_t signed_len = 0;
};

// Signing bodies of the messages whose signatures appear inside certificates.
Bytes pre_prepare_body(View v, Seq n, const Hash32& d);
Bytes vote_body(MsgType type, View v, Seq n, const Hash32& d, NodeId replica);
Bytes checkpoint_body(Seq n, const Hash32& state, NodeId replica);

// Encoders fill in the signature with `signer` (ignoring the struct's sig field), except
// encode_pre_prepare and encode_vote, which take the signature already made (the replica keeps
// its own signatures for certificates).
Bytes encode_pre_prepare(const PrePrepare& m);
Bytes encode_vote(const Vote& m);
Bytes encode_checkpoint(const Checkpoint& m);
Bytes encode_view_change(const ViewChange& m, const crypto::Signer& signer);
Bytes encode_new_view(const NewView& m, const crypto::Signer& signer);
Bytes encode_status(const StatusMsg& m, const crypto::Signer& signer);
Bytes encode_catchup(const Catchup& m, const crypto::Signer& signer);
Bytes encode_stable_proof(const StableProof& m, const crypto::Signer& signer);

// The type of a message (checks the magic); decoders check everything else, including finish().
Result<MsgType> peek_type(ByteView msg);
Result<PrePrepare> decode_pre_prepare(ByteView msg);
Result<Vote> decode_vote(ByteView msg);
Result<Checkpoint> decode_checkpoint(ByteView msg);
Result<ViewChange> decode_view_change(ByteView msg);
Result<NewView> decode_new_view(ByteView msg);
Result<StatusMsg> decode_status(ByteView msg);
Result<Catchup> decode_catchup(ByteView msg);
Result<StableProof> decode_stable_proof(ByteView msg);

}  // namespace rampart::consensus::pbft
