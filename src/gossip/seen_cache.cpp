#include "gossip/seen_cache.hpp"

namespace rampart::gossip {

bool SeenCache::insert(const Hash32& id) {
  if (auto it = index_.find(id); it != index_.end()) {
    order_.splice(order_.begin(), order_, it->second);
    return false;
  }
  order_.push_front(id);
  index_[id] = order_.begin();
  if (index_.size() > capacity_) {
    index_.erase(order_.back());
    order_.pop_back();
  }
  return true;
}

void SeenCache::erase(const Hash32& id) {
  if (auto it = index_.find(id); it != index_.end()) {
    order_.erase(it->second);
    index_.erase(it);
  }
}

}  // namespace rampart::gossip
