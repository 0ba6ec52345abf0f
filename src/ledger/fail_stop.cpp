#include "ledger/fail_stop.hpp"

#include <rocksdb/listener.h>

#include "ledger/store.hpp"

namespace rampart::ledger {
namespace {

class FailStop final : public rocksdb::EventListener {
 public:
  explicit FailStop(std::function<void(const StorageFailure&)> stop) : stop_(std::move(stop)) {}
  // Needed for OnIOError; the per-operation callbacks it also enables are no-ops.
  bool ShouldBeNotifiedOnFileIO() override { return true; }
  void OnIOError(const rocksdb::IOErrorInfo& info) override {
    using Op = rocksdb::FileOperationType;
    if (info.operation == Op::kRead || info.operation == Op::kOpen) return;
    StorageFailure f;
    f.disk_full = info.io_status.IsNoSpace();
    f.message = info.file_path + ": " + info.io_status.ToString();
    stop_(f);
  }

 private:
  std::function<void(const StorageFailure&)> stop_;
};

}  // namespace

std::shared_ptr<rocksdb::EventListener> make_fail_stop_listener(std::function<void(const StorageFailure&)> stop) {
  return std::make_shared<FailStop>(std::move(stop));
}

}  // namespace rampart::ledger
