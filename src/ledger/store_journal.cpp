// Store: the protocol's journal and the set-aside batches of dropped blocks, both kept in the
// metadata column apart from the chain.
#include "ledger/store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>
#include "ledger/store_layout.hpp"

namespace rampart::ledger {

using namespace store_layout;

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

}  // namespace rampart::ledger
