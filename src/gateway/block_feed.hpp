#pragma once
// The blocks the gateway has seen: every verified reply carries block k's header and group
// signature, so the gateway can serve GET /v1/blocks/{k} and a server-sent-events stream of new
// blocks without a ledger of its own (bounded: the newest kMaxBlocks). Until replicas announce
// blocks to it, it sees the blocks that answered its own requests. Only replies the gateway's
// client verified (group signature, Merkle proof) get here, so each block says
// "verified_by": "gateway": a statement by an untrusted party, which a client may re-check from
// the group signature it carries.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "replica/client_wire.hpp"

namespace rampart::gateway {

class BlockFeed {
 public:
  static constexpr size_t kMaxBlocks = 4096;
  void note(const client::Reply& r);
  std::optional<nlohmann::json> block(uint64_t k) const;
  uint64_t latest() const;
  // The newest `limit` blocks, newest first.
  std::vector<nlohmann::json> newest(size_t limit) const;
  // Blocks above `after` (oldest first, at most 64), waiting up to `wait` for one; empty on
  // timeout or once stopped.
  std::vector<nlohmann::json> wait_after(uint64_t after, std::chrono::milliseconds wait);
  void stop();

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, nlohmann::json> blocks_;
  bool stopped_ = false;
};

}  // namespace rampart::gateway
