// Store: reads of the chain, its batches, the checkpoint and the snapshot (shared lock).
#include "ledger/store.hpp"

#include <rocksdb/db.h>

#include <memory>
#include <mutex>
#include "ledger/store_layout.hpp"

namespace rampart::ledger {

using namespace store_layout;

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

}  // namespace rampart::ledger
