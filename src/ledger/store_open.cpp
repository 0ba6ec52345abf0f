// Store: opening (or creating) a ledger folder, and the checks and recovery open() runs on an
// existing one (store.hpp, class comment: finality and integrity).
#include "ledger/store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ledger/fail_stop.hpp"
#include "ledger/rocksdb_logger.hpp"
#include "ledger/store_layout.hpp"

namespace rampart::ledger {

using namespace store_layout;

namespace {
namespace fs = std::filesystem;
}  // namespace

Store::~Store() {
  if (db_) {
    for (auto* h : cfs_) db_->DestroyColumnFamilyHandle(h);
    cfs_.clear();
    db_->Close().PermitUncheckedError();
    db_.reset();
  }
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, ByteView cluster_config,
                                           const OpenOptions& opt) {
  std::unique_ptr<Store> s(new Store());
  s->path_ = path;
  s->read_only_ = opt.read_only;
  const std::string where = "ledger at " + path + ": ";

  std::error_code ec;
  bool exists = fs::exists(path, ec);
  if (ec) return err(where + "cannot stat: " + ec.message());
  bool is_new = !exists || (fs::is_directory(path, ec) && fs::is_empty(path, ec));
  if (is_new && (!opt.create_if_missing || opt.read_only)) return err(where + "no ledger there");
  if (exists && !fs::is_directory(path, ec)) return err(where + "not a directory");
  if (is_new) {
    fs::create_directories(path, ec);  // RocksDB creates only the last path component
    if (ec) return err(where + "cannot create: " + ec.message());
  }
  // A folder the replica may not write is not damaged: say what it is. (RocksDB's own error
  // would name whichever file it touched first.)
  if (!opt.read_only && ::access(path.c_str(), W_OK) != 0 && (errno == EROFS || errno == EACCES)) {
    return err(where + "the data folder is read-only (" + std::strerror(errno) +
               "); a replica must write to it: remount it read-write or fix its permissions");
  }

  rocksdb::Options options;
  options.create_if_missing = is_new;
  options.create_missing_column_families = is_new;
  options.error_if_exists = is_new;
  options.paranoid_checks = true;  // refuse damaged files rather than skip them
  options.info_log = make_rocksdb_logger();
  // A background error (a failed flush or compaction) stops writes; we do not let RocksDB
  // resume on its own behind our back: the store fails and the process restarts cleanly.
  options.max_bgerror_resume_count = 0;
  if (opt.fail_stop && !opt.read_only) options.listeners.push_back(make_fail_stop_listener(opt.fail_stop));
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const char* name : kCfNames) descs.emplace_back(name, rocksdb::ColumnFamilyOptions(options));

  rocksdb::DB* raw = nullptr;
  rocksdb::Status st = opt.read_only
                           ? rocksdb::DB::OpenForReadOnly(options, path, descs, &s->cfs_, &raw)
                           : rocksdb::DB::Open(options, path, descs, &s->cfs_, &raw);
  if (!st.ok()) {
    if (st.IsNoSpace()) return err(where + "disk full, cannot open: " + st.ToString());
    return err(where + (is_new ? "cannot create: " : "damaged or incomplete data folder, refusing to open: ") +
               st.ToString());
  }
  s->db_.reset(raw);

  if (is_new) {
    Block g = genesis_block(cluster_config);
    s->meta_.config_hash = config_digest(cluster_config);
    rocksdb::WriteBatch batch;
    batch.Put(s->cfs_[kBlocks], key_of(0), slice(encode_block(g)));
    batch.Put(s->cfs_[kBatches], key_of(0), slice(cluster_config));
    batch.Put(s->cfs_[kMeta], kMetaKey, slice(encode_metadata(s->meta_)));
    RAMPART_TRY(s->write(&batch, true));
    s->last_hash_ = block_hash(g);
    s->report_.created = true;
    return s;
  }
  if (auto chk = s->load_and_check(cluster_config, opt); !chk.ok()) {
    return err(where + chk.error().message);
  }
  return s;
}

