#pragma once
// A replica's simulated disk, as its process keeps it in RocksDB: the protocol's journal and the
// batches of executed blocks. Writes are buffered until a sync that covers them completes (the
// world draws its latency); a crash loses whatever was not synced, as a process's unsynced
// write-ahead log would. Messages that must not leave before a write is durable wait for the
// generation request() returned (World::emit).
#include <cstdint>
#include <list>
#include <map>
#include <utility>
#include <variant>

#include "common/bytes.hpp"

namespace rampart::sim {

class SimDisk {
 public:
  using Seq = uint64_t;
  using JournalKey = std::pair<Seq, uint8_t>;

  // Durable state, what a restart reads.
  std::map<JournalKey, Bytes> journal;
  std::map<std::pair<Seq, Hash32>, Bytes> batches;  // (k, digest): an executed block's batch

  void put(JournalKey key, Bytes body) { ops_.push_back({next_, Put{key, std::move(body)}}); }
  void put_batch(Seq k, const Hash32& digest, Bytes batch) { ops_.push_back({next_, Batch{k, digest, std::move(batch)}}); }
  // Journal records with 0 < seq <= upto, and batches at or below it, are no longer needed.
  void prune(Seq upto) { ops_.push_back({next_, Prune{upto}}); }

  // A sync that will cover every write made so far; its generation.
  uint64_t request() { return next_++; }
  // The sync of generation gen completed: everything it covers is durable.
  void synced(uint64_t gen);
  uint64_t synced_gen() const { return synced_; }
  // Unsynced writes are lost.
  void crash() { ops_.clear(); }

 private:
  struct Put {
    JournalKey key;
    Bytes body;
  };
  struct Batch {
    Seq k;
    Hash32 digest;
    Bytes batch;
  };
  struct Prune {
    Seq upto;
  };
  struct Op {
    uint64_t gen;  // the first sync generation that covers it
    std::variant<Put, Batch, Prune> op;
  };
  std::list<Op> ops_;  // (a list: moves without throwing, so World can keep nodes in a vector)
  uint64_t next_ = 1;
  uint64_t synced_ = 0;
};

}  // namespace rampart::sim
