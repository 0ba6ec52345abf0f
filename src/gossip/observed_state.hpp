#pragma once
// The application state after an observer's last block, so that the observer can serve the
// wallet's verifiable reads (client/wallet_read.hpp) from its own copy of the ledger.
//
// It executes every block the observer verified and stored through the cluster's state machine
// (app registry) with the replicas' own executor (replica::Executor: the same dedup table and
// the same state digest), starting from genesis, and checks each block's state digest and
// results root against its own execution. The executor must see the app exactly as a replica's
// does: the replica process puts replica::PrincipalApp in front of it (the payload's key becomes
// the principal), so the caller passes that front in (`rampart observer` does; gossip does not
// depend on node). Why execute rather than fetch a snapshot: the blocks
// and their batches are already here and verified, so executing needs nobody's cooperation and
// trusts nobody, and it checks the replicas' execution on the way; docs/gossip.md, "Serving
// wallet reads", weighs the two.
//
// A block whose execution here does not reproduce its header (impossible with at most f faulty
// replicas and one deterministic state machine; a version mismatch would do it) stops the state
// at the block before: it is "diverged", and reads are refused from then on rather than proven
// against a state this observer cannot reproduce.
#include <functional>
#include <memory>
#include <string>

#include "app/state_machine.hpp"
#include "client/wallet_read.hpp"
#include "ledger/block.hpp"
#include "ledger/store.hpp"
#include "replica/executor.hpp"

namespace rampart::gossip {

class ObservedState {
 public:
  // What the executor runs, given the app: the app itself when empty.
  using Front = std::function<std::unique_ptr<app::StateMachine>(app::StateMachine& app)>;
  explicit ObservedState(std::unique_ptr<app::StateMachine> app, const Front& front = {});
  // The cluster's genesis client directory (cluster.toml `clients`; it must outlive this), before
  // anything executes: blocks of a cluster with brokers carry distilled batches, whose entries
  // name clients by id, and execution skips ids it does not know, so without the directory the
  // state would diverge at the first brokered block. Sign-ups after genesis come with the blocks.
  void set_directory(const broker::Directory* genesis) { exec_.set_directory(genesis); }

  // Executes the stored blocks last() + 1 .. store.last_block() (an observer that restarted), or
  // up to `upto` (a replica's final height: never its speculative blocks above it).
  Status replay(const ledger::Store& store);
  Status replay(const ledger::Store& store, uint64_t upto);
  // Executes block b (b.k == last() + 1) and checks its state digest and results root. An error
  // means the state diverged (or b is not the next block); the state stays at last().
  Status apply(const ledger::Block& b, ByteView batch);

  // Jumps to the state after block `at` from an executor snapshot of it (a replica's stored
  // checkpoint, which it certified or installed by state transfer): the snapshot must restore to
  // exactly `at`'s height and state digest, else nothing changes. This is how a replica that
  // joined by state transfer, whose ledger it never executed from genesis, keeps serving reads.
  Status restore(const ledger::Block& at, ByteView snapshot);

  uint64_t last() const { return last_.k; }
  bool diverged() const { return !divergence_.empty(); }
  const std::string& divergence() const { return divergence_; }
  // Whether the state can prove reads at all (the wallet; not a diverged state).
  bool serves_reads() const;

  // The answer to a read at the current state: a proof against block last(), or behind when
  // last() < r.min_k, or refused (not the wallet, diverged).
  client::ReadResponse answer(const client::ReadRequest& r) const;

 private:
  std::unique_ptr<app::StateMachine> sm_;     // the app: proofs are built from its state
  std::unique_ptr<app::StateMachine> front_;  // what the executor applies operations through, or null
  replica::Executor exec_;
  ledger::Block last_;  // the block the state is after (genesis: k 0, no proof)
  std::string divergence_;
};

}  // namespace rampart::gossip
