#pragma once
// RocksDB's diagnostic log, sent to the process log (spdlog) instead of a LOG file in the data
// folder: on a full disk RocksDB's own file logger reused a writer after a failed write and
// aborted the process on an assertion (writable_file_writer.h, sync_without_flush_called_).
#include <memory>

namespace rocksdb {
class Logger;
}

namespace rampart::ledger {

// Warnings and above, one line each: `event=rocksdb level=... msg="..."`.
std::shared_ptr<rocksdb::Logger> make_rocksdb_logger();

}  // namespace rampart::ledger
