#pragma once
// Stable checkpoints into the ledger, sans-IO. A checkpoint is stored once three things meet,
// in whatever order they come: the protocol says it is stable (nf replicas vouched for the
// ledger head at k), its certificate arrived (Env::checkpoint_certified), and block k is final
// here with the executor snapshot we took when we executed it (CheckpointKeep). The record keeps
// the certificate, so a restart can resume from it as the stable checkpoint and peers can check
// it in state transfer. Storing it lets the ledger forget what lies below; the last two snapshots
// stay in memory for peers' state transfer.
//
// Checkpoints owns no socket, thread, clock or disk: it writes through LedgerStore and tells
// CheckpointHost; tests drive it with fakes (tests/replica/checkpoints_test.cpp).
#include <cstdint>
#include <optional>
#include <utility>

#include "common/bytes.hpp"
#include "consensus/protocol.hpp"
#include "replica/checkpoint_keep.hpp"
#include "replica/ledger_store.hpp"

namespace rampart::replica {

class CheckpointHost {
 public:
  virtual ~CheckpointHost() = default;
  virtual void checkpoint_stored(uint64_t k) = 0;  // the ledger's checkpoint is now k
};

class Checkpoints {
 public:
  Checkpoints(LedgerStore& store, CheckpointKeep& keep, CheckpointHost& host) : store_(store), keep_(keep), host_(host) {}

  void stable(uint64_t k, const Hash32& head);            // Env::checkpoint_stable (then try_store, once final)
  void certified(const consensus::CheckpointCert& cert);  // Env::checkpoint_certified
  void try_store();  // store the latest stable checkpoint if it is final here, kept and certified

  std::optional<std::pair<uint64_t, Hash32>> latest_stable() const { return stable_; }

 private:
  LedgerStore& store_;
  CheckpointKeep& keep_;
  CheckpointHost& host_;
  std::optional<std::pair<uint64_t, Hash32>> stable_;
};

}  // namespace rampart::replica
