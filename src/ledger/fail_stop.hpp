#pragma once
// Fail-stop on a storage write error, at the moment RocksDB sees it (a RocksDB EventListener's
// OnIOError, which runs before RocksDB marks the file writer as failed).
//
// Why not just return the error: a replica syncs its WAL on another thread (node/wal_syncer.hpp)
// while the event loop writes. When a WAL append fails (disk full), a SyncWAL already past our
// own failure check goes on to sync that same writer, and RocksDB builds that keep their asserts
// (Debian's) abort on "writer has previous error" (Process.FullDiskStopsTheReplicaCleanly... saw
// exit status 134). Ending the process on the error itself leaves no window: the replica stops
// as a crash would, and restarts from what it synced (nothing acknowledged was unsynced).
#include <functional>
#include <memory>

namespace rocksdb {
class EventListener;
}

namespace rampart::ledger {

struct StorageFailure;

// A listener that calls `stop` for every failed write, sync, flush, truncate or close of a file
// (reads and opens are left to the callers' statuses). `stop` must not return.
std::shared_ptr<rocksdb::EventListener> make_fail_stop_listener(std::function<void(const StorageFailure&)> stop);

}  // namespace rampart::ledger
