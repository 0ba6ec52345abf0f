#include "gateway/block_feed.hpp"

#include "gateway/json_codec.hpp"

namespace rampart::gateway {

void BlockFeed::note(const client::Reply& r) {
  {
    std::lock_guard lk(mu_);
    if (blocks_.count(r.k)) return;
    auto j = block_json(r);
    j["verified_by"] = "gateway";
    blocks_.emplace(r.k, std::move(j));
    while (blocks_.size() > kMaxBlocks) blocks_.erase(blocks_.begin());
  }
  cv_.notify_all();
}

std::optional<nlohmann::json> BlockFeed::block(uint64_t k) const {
  std::lock_guard lk(mu_);
  auto it = blocks_.find(k);
  if (it == blocks_.end()) return std::nullopt;
  return it->second;
}

uint64_t BlockFeed::latest() const {
  std::lock_guard lk(mu_);
  return blocks_.empty() ? 0 : blocks_.rbegin()->first;
}

std::vector<nlohmann::json> BlockFeed::newest(size_t limit) const {
  std::lock_guard lk(mu_);
  std::vector<nlohmann::json> out;
  for (auto it = blocks_.rbegin(); it != blocks_.rend() && out.size() < limit; ++it) out.push_back(it->second);
  return out;
}

std::vector<nlohmann::json> BlockFeed::wait_after(uint64_t after, std::chrono::milliseconds wait) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, wait, [&] { return stopped_ || (!blocks_.empty() && blocks_.rbegin()->first > after); });
  std::vector<nlohmann::json> out;
  if (stopped_) return out;
  for (auto it = blocks_.upper_bound(after); it != blocks_.end() && out.size() < 64; ++it) out.push_back(it->second);
  return out;
}

void BlockFeed::stop() {
  {
    std::lock_guard lk(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

}  // namespace rampart::gateway