// Everything open() checks on an existing folder; see the class comment in store.hpp.
Status Store::load_and_check(ByteView cluster_config, const OpenOptions& opt) {
  std::string v;
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  auto st = db_->Get(ro, cfs_[kMeta], kMetaKey, &v);
  if (st.IsNotFound()) return err("metadata record missing (not a Rampart ledger, or damaged)");
  if (!st.ok()) return err("cannot read metadata: " + st.ToString());
  auto meta = decode_metadata(view(v));
  if (!meta.ok()) return meta.error();
  meta_ = *meta;
  if (meta_.config_hash != config_digest(cluster_config)) {
    return err("created for another cluster configuration (config hash " +
               to_hex(ByteView(meta_.config_hash.data(), 8)) + "... differs from this config's)");
  }

  // Checkpoint and snapshot first: they decide which batches must be re-checked.
  st = db_->Get(ro, cfs_[kCheckpoint], kCheckpointKey, &v);
  if (st.ok()) {
    auto cp = decode_checkpoint(view(v));
    if (!cp.ok()) return cp.error();
    checkpoint_ = *cp;
    auto snap = snapshot_unlocked_check();
    if (!snap.ok()) return snap.error();
  } else if (!st.IsNotFound()) {
    return err("cannot read checkpoint: " + st.ToString());
  }
  uint64_t batches_from = checkpoint_ ? checkpoint_->k + 1 : 1;
  if (opt.check_all_batches) batches_from = 0;

  // Walk every block: dense keys from 0, each decodes, carries its own key, links to the one
  // before; final blocks are proven; batches above the checkpoint match their digests.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kBlocks]));
  uint64_t expect = 0;
  Block prev;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expect) {
    uint64_t key = 0;
    if (!key_to(it->key(), key)) return err("block column holds a malformed key");
    if (key != expect) return err("block " + num(expect) + " missing (next stored is " + num(key) + ")");
    auto b = decode_block(view(it->value()));
    if (!b.ok()) return err("block " + num(key) + ": " + b.error().message);
    if (b->k != key) return err("block stored under " + num(key) + " says it is block " + num(b->k));
    if (key == 0) {
      if (*b != genesis_block(cluster_config)) return err("block 0 is not this cluster's genesis block");
    } else {
      if (b->prev_hash != block_hash(prev)) return err("block " + num(key) + ": broken hash link to block " + num(key - 1));
      if (key <= meta_.last_final && !b->proven()) return err("final block " + num(key) + " has no proof of execution");
    }
    if (key >= batches_from || key == meta_.last_block) {
      std::string bv;
      auto bs = db_->Get(ro, cfs_[kBatches], key_of(key), &bv);
      if (bs.IsNotFound()) return err("batch of block " + num(key) + " missing");
      if (!bs.ok()) return err("cannot read batch " + num(key) + ": " + bs.ToString());
      Hash32 d = key == 0 ? config_digest(view(bv)) : batch_digest(view(bv));
      if (d != b->batch_digest) return err("block " + num(key) + ": stored batch does not match its digest");
    }
    prev = std::move(*b);
  }
  if (!it->status().ok()) return err("reading blocks failed: " + it->status().ToString());
  if (expect == 0) return err("genesis block missing");
  if (expect - 1 != meta_.last_block) {
    return err("metadata says last block is " + num(meta_.last_block) + " but blocks end at " + num(expect - 1));
  }
  last_hash_ = block_hash(prev);

  if (checkpoint_) {
    if (checkpoint_->k > meta_.last_final) return err("checkpoint " + num(checkpoint_->k) + " is above the last final block");
    auto cb = block_unlocked(checkpoint_->k);
    if (!cb.ok()) return cb.error();
    if (cb->state_digest != checkpoint_->state_digest || block_hash(*cb) != checkpoint_->head) {
      return err("checkpoint " + num(checkpoint_->k) + " state digest or head differs from its block's");
    }
  }

  if (meta_.last_block > meta_.last_final && !opt.read_only && !opt.keep_speculative) {
    // Proven blocks right above the last final one were proven (a client may hold their proof
    // of execution) but not yet marked final when the replica stopped: they are final, not
    // speculation. Keep them (their proofs checked first when opt.proof_ok is set); the replica
    // verifies their proofs again when it replays them.
    uint64_t p = meta_.last_final;
    while (p < meta_.last_block) {
      auto b = block_unlocked(p + 1);
      if (!b.ok() || !b->proven() || (opt.proof_ok && !opt.proof_ok(*b))) break;
      ++p;
    }
    if (p > meta_.last_final) {
      Metadata m = meta_;
      rocksdb::WriteBatch wbatch;
      if (auto f = finalize_in(p, &wbatch, m); !f.ok()) return f;
      if (auto w = write(&wbatch, true); !w.ok()) return w;
      report_.promoted_count = p - meta_.last_final;
      meta_ = m;
    }
  }
  report_.last_final = meta_.last_final;
  if (meta_.last_block > meta_.last_final) {
    report_.speculative_first = meta_.last_final + 1;
    report_.speculative_count = meta_.last_block - meta_.last_final;
    if (!opt.read_only && !opt.keep_speculative) {
      auto t = truncate_locked(meta_.last_final, true);
      if (!t.ok()) return err("discarding speculative blocks: " + t.error().message);
      report_.speculative_discarded = true;
    }
  }
  report_.last_block = meta_.last_block;
  return {};
}

Result<Snapshot> Store::snapshot_unlocked_check() const {
  std::string v;
  auto st = db_->Get(rocksdb::ReadOptions(), cfs_[kSnapshot], kSnapshotKey, &v);
  if (st.IsNotFound()) return err("checkpoint " + num(checkpoint_->k) + " has no state snapshot");
  if (!st.ok()) return err("cannot read snapshot: " + st.ToString());
  auto s = decode_snapshot(view(v));
  if (!s.ok()) return s.error();
  if (s->k != checkpoint_->k) return err("snapshot is at " + num(s->k) + ", checkpoint at " + num(checkpoint_->k));
  return s;
}

}  // namespace rampart::ledger
