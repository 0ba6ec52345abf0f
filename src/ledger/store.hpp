#pragma once
// The replica's durable ledger in RocksDB: blocks, their batches, the last stable checkpoint
// with the application snapshot taken at it, and metadata (docs/ledger.md, "Storage").
//
// Finality. PoE executes before a batch is final, so blocks are first appended speculatively
// and become final once proven (their proof of execution is attached) — mark_final(k) — or
// covered by a stable checkpoint. Speculative blocks can be dropped with truncate_above(k) on
// a view change. On open, proven blocks right above the last final one become final (their
// proof exists, so a client may have accepted them; the replica stopped before marking them),
// and the unproven speculative blocks above them are discarded (default), so a
// restarted replica never serves state that the cluster may have rolled back; it rebuilds the
// application from the snapshot plus the final blocks' batches and catches up from its peers.
//
// Durability. Every mutation is one RocksDB WriteBatch (blocks, batches and metadata change
// together or not at all). With sync = true it is fsync'ed before the call returns: pass true
// for anything a client may be told about (a block before its reply is sent).
//
// Integrity. open() refuses a folder that is missing files, was created for another cluster,
// has another format version, or whose stored chain does not hold together, with an Error that
// says what is wrong; it never "repairs" by creating an empty ledger over a damaged one.
//
// Storage failures. A write, sync or flush that RocksDB refuses (disk full, I/O error) puts the
// store into a failed state for good: every later write is refused without touching RocksDB
// again (its writers must not be reused after an error), and the on_failure callback runs once,
// on the thread whose write failed. A replica instead fails stop at the error itself
// (OpenOptions::fail_stop, ledger/fail_stop.hpp). Nothing acknowledged is lost: only synced writes count, and
// a new process reopens the folder (RocksDB replays its log) once the disk has room again.
// RocksDB's own diagnostic log goes to the process log (warnings and errors), not to a LOG file
// in the data folder, whose failed writes on a full disk used to abort the process.
//
// Thread safety: every method may be called from any thread; writers are serialised.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "ledger/block.hpp"
#include "ledger/records.hpp"

namespace rocksdb {
class DB;
class Slice;
class Status;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace rampart::ledger {

// One record of the consensus protocol's journal (consensus::Env::journal_put): what the
// protocol signed or promised and must find again after a crash. Opaque to the store.
struct JournalEntry {
  uint64_t seq = 0;
  uint8_t kind = 0;
  Bytes body;
};

// The batch of a speculative block the ledger dropped (a rollback, or discarded on open), set
// aside until the journal is pruned past its height.
struct SetAsideBatch {
  uint64_t k = 0;
  Hash32 digest{};  // the dropped block's batch digest
  Bytes batch;
};

struct StorageFailure;

struct OpenOptions {
  // Create a new ledger (genesis block from the config) when `path` does not exist or is an
  // empty directory. A non-empty folder is never treated as new.
  bool create_if_missing = true;
  // Open without writing (offline verification, inspection; works next to a running replica).
  // Speculative blocks are then kept and reported, not discarded.
  bool read_only = false;
  // Keep speculative blocks found on open instead of discarding them (they stay speculative;
  // the caller must truncate or finalise them).
  bool keep_speculative = false;
  // Also recompute every stored batch's digest on open (reads all batches; the default checks
  // the header chain of every block and the batches of the blocks above the checkpoint).
  bool check_all_batches = false;
  // Proven blocks right above the last final one are made final at open (a client may hold
  // their proof). With this set, only while it accepts their proofs: a replica writes a
  // combined proof before its check comes back (replica/proofs.hpp), so a stored proof may be
  // bad; the first refused one and everything above it stay speculative (and are discarded
  // unless kept). Unset: every proof counts.
  std::function<bool(const Block&)> proof_ok;
  // Fail-stop (ledger/fail_stop.hpp): called on whatever thread a write, sync or flush of a
  // file fails, before RocksDB goes on; it must end the process. Replicas set it; without it a
  // failure is reported through on_failure() and the store refuses later writes.
  std::function<void(const StorageFailure&)> fail_stop;
};

struct OpenReport {
  bool created = false;
  uint64_t last_block = 0;
  uint64_t last_final = 0;
  // Speculative blocks found above the last final block: discarded unless kept (read_only or
  // keep_speculative). [first, first + count).
  uint64_t speculative_first = 0;
  uint64_t speculative_count = 0;
  bool speculative_discarded = false;
  // Proven blocks found right above the last final block, made final on open (not read_only,
  // not keep_speculative): their proof of execution exists, so a client may have accepted them.
  uint64_t promoted_count = 0;
};

struct StorageFailure {
  bool disk_full = false;  // ENOSPC; otherwise an I/O error
  std::string message;
};

class Store {
 public:
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Open (or create) the ledger in folder `path` for the cluster whose canonical configuration
  // bytes are `cluster_config`. See the class comment for what is checked.
  static Result<std::unique_ptr<Store>> open(const std::string& path, ByteView cluster_config,
                                             const OpenOptions& opt = {});

  const OpenReport& open_report() const { return report_; }
  const std::string& path() const { return path_; }
  Hash32 config_hash() const;
  uint64_t last_block() const;  // highest stored block (0 = only genesis)
  uint64_t last_final() const;  // highest final block
  Hash32 last_hash() const;     // block_hash of last_block()

