// Store: the writes that move the chain (append, proofs, finality, truncation, checkpoints).
// Each checks its preconditions, then changes blocks, batches and metadata in one WriteBatch.
#include "ledger/store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <mutex>
#include "ledger/store_layout.hpp"

namespace rampart::ledger {

using namespace store_layout;

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

}  // namespace rampart::ledger
