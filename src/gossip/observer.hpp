#pragma once
// An observer follows a cluster's ledger through gossip (DESIGN.md §3.5): it subscribes to
// block parts (block_items.hpp) at a gossip module and decides, in its VALIDATION answer,
// whether each one spreads further:
//   - the proof of execution must verify against the group key (ledger::verify_proof): a part
//     with a forged proof is refused at once;
//   - a block above the ledger's end is held until all its parts are in and it is the next
//     one; then ledger::verify_next checks its hash-chain link, batch and proof, and it is
//     stored (its parts answered V = 1) or refused (V = 0);
//   - a part of a block already stored is valid only if it matches the stored block and batch.
// Missing blocks (a gap below the lowest held block, or no news for probe_interval) are
// requested with a WANT item, which replicas' BlockAnnouncers answer. The copy in data_dir is
// an ordinary ledger store: `rampart ledger verify` accepts it.
// Everything runs on the io_context thread.
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "crypto/interfaces.hpp"
#include "gossip/api_client.hpp"
#include "gossip/block_items.hpp"
#include "gossip/config.hpp"
#include "ledger/store.hpp"

namespace rampart::gossip {

struct ObserverOptions {
  Address gossip_api;
  std::string data_dir;
  Bytes cluster_config;  // the genesis configuration bytes (ledger::genesis_config)
  std::shared_ptr<const crypto::ThresholdVerifier> verifier;
  std::chrono::milliseconds want_interval{1000};
  std::chrono::milliseconds probe_interval{5000};
  size_t max_held_blocks = 1024;  // blocks above the ledger's end awaiting their turn
  size_t max_variants = 4;        // distinct blocks held for one height
  // Called once if the module closes the API connection (the observer does not reconnect).
  std::function<void(const std::string& why)> on_disconnect;
  // Called after each block is verified and stored, in order (ObservedState executes it).
  std::function<void(const ledger::Block&, ByteView batch)> on_stored;
};

struct ObserverStats {
  uint64_t stored = 0;    // blocks appended to the ledger
  uint64_t valid = 0;     // parts answered V = 1
  uint64_t invalid = 0;   // parts answered V = 0
  uint64_t wants = 0;     // WANTs announced
};

class Observer {
 public:
  static Result<std::unique_ptr<Observer>> open(asio::io_context& io, ObserverOptions opt);
  ~Observer();

  // Connects to the module and subscribes.
  Status start();
  uint64_t last_block() const { return store_->last_block(); }
  const ledger::Store& store() const { return *store_; }
  const ObserverStats& stats() const { return stats_; }
  bool connected() const { return client_.connected(); }

 private:
  Observer(asio::io_context& io, ObserverOptions opt, std::unique_ptr<ledger::Store> store);
  struct Assembly {
    ledger::Block block;
    uint32_t batch_size = 0, part_size = 0;
    uint16_t count = 0;
    std::map<uint16_t, Bytes> parts;
    std::vector<uint16_t> message_ids;  // answered when the block is stored or refused
  };
  void on_notification(const Notification& n);
  void answer(uint16_t message_id, bool valid);
  void advance();
  void tick();
  void want(uint64_t from, uint64_t to);

  ObserverOptions opt_;
  std::unique_ptr<ledger::Store> store_;
  ApiClient client_;
  asio::steady_timer timer_;
  // height -> block hash -> parts gathered so far
  std::map<uint64_t, std::map<Hash32, Assembly>> held_;
  std::chrono::steady_clock::time_point last_progress_, last_want_{};
  ObserverStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rampart::gossip
