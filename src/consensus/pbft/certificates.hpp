#pragma once
// Checks of the self-certifying pieces PBFT passes around (checkpoint proofs, prepared and
// commit certificates, VIEW-CHANGE messages) and the deterministic computation of a new view's
// O-set from nf VIEW-CHANGEs. Pure functions: the new primary and every backup run the same
// code on the same VIEW-CHANGEs, which is how a backup checks a NEW-VIEW.
#include <vector>

#include "consensus/pbft/messages.hpp"

namespace rampart::consensus::pbft {

// nf distinct replicas signed CHECKPOINT(seq, state); seq 0 (genesis) needs no signatures.
bool verify_checkpoint_proof(const Config& cfg, const crypto::Verifier& v, const CheckpointProof& p);
// Pre-prepare by primary_of(view) and 2f matching prepares from distinct backups (the batch,
// named by the digest, is not checked here).
bool verify_prepared(const Config& cfg, const crypto::Verifier& v, const PreparedCert& c);
// Pre-prepare by primary_of(view) and nf matching commits from distinct replicas.
bool verify_commit_cert(const Config& cfg, const crypto::Verifier& v, const CommitCert& c);

// Fully checks a decoded VIEW-CHANGE (`wire` is its encoding): signature of its sender,
// checkpoint proof, every prepared certificate (view below the new view, seq inside the
// sender's window, one per seq).
Status check_view_change(const Config& cfg, const crypto::Verifier& v, const ViewChange& m,
                         ByteView wire);

struct PlannedSlot {
  Seq seq = 0;
  Hash32 digest{};  // null_digest() for a null request; the batch is found by digest
};

struct NewViewPlan {
  CheckpointProof stable;            // the highest stable checkpoint among the VIEW-CHANGEs (min-s)
  Seq max_seq = 0;                   // max-s: the highest prepared seq, or min-s if none
  std::vector<PlannedSlot> entries;  // every seq in (min-s, max-s], in order
};

// The O-set: for each seq in (min-s, max-s] the batch of the highest-view prepared certificate
// among the VIEW-CHANGEs, or the null request if none prepared it. `vcs` must be checked.
NewViewPlan compute_new_view(const std::vector<ViewChange>& vcs);

}  // namespace rampart::consensus::pbft
