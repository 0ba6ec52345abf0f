#pragma once
// fsync off the event loop. A replica writes a batch's proof to RocksDB without syncing, asks
// for a sync, and keeps serving; this thread runs Store::sync() (one fdatasync of the WAL, which
// covers every write made before it started) and reports the generation it covered. An fsync
// takes milliseconds to tens of milliseconds; done on the replica's only event-loop thread it
// stalled the whole pipeline (consensus messages, executions, other replies) once per batch.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "common/result.hpp"

namespace rampart::node {

class WalSyncer {
 public:
  // `sync` runs on the syncer thread; `done(gen, status)` too: post it to your own thread.
  WalSyncer(std::function<Status()> sync, std::function<void(uint64_t gen, Status)> done);
  ~WalSyncer();  // stops and joins
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // Asks for a sync covering everything written so far; returns its generation. Requests made
  // while a sync runs are served together by the next one.
  uint64_t request();
  void stop();

 private:
  void loop();

  std::function<Status()> sync_;
  std::function<void(uint64_t, Status)> done_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t requested_ = 0;
  uint64_t started_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rampart::node
