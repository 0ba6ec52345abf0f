#pragma once
// PBFT's durable journal: what a replica signed or promised, stored through Env::journal_put
// before the message that depends on it is sent, and handed back after a crash in
// RestartPoint::journal. See docs/protocols-pbft.md ("Durable journal").
//
// Records, keyed (seq, kind) as the Env stores them:
//   (0, view)      the view installed and, in a view change, its target: the promise of a
//                  VIEW-CHANGE (no part in lower views) and the view whose votes follow
//   (0, stable)    the stable checkpoint proof the journal is pruned to (nf signatures)
//   (n, vote)      the PRE-PREPARE (primary) or PREPARE (backup) signed for (view, n, digest),
//                  with the batch when the replica holds it: a batch f + 1 correct replicas
//                  prepared survives a whole-cluster crash, so a NEW-VIEW that re-proposes it
//                  by digest finds the bytes (sim pbft f=1 seed 361197688)
//   (n, prepared)  the prepared certificate of n (highest view): pre-prepare signature, 2f
//                  prepares and the batch; it goes into every VIEW-CHANGE while n is in the window
//   (0, new_view)  the NEW-VIEW that installed the view of the view record: a replica back
//                  from a whole-cluster crash relays it to one still asking for that view
//
// Body: version u8 | fields | check u64 [| batch]. `check` is the first 8 bytes of a BLAKE3
// (derive-key mode) over seq, kind and the bytes before it, so a damaged or misfiled record is
// refused; a vote or prepared record's batch follows the check (it is bound by the signed digest,
// which verify_prepared checks on restore, so it is not hashed twice on the hot path).
// Decoding is bounds-checked (common/codec.hpp) and strict (finish()); a record that does not
// decode is counted and ignored, never trusted.
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "consensus/pbft/messages.hpp"
#include "consensus/journal_record.hpp"
#include "consensus/protocol.hpp"

namespace rampart::consensus::pbft {

enum class JournalKind : uint8_t { view = 1, stable = 2, vote = 3, prepared = 4, new_view = 5 };

using ViewRecord = journal::ViewRecord;

struct VoteRecord {  // this replica signed (view, seq, digest) as pre-prepare or prepare
  View view = 0;
  Hash32 digest{};
  bool operator==(const VoteRecord&) const = default;
};

Bytes encode_view_record(const ViewRecord& r);
Bytes encode_stable_record(const CheckpointProof& p);
struct JournaledVote {  // a vote record read back
  VoteRecord vote;
  Bytes batch;  // empty for the null request or a vote by digest (the bytes never arrived)
};

Bytes encode_vote_record(Seq n, const VoteRecord& r, ByteView batch = {});
// The batch is written once, straight from the caller's buffer (a batch is ~220 KB).
Bytes encode_prepared_record(Seq n, View v, const Hash32& d, ByteView pp_sig,
                             const std::vector<SigOf>& prepares, ByteView batch);

Result<ViewRecord> decode_view_record(ByteView body);
Result<CheckpointProof> decode_stable_record(ByteView body);
Result<JournaledVote> decode_vote_record(Seq n, ByteView body);
Result<PreparedCert> decode_prepared_record(Seq n, ByteView body);
Bytes encode_new_view_record(ByteView new_view_wire);
Result<Bytes> decode_new_view_record(ByteView body);  // the NEW-VIEW's wire bytes

// A RestartPoint's journal, decoded. Nothing in it is verified beyond its check: the replica
// verifies certificates and proofs before use.
struct DecodedJournal {
  std::optional<ViewRecord> view;
  std::optional<CheckpointProof> stable;
  std::map<Seq, JournaledVote> votes;
  std::map<Seq, PreparedCert> prepared;
  std::optional<Bytes> new_view;  // wire bytes, not checked beyond the record's check
  size_t ignored = 0;  // records that did not decode: unknown kind, wrong key, bad check, malformed
};
DecodedJournal decode_journal(const std::vector<JournalRecord>& records);

}  // namespace rampart::consensus::pbft
