#pragma once
// PoE's durable journal: what a replica signed or promised, stored through Env::journal_put
// before the message that depends on it is handed to the Env, and given back after a crash in
// RestartPoint::journal. See docs/protocols.md ("Durable journal").
//
// Records, keyed (seq, kind) as the Env stores them:
//   (0, view)       the view promise: the last view installed and, in a view change, the view
//                   asked for (no part in lower views after a restart)
//   (0, stable)     the stable checkpoint the journal was pruned to, with its nf signatures
//   (k, support)    the (view, digest) this replica signed at k: a backup's SUPPORT or the
//                   primary's own PROPOSE (never another digest at that (view, k))
//   (k, certified)  the CommittedEntry a VC-REQUEST reports for k: view, digest, certificate,
//                   and the batch unless the replica executes k at once (the highest view's
//                   replaces a lower one)
//   (0, new_view)   the NV-PROPOSE that installed the view of the view record: a restarted
//                   replica re-enters that view with the very history it had (restore_journal)
//
// Body: version u8 | fields | check u64 [| batch]. `check` is the first 8 bytes of a BLAKE3
// (derive-key mode) over seq, kind and the bytes before it, so a damaged or misfiled record is
// refused. A certified record ends its fields with a flag (u8: 1 = the batch follows the
// check, 0 = it does not). The batch is bound by the certified digest, which the replica checks
// (with the certificate) on restore, so a ~220 KB batch is not hashed twice on the hot path.
// Without it, the batch is the one the replica's ledger stored when it executed k (a block, or
// a dropped speculative block's batch set aside until the journal is pruned past k:
// RestartPoint::batches): written once per slot instead of twice. Decoding is bounds-checked
// (common/codec.hpp) and strict (finish()); a record that does not decode is counted and
// ignored, never trusted.
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "consensus/poe/messages.hpp"
#include "consensus/journal_record.hpp"
#include "consensus/protocol.hpp"

namespace rampart::consensus::poe {

enum class JournalKind : uint8_t { view = 1, stable = 2, support = 3, certified = 4, new_view = 5 };

using ViewRecord = journal::ViewRecord;

struct SupportRecord {  // this replica signed support_statement(view, k, digest)
  View view = 0;
  Hash32 digest{};
  bool operator==(const SupportRecord&) const = default;
};

struct StableRecord {
  Seq k = 0;
  View v = 0;
  Hash32 head{};
  std::vector<SigEntry> proof;
};

Bytes encode_view_record(const ViewRecord& r);
Bytes encode_stable_record(const StableRecord& s);
Bytes encode_support_record(Seq k, const SupportRecord& r);
struct CertifiedRecord {
  CommittedEntry entry;
  bool with_batch = true;  // false: entry.batch is empty; the ledger holds the batch
};

// The NV-PROPOSE's wire bytes, checked on restore like a received one.
Bytes encode_new_view_record(ByteView nv_wire);
Result<Bytes> decode_new_view_record(ByteView body);

// Keyed by e.k. The batch is appended once, straight from e.batch, or left out.
Bytes encode_certified_record(const CommittedEntry& e, bool with_batch = true);

// `l` bounds signature sizes, signature counts and the batch, as for wire messages.
Result<ViewRecord> decode_view_record(ByteView body);
Result<StableRecord> decode_stable_record(ByteView body, const Limits& l);
Result<SupportRecord> decode_support_record(Seq k, ByteView body);
Result<CertifiedRecord> decode_certified_record(Seq k, ByteView body, const Limits& l);

// A RestartPoint's journal, decoded. Nothing in it is verified beyond its check: the replica
// verifies certificates, batch digests and checkpoint proofs before use.
struct DecodedJournal {
  std::optional<ViewRecord> view;
  std::optional<StableRecord> stable;
  std::optional<Bytes> new_view;  // NV-PROPOSE wire bytes, not checked beyond the record's check
  std::map<Seq, SupportRecord> supports;
  std::map<Seq, CertifiedRecord> certified;
  size_t ignored = 0;  // records that did not decode: unknown kind, wrong key, bad check, malformed
};
DecodedJournal decode_journal(const std::vector<JournalRecord>& records, const Limits& l);

}  // namespace rampart::consensus::poe
