#pragma once
// `rampart replica --serve-reads HOST:PORT`: the wallet's verifiable reads without a consensus
// round, from the replica itself (issue 18; observers do the same, gossip/read_server.hpp). A
// second copy of the app follows the replica's FINAL blocks (never its speculative ones) and
// answers a balance or ledger-page read with a proof against the latest final block's state
// root and that block's group signature, which the client checks itself: the replica is
// trusted for nothing, a lying one only gets its answer refused. Costs one more execution of
// every final block (~0.1 ms a block here) and a second copy of the wallet's state.
//
// Where the copy starts: from the replica's stored checkpoint (its snapshot is of a final,
// certified state), then the final blocks above it. A replica that installs a checkpoint by
// state transfer jumps its copy to that checkpoint the same way (at the next block that becomes
// final there: no hook into the replica core is needed), so it keeps serving reads at every
// later height instead of replaying (or missing) the blocks below it.
#include <asio.hpp>
#include <memory>

#include "common/config.hpp"
#include "common/result.hpp"
#include "gossip/config.hpp"
#include "gossip/observed_state.hpp"
#include "gossip/read_server.hpp"
#include "ledger/store.hpp"

namespace rampart::node {

class ReadEndpoint {
 public:
  // Restores the stored checkpoint, replays the final blocks above it, then listens; the bound
  // address (port 0: ephemeral). `genesis`: the replica's genesis client directory, or null
  // (ObservedState::set_directory).
  static Result<std::unique_ptr<ReadEndpoint>> open(asio::io_context& io, const ClusterConfig& cfg, const ledger::Store& store,
                                                    const gossip::Address& at, const broker::Directory* genesis = nullptr,
                                                    gossip::ReadServerOptions so = {});
  // Blocks (after, upto] became final: execute them and answer the reads waiting for them.
  void became_final(uint64_t after, uint64_t upto);
  uint64_t height() const { return state_->last(); }
  const gossip::Address& address() const { return at_; }

 private:
  ReadEndpoint(const ledger::Store& store, std::unique_ptr<gossip::ObservedState> state, gossip::Address at)
      : store_(store), state_(std::move(state)), at_(at) {}
  const ledger::Store& store_;
  std::unique_ptr<gossip::ObservedState> state_;
  std::unique_ptr<gossip::ReadServer> server_;
  gossip::Address at_;
  bool stopped_ = false;
  uint64_t tried_checkpoint_ = 0;  // the last checkpoint the copy tried to restore from

  // Moves the copy to the store's checkpoint when that is above it; false when it could not.
  bool catch_up_to_checkpoint();
};

}  // namespace rampart::node
