#include "node/read_endpoint.hpp"

#include <spdlog/spdlog.h>

#include "app/registry.hpp"
#include "replica/principal_app.hpp"

namespace rampart::node {

Result<std::unique_ptr<ReadEndpoint>> ReadEndpoint::open(asio::io_context& io, const ClusterConfig& cfg,
                                                          const ledger::Store& store, const gossip::Address& at,
                                                          const broker::Directory* genesis, gossip::ReadServerOptions so) {
  if (cfg.app != "wallet") return err("--serve-reads: the cluster runs app '" + cfg.app + "'; only the wallet's reads are served");
  auto sm = app::make_app(cfg);
  if (!sm) return sm.error();
  // The replica's own front (replica/principal_app.hpp): the same execution, the same digests.
  auto state = std::make_unique<gossip::ObservedState>(
      std::move(*sm), [](app::StateMachine& app) { return std::make_unique<replica::PrincipalApp>(app); });
  state->set_directory(genesis);  // the replica's own: brokered blocks execute as they do there
  std::unique_ptr<ReadEndpoint> e(new ReadEndpoint(store, std::move(state), at));
  e->became_final(0, store.last_final());
  e->server_ = std::make_unique<gossip::ReadServer>(io, *e->state_, std::move(so));
  auto port = e->server_->listen(at);
  if (!port) return port.error();
  e->at_.port = *port;
  return e;
}

bool ReadEndpoint::catch_up_to_checkpoint() {
  auto cp = store_.checkpoint();
  if (!cp || cp->k <= state_->last() || cp->k == tried_checkpoint_) return true;
  tried_checkpoint_ = cp->k;  // a snapshot that failed once is not tried (and logged) on every block
  auto snap = store_.snapshot();
  if (!snap || !*snap || (*snap)->k != cp->k) return false;
  auto b = store_.block(cp->k);
  if (!b) return false;
  if (auto st = state_->restore(*b, (*snap)->state); !st) {
    spdlog::error("event=reads_restore_failed k={} why=\"{}\"", cp->k, st.error().message);
    return false;
  }
  spdlog::info("event=reads_restored k={} (the read copy starts from the stored checkpoint)", cp->k);
  return true;
}

void ReadEndpoint::became_final(uint64_t, uint64_t upto) {
  // From the block after the copy's own, whatever `after` says. A checkpoint above the copy
  // (installed by state transfer, or stored before a restart) is taken first: the blocks below it
  // need not be executed again. Reads asking for a height the copy has not reached get "behind",
  // never an answer from state it did not execute.
  if (!stopped_) {
    catch_up_to_checkpoint();
    if (auto st = state_->replay(store_, upto); !st) {
      stopped_ = true;
      spdlog::error("event=reads_stopped why=\"{}\" (reads are answered at height {} from now on)", st.error().message,
                    state_->last());
    }
  }
  if (server_) server_->advanced();
}

}  // namespace rampart::node
