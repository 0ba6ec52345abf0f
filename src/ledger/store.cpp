#include "ledger/store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "ledger/rocksdb_logger.hpp"

namespace rampart::ledger {
namespace {

namespace fs = std::filesystem;

// Column families, in the order of Store::cfs_.
enum Cf : size_t { kMeta = 0, kBlocks, kBatches, kSnapshot, kCheckpoint, kNumCf };
const char* const kCfNames[kNumCf] = {"default", "blocks", "batches",
                                      "snapshot", "checkpoint"};
const char kMetaKey[] = "meta";
const char kJournalPrefix = 'j';  // journal keys in the metadata column: 'j' | seq u64 BE | kind u8

std::string journal_key(uint64_t seq, uint8_t kind, bool with_kind = true);
const char kSetAsidePrefix = 'r';  // set-aside batches, metadata column: 'r' | k u64 BE | digest
const char kCheckpointKey[] = "last";
const char kSnapshotKey[] = "last";

// Big-endian keys so RocksDB's byte order is numeric order (iteration walks the chain).
std::string key_of(uint64_t k) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(k >> (56 - 8 * i));
  return s;
}
bool key_to(const rocksdb::Slice& s, uint64_t& k) {
  if (s.size() != 8) return false;
  k = 0;
  for (int i = 0; i < 8; ++i) k = (k << 8) | static_cast<uint8_t>(s[i]);
  return true;
}

std::string journal_key(uint64_t seq, uint8_t kind, bool with_kind) {
  std::string k(1, kJournalPrefix);
  k += key_of(seq);
  if (with_kind) k.push_back(static_cast<char>(kind));
  return k;
}

rocksdb::Slice slice(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
ByteView view(const std::string& s) { return as_bytes(s); }
ByteView view(const rocksdb::Slice& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

std::string num(uint64_t k) { return std::to_string(k); }

rocksdb::WriteBatch& wb(void* p) { return *static_cast<rocksdb::WriteBatch*>(p); }

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
    // speculation. Keep them; the replica verifies their proofs when it replays them.
    uint64_t p = meta_.last_final;
    while (p < meta_.last_block) {
      auto b = block_unlocked(p + 1);
      if (!b.ok() || !b->proven()) break;
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

Hash32 Store::config_hash() const {
  std::shared_lock l(mu_);
  return meta_.config_hash;
}
uint64_t Store::last_block() const {
  std::shared_lock l(mu_);
  return meta_.last_block;
}
uint64_t Store::last_final() const {
  std::shared_lock l(mu_);
  return meta_.last_final;
}
Hash32 Store::last_hash() const {
  std::shared_lock l(mu_);
  return last_hash_;
}

Result<Block> Store::block_unlocked(uint64_t k) const {
  std::string v;
  auto st = db_->Get(rocksdb::ReadOptions(), cfs_[kBlocks], key_of(k), &v);
  if (st.IsNotFound()) return err("block " + num(k) + " not stored");
  if (!st.ok()) return err("cannot read block " + num(k) + ": " + st.ToString());
  auto b = decode_block(view(v));
  if (!b.ok()) return err("block " + num(k) + ": " + b.error().message);
  if (b->k != k) return err("block stored under " + num(k) + " says it is block " + num(b->k));
  return b;
}

Result<Block> Store::block(uint64_t k) const {
  std::shared_lock l(mu_);
  return block_unlocked(k);
}

Result<Bytes> Store::batch(uint64_t k) const {
  std::shared_lock l(mu_);
  std::string v;
  auto st = db_->Get(rocksdb::ReadOptions(), cfs_[kBatches], key_of(k), &v);
  if (st.IsNotFound()) return err("batch " + num(k) + " not stored");
  if (!st.ok()) return err("cannot read batch " + num(k) + ": " + st.ToString());
  return Bytes(v.begin(), v.end());
}

Result<std::vector<Block>> Store::blocks(uint64_t from, uint64_t to) const {
  std::shared_lock l(mu_);
  std::vector<Block> out;
  if (from > to) return out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_[kBlocks]));
  uint64_t expect = from;
  for (it->Seek(key_of(from)); it->Valid() && expect <= to; it->Next(), ++expect) {
    uint64_t key = 0;
    if (!key_to(it->key(), key) || key != expect) return err("block " + num(expect) + " not stored");
    auto b = decode_block(view(it->value()));
    if (!b.ok()) return err("block " + num(key) + ": " + b.error().message);
    if (b->k != key) return err("block stored under " + num(key) + " says it is block " + num(b->k));
    out.push_back(std::move(*b));
    if (expect == to) break;
  }
  if (!it->status().ok()) return err("reading blocks failed: " + it->status().ToString());
  if (out.size() != to - from + 1) return err("block " + num(from + out.size()) + " not stored");
  return out;
}

std::optional<CheckpointRecord> Store::checkpoint() const {
  std::shared_lock l(mu_);
  return checkpoint_;
}

Result<std::optional<Snapshot>> Store::snapshot() const {
  std::shared_lock l(mu_);
  if (!checkpoint_) return std::optional<Snapshot>();
  auto s = snapshot_unlocked_check();
  if (!s.ok()) return s.error();
  return std::optional<Snapshot>(std::move(*s));
}

Status Store::check_writable() const {
  if (read_only_) return err("ledger at " + path_ + " was opened read-only");
  return {};
}

void Store::on_failure(std::function<void(const StorageFailure&)> cb) {
  std::lock_guard<std::mutex> l(failure_mu_);
  on_failure_ = std::move(cb);
}

std::optional<StorageFailure> Store::failure() const {
  std::lock_guard<std::mutex> l(failure_mu_);
  return failure_;
}

Status Store::failed(const std::string& what, const rocksdb::Status& st) {
  StorageFailure f;
  f.disk_full = st.IsNoSpace();
  f.message = "ledger at " + path_ + ": " + what + " failed: " + st.ToString();
  std::function<void(const StorageFailure&)> cb;
  {
    std::lock_guard<std::mutex> l(failure_mu_);
    if (failure_) return err(f.message);  // reported once, by the first failure
    failure_ = f;
    cb = on_failure_;
  }
  if (cb) cb(f);
  return err(f.message);
}

Status Store::write(void* batch, bool sync) {
  if (auto f = failure()) return err("ledger at " + path_ + ": no writes after a storage failure (" + f->message + ")");
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto st = db_->Write(wo, &wb(batch));
  if (!st.ok()) return failed("write", st);
  return {};
}

Status Store::append(const Block& b, ByteView batch, bool final, bool sync) {
  RAMPART_TRY(check_writable());
  std::unique_lock l(mu_);
  Block prev;
  {
    auto p = block_unlocked(meta_.last_block);
    if (!p.ok()) return p.error();
    prev = std::move(*p);
  }
  if (b.k != meta_.last_block + 1) {
    return err("block " + num(b.k) + ": cannot append, the ledger ends at " + num(meta_.last_block));
  }
  RAMPART_TRY(check_link(prev, b, batch));
  if (b.proof.size() > kMaxProofBytes) return err("block " + num(b.k) + ": proof too large");
  if (final) {
    if (!b.proven()) return err("block " + num(b.k) + ": a final block needs its proof of execution");
    if (meta_.last_final != meta_.last_block) {
      return err("block " + num(b.k) + ": cannot append final while blocks " + num(meta_.last_final + 1) +
                 ".." + num(meta_.last_block) + " are speculative");
    }
  }
  Metadata m = meta_;
  m.last_block = b.k;
  if (final) m.last_final = b.k;
  // Sized up front: growing the batch's buffer by doubling copied a large batch ~10 times
  // into fresh (page-faulting) memory.
  rocksdb::WriteBatch wbatch(batch.size() + 1024);
  wbatch.Put(cfs_[kBlocks], key_of(b.k), slice(encode_block(b)));
  wbatch.Put(cfs_[kBatches], key_of(b.k), slice(batch));
  wbatch.Put(cfs_[kMeta], kMetaKey, slice(encode_metadata(m)));
  RAMPART_TRY(write(&wbatch, sync));
  meta_ = m;
  last_hash_ = block_hash(b);
  return {};
}

Status Store::append_block(const Block& b, ByteView batch, bool sync) { return append(b, batch, true, sync); }

Status Store::append_speculative(const Block& b, ByteView batch, bool sync) {
  return append(b, batch, false, sync);
}

Status Store::set_proof(uint64_t k, uint64_t view, ByteView proof, bool sync) {
  RAMPART_TRY(check_writable());
  std::unique_lock l(mu_);
  if (k == 0) return err("block 0 (genesis) carries no proof");
  if (proof.empty() || proof.size() > kMaxProofBytes) return err("block " + num(k) + ": bad proof size");
  auto b = block_unlocked(k);
  if (!b.ok()) return b.error();
  if (b->view == view && b->proof.size() == proof.size() && std::equal(proof.begin(), proof.end(), b->proof.begin()))
    return {};
  if (k <= meta_.last_final) return err("block " + num(k) + " is final; its proof cannot change");
  b->view = view;
  b->proof.assign(proof.begin(), proof.end());
  rocksdb::WriteBatch wbatch;
  wbatch.Put(cfs_[kBlocks], key_of(k), slice(encode_block(*b)));
  return write(&wbatch, sync);
}

// Adds to the write batch what makes blocks (last_final, k] final; checks they are proven.
Status Store::finalize_in(uint64_t k, void* batch, Metadata& m) {
  if (k > m.last_block) return err("cannot make block " + num(k) + " final: the ledger ends at " + num(m.last_block));
  for (uint64_t j = m.last_final + 1; j <= k; ++j) {
    auto b = block_unlocked(j);
    if (!b.ok()) return b.error();
    if (!b->proven()) return err("block " + num(j) + " cannot become final: it has no proof of execution");
  }
  if (k > m.last_final) {
    m.last_final = k;
    wb(batch).Put(cfs_[kMeta], kMetaKey, slice(encode_metadata(m)));
  }
  return {};
}

Status Store::mark_final(uint64_t k, bool sync) {
  RAMPART_TRY(check_writable());
  std::unique_lock l(mu_);
  if (k <= meta_.last_final) return {};
  Metadata m = meta_;
  rocksdb::WriteBatch wbatch;
  RAMPART_TRY(finalize_in(k, &wbatch, m));
  RAMPART_TRY(write(&wbatch, sync));
  meta_ = m;
  return {};
}

Status Store::truncate_above(uint64_t k, bool sync) {
  RAMPART_TRY(check_writable());
  std::unique_lock l(mu_);
  return truncate_locked(k, sync);
}

Status Store::truncate_locked(uint64_t k, bool sync) {
  if (k < meta_.last_final) {
    return err("cannot truncate to " + num(k) + ": blocks up to " + num(meta_.last_final) + " are final");
  }
  if (k >= meta_.last_block) return {};
  auto kb = block_unlocked(k);
  if (!kb.ok()) return kb.error();
  Metadata m = meta_;
  m.last_block = k;
  rocksdb::WriteBatch wbatch;
  // The dropped batches move aside in the same write (journal records may name them).
  for (uint64_t j = k + 1; j <= meta_.last_block; ++j) {
    auto b = block_unlocked(j);
    if (!b.ok()) return b.error();
    std::string v;
    auto st = db_->Get(rocksdb::ReadOptions(), cfs_[kBatches], key_of(j), &v);
    if (!st.ok()) return err("cannot read batch " + num(j) + ": " + st.ToString());
    std::string key = std::string(1, kSetAsidePrefix) + key_of(j);
    key.append(reinterpret_cast<const char*>(b->batch_digest.data()), b->batch_digest.size());
    wbatch.Put(cfs_[kMeta], key, v);
  }
  // Range deletes cover exactly (k, old last]; the metadata moves in the same atomic write.
  wbatch.DeleteRange(cfs_[kBlocks], key_of(k + 1), key_of(meta_.last_block + 1));
  wbatch.DeleteRange(cfs_[kBatches], key_of(k + 1), key_of(meta_.last_block + 1));
  wbatch.Put(cfs_[kMeta], kMetaKey, slice(encode_metadata(m)));
  RAMPART_TRY(write(&wbatch, sync));
  meta_ = m;
  last_hash_ = block_hash(*kb);
  return {};
}

Status Store::abandon_above(uint64_t k) {
  RAMPART_TRY(check_writable());
  std::unique_lock l(mu_);
  if (k >= meta_.last_block) return {};
  auto kb = block_unlocked(k);
  if (!kb.ok()) return kb.error();
  Metadata m = meta_;
  m.last_block = k;
  m.last_final = std::min(m.last_final, k);
  rocksdb::WriteBatch wbatch;
  wbatch.DeleteRange(cfs_[kBlocks], key_of(k + 1), key_of(meta_.last_block + 1));
  wbatch.DeleteRange(cfs_[kBatches], key_of(k + 1), key_of(meta_.last_block + 1));
  bool drop_checkpoint = checkpoint_ && checkpoint_->k > k;
  if (drop_checkpoint) {
    wbatch.Delete(cfs_[kCheckpoint], kCheckpointKey);
    wbatch.Delete(cfs_[kSnapshot], kSnapshotKey);
  }
  wbatch.Put(cfs_[kMeta], kMetaKey, slice(encode_metadata(m)));
  RAMPART_TRY(write(&wbatch, true));
  meta_ = m;
  last_hash_ = block_hash(*kb);
  if (drop_checkpoint) checkpoint_.reset();
  return {};
}

Status Store::journal_put(uint64_t seq, uint8_t kind, ByteView body) {
  RAMPART_TRY(check_writable());
  rocksdb::WriteBatch wbatch;
  wbatch.Put(cfs_[kMeta], journal_key(seq, kind), slice(body));
  return write(&wbatch, false);
}

Status Store::journal_prune(uint64_t upto) {
  RAMPART_TRY(check_writable());
  if (upto == 0) return {};
  rocksdb::WriteBatch wbatch;
  wbatch.DeleteRange(cfs_[kMeta], journal_key(1, 0, false), journal_key(upto + 1, 0, false));
  wbatch.DeleteRange(cfs_[kMeta], std::string(1, kSetAsidePrefix) + key_of(1),
                     std::string(1, kSetAsidePrefix) + key_of(upto + 1));
  return write(&wbatch, false);
}

// Every (key, value) in the metadata column whose key starts with `prefix`, in key order;
// `take` returns false for a malformed key.
Status Store::scan_meta(char prefix, const std::function<bool(const rocksdb::Slice&, ByteView)>& take) const {
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cfs_[kMeta]));
  const std::string first(1, prefix);
  for (it->Seek(first); it->Valid() && it->key().starts_with(first); it->Next()) {
    if (!take(it->key(), view(it->value()))) return err("ledger at " + path_ + ": malformed key in '" + first + "' records");
  }
  if (!it->status().ok()) return err("ledger at " + path_ + ": reading '" + first + "' records failed: " + it->status().ToString());
  return {};
}

