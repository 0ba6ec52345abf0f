// Store: getting writes to disk (the one write path, group-commit sync, flush) and the failed
// state a refused write, sync or flush leaves the store in for good (store.hpp, "Storage failures").
#include "ledger/store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <mutex>
#include "ledger/store_layout.hpp"

namespace rampart::ledger {

using namespace store_layout;

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
