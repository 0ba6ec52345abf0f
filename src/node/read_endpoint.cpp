#include "node/read_endpoint.hpp"

#include <spdlog/spdlog.h>

#include "app/registry.hpp"
#include "replica/principal_app.hpp"

namespace rampart::node {

Result<std::unique_ptr<ReadEndpoint>> ReadEndpoint::open(asio::io_context& io, const ClusterConfig& cfg,
                                                          const ledger::Store& store, const gossip::Address& at) {
  if (cfg.app != "wallet") return err("--serve-reads: the cluster runs app '" + cfg.app + "'; only the wallet's reads are served");
  auto sm = app::make_app(cfg);
  if (!sm) return sm.error();
  // The replica's own front (replica/principal_app.hpp): the same execution, the same digests.
  auto state = std::make_unique<gossip::ObservedState>(
      std::move(*sm), [](app::StateMachine& app) { return std::make_unique<replica::PrincipalApp>(app); });
  std::unique_ptr<ReadEndpoint> e(new ReadEndpoint(store, std::move(state), at));
  e->became_final(0, store.last_final());
  e->server_ = std::make_unique<gossip::ReadServer>(io, *e->state_);
  auto port = e->server_->listen(at);
  if (!port) return port.error();
  e->at_.port = *port;
  return e;
}

void ReadEndpoint::became_final(uint64_t, uint64_t upto) {
  // From the block after the copy's own, whatever `after` says: a gap (blocks the ledger does
  // not hold, after a state transfer) stops it for good, at its last block; reads asking for a
  // later height then get "behind", never an answer from state it did not execute.
  if (!stopped_) {
    if (auto st = state_->replay(store_, upto); !st) {
      stopped_ = true;
      spdlog::error("event=reads_stopped why=\"{}\" (reads are answered at height {} from now on)", st.error().message,
                    state_->last());
    }
  }
  if (server_) server_->advanced();
}

}  // namespace rampart::node