Result<std::vector<SetAsideBatch>> Store::set_aside_batches() const {
  std::vector<SetAsideBatch> out;
  RAMPART_TRY(scan_meta(kSetAsidePrefix, [&](const rocksdb::Slice& k, ByteView v) {
    SetAsideBatch b;
    if (k.size() != 1 + 8 + b.digest.size() || !key_to(rocksdb::Slice(k.data() + 1, 8), b.k)) return false;
    std::copy_n(reinterpret_cast<const uint8_t*>(k.data()) + 9, b.digest.size(), b.digest.begin());
    b.batch.assign(v.begin(), v.end());
    out.push_back(std::move(b));
    return true;
  }));
  return out;
}

Result<std::vector<JournalEntry>> Store::journal() const {
  std::vector<JournalEntry> out;
  RAMPART_TRY(scan_meta(kJournalPrefix, [&](const rocksdb::Slice& k, ByteView v) {
    uint64_t seq = 0;
    if (k.size() != 10 || !key_to(rocksdb::Slice(k.data() + 1, 8), seq)) return false;
    out.push_back({seq, static_cast<uint8_t>(k[9]), Bytes(v.begin(), v.end())});
    return true;
  }));
  return out;
}

Status Store::put_checkpoint(const CheckpointRecord& c, ByteView app_snapshot, bool sync) {
  RAMPART_TRY(check_writable());
  std::unique_lock l(mu_);
  if (checkpoint_ && c.k < checkpoint_->k) {
    return err("checkpoint " + num(c.k) + " is older than the stored one at " + num(checkpoint_->k));
  }
  if (c.signatures.size() > kMaxCheckpointSigs) return err("checkpoint has too many signatures");
  auto b = block_unlocked(c.k);
  if (!b.ok()) return err("checkpoint " + num(c.k) + ": " + b.error().message);
  if (b->state_digest != c.state_digest || block_hash(*b) != c.head) {
    return err("checkpoint " + num(c.k) + ": state digest or head differs from block " + num(c.k) + "'s");
  }
  Metadata m = meta_;
  rocksdb::WriteBatch wbatch;
  RAMPART_TRY(finalize_in(c.k, &wbatch, m));
  Snapshot s{c.k, Bytes(app_snapshot.begin(), app_snapshot.end())};
  wbatch.Put(cfs_[kCheckpoint], kCheckpointKey, slice(encode_checkpoint(c)));
  wbatch.Put(cfs_[kSnapshot], kSnapshotKey, slice(encode_snapshot(s)));
  RAMPART_TRY(write(&wbatch, sync));
  meta_ = m;
  checkpoint_ = c;
  return {};
}

Status Store::sync() {
  if (read_only_) return {};
  // No lock: RocksDB's SyncWAL is safe alongside writes, and a replica calls this from its
  // syncer thread while the event loop keeps reading and writing (node/wal_syncer.hpp).
  if (auto f = failure()) return err("ledger at " + path_ + ": no sync after a storage failure (" + f->message + ")");
  auto st = db_->SyncWAL();
  if (!st.ok()) return failed("sync", st);
  return {};
}

Status Store::flush() {
  if (read_only_) return {};
  std::unique_lock l(mu_);
  rocksdb::FlushOptions fo;
  fo.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> hs(cfs_.begin(), cfs_.end());
  if (auto f = failure()) return err("ledger at " + path_ + ": no flush after a storage failure (" + f->message + ")");
  auto st = db_->Flush(fo, hs);
  if (!st.ok()) return failed("flush", st);
  return {};
}

}  // namespace rampart::ledger