  // Reads. An absent block is an Error; so is a stored value that fails to decode.
  Result<Block> block(uint64_t k) const;
  Result<Bytes> batch(uint64_t k) const;  // for k = 0: the cluster config bytes
  // Blocks [from, to] in order (state transfer, gossip, verification).
  Result<std::vector<Block>> blocks(uint64_t from, uint64_t to) const;
  std::optional<CheckpointRecord> checkpoint() const;
  Result<std::optional<Snapshot>> snapshot() const;

  // Writes. Each checks its preconditions and changes nothing on error.
  //
  // Append block k = last_block()+1 as final: it must be proven, link to the last block, match
  // its batch, and every earlier block must already be final (catch-up, PBFT-style commit).
  Status append_block(const Block& b, ByteView batch, bool sync = true);
  // Append block k = last_block()+1 as speculative (executed, maybe not yet proven).
  Status append_speculative(const Block& b, ByteView batch, bool sync = true);
  // Attach the proof of execution to stored block k (the header and hence hash are unchanged).
  // Callers verify the proof first (verify_proof in verify.hpp). A final block's proof is fixed.
  Status set_proof(uint64_t k, uint64_t view, ByteView proof, bool sync = true);
  // Make every block up to k final. Each must be proven. k <= last_final() is a no-op.
  Status mark_final(uint64_t k, bool sync = true);
  // Drop speculative blocks above k (view change). k < last_final() is refused: final blocks
  // are never rolled back. Their batches are set aside (set_aside_batches) in the same write.
  Status truncate_above(uint64_t k, bool sync = true);
  // Drop every block above k, final ones included, and the stored checkpoint (with its
  // snapshot) if it lies above k; always synced. Only for a replica whose final blocks lost to
  // the cluster's chain after a whole-cluster crash (replica/restart.hpp, ForkResolver): they
  // were never durable at n - f replicas, so no client accepted them.
  Status abandon_above(uint64_t k);
  // Record a stable checkpoint and the application snapshot at it, replacing the previous one.
  // Block c.k must be stored with state digest c.state_digest, c.k must not go backwards, and
  // every block up to c.k becomes final (so each must be proven).
  Status put_checkpoint(const CheckpointRecord& c, ByteView app_snapshot, bool sync = true);

  // The protocol's journal, kept in the metadata column under keys "j" | seq (big-endian) |
  // kind, apart from the chain (open() does not check it; the protocol checks what it reads).
  // Written without sync: Store::sync() makes records durable like everything else.
  Status journal_put(uint64_t seq, uint8_t kind, ByteView body);
  Status journal_prune(uint64_t upto);  // drops records with 0 < seq <= upto, and set-aside batches with k <= upto
  Result<std::vector<JournalEntry>> journal() const;  // ordered by (seq, kind)
  // Batches of dropped speculative blocks, kept under "r" | k (big-endian) | digest until
  // journal_prune passes k. A journal record may then name the batch of a block this replica
  // executed by digest instead of carrying it, even if the block was discarded on open
  // (PoE's certified entries: the batch is written once per slot, not twice).
  Result<std::vector<SetAsideBatch>> set_aside_batches() const;  // ordered by (k, digest)

  // Group commit: make every write so far durable with one fsync of the write-ahead log. A
  // replica executing many batches may append them with sync = false and call this once before
  // it sends the replies (an fsync costs milliseconds; see docs/ledger.md for measurements).
  // Thread-safe: may run on another thread while this one keeps writing; it covers every write
  // that returned before it was called.
  Status sync();
  // Flush memtables to SST files (tests, before a backup).
  Status flush();

  // Called once when the store fails (see the class comment); set it right after open().
  void on_failure(std::function<void(const StorageFailure&)> cb);
  std::optional<StorageFailure> failure() const;

 private:
  Store() = default;
  Status load_and_check(ByteView cluster_config, const OpenOptions& opt);
  Status append(const Block& b, ByteView batch, bool final, bool sync);
  // The helpers below expect mu_ held exclusively; void* is a rocksdb::WriteBatch*.
  Status finalize_in(uint64_t k, void* write_batch, Metadata& m);
  Status truncate_locked(uint64_t k, bool sync);
  Status write(void* write_batch, bool sync);
  Status check_writable() const;
  // Records a RocksDB error from a write, sync or flush as the store's failure.
  Status failed(const std::string& what, const rocksdb::Status& st);
  Result<Snapshot> snapshot_unlocked_check() const;
  Result<Block> block_unlocked(uint64_t k) const;
  Status scan_meta(char prefix, const std::function<bool(const rocksdb::Slice&, ByteView)>& take) const;

  std::string path_;
  OpenReport report_;
  bool read_only_ = false;
  mutable std::shared_mutex mu_;
  mutable std::mutex failure_mu_;  // guards the two below
  std::optional<StorageFailure> failure_;
  std::function<void(const StorageFailure&)> on_failure_;
  Metadata meta_;
  Hash32 last_hash_{};
  std::optional<CheckpointRecord> checkpoint_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;  // default(meta), blocks, batches, state, checkpoint
};

}  // namespace rampart::ledger
