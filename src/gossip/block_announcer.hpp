#pragma once
// The replica's side of block gossip: connects to a local gossip module's API and announces
// every final block as parts (block_items.hpp), and answers observers' WANT requests by
// announcing the blocks they miss again (read through `fetch`). Everything on the io_context
// thread given to it (the replica's own): announce() must be called there.
//
//   gossip::BlockAnnouncer a(io, {.api = *gossip::parse_address("127.0.0.1:7001"),
//                                 .fetch = [&](uint64_t k) { ... block k and its batch ... },
//                                 .last_final = [&] { return store->last_final(); }});
//   a.start();
//   a.announce(block, batch);   // once per final block
//
// While the module is unreachable, items queue (at most max_queued; the oldest are dropped
// and counted) and the connection is retried every `retry`.
#include <asio.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <utility>

#include "common/result.hpp"
#include "gossip/api_client.hpp"
#include "gossip/config.hpp"
#include "ledger/block.hpp"

namespace rampart::gossip {

struct BlockAnnouncerOptions {
  Address api;
  // Reads final block k and its batch (for WANTs); empty: WANTs are not answered.
  std::function<Result<std::pair<ledger::Block, Bytes>>(uint64_t k)> fetch;
  std::function<uint64_t()> last_final;
  size_t max_queued = 4096;
  std::chrono::milliseconds retry{1000};
  uint8_t ttl = 0;
};

struct BlockAnnouncerStats {
  uint64_t blocks = 0;        // announce() calls
  uint64_t items = 0;         // parts handed to the module
  uint64_t dropped = 0;       // parts dropped from a full queue
  uint64_t wants = 0;         // WANTs answered
  uint64_t resent = 0;        // blocks announced again for WANTs
  uint64_t connects = 0;
};

class BlockAnnouncer {
 public:
  BlockAnnouncer(asio::io_context& io, BlockAnnouncerOptions opt);
  ~BlockAnnouncer();
  BlockAnnouncer(const BlockAnnouncer&) = delete;
  BlockAnnouncer& operator=(const BlockAnnouncer&) = delete;

  void start();
  // Announces a final block (a block the caller cannot encode is logged and skipped).
  void announce(const ledger::Block& b, ByteView batch);
  bool connected() const;
  const BlockAnnouncerStats& stats() const { return stats_; }

 private:
  void connect();
  void on_closed(const std::string& why);
  void on_notification(const Notification& n);
  void queue(Bytes item);
  void flush();

  asio::io_context& io_;
  BlockAnnouncerOptions opt_;
  std::unique_ptr<ApiClient> client_;
  asio::steady_timer retry_;
  std::deque<Bytes> queue_;
  BlockAnnouncerStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rampart::gossip
