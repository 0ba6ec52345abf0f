#pragma once
// The bounded knowledge base (`cache_size`): content ids of the items this module has seen,
// least recently seen dropped first. It deduplicates: an item whose id is here is not
// processed again, whichever peer or path it comes from.
#include <list>
#include <unordered_map>

#include "common/bytes.hpp"

namespace rampart::gossip {

class SeenCache {
 public:
  explicit SeenCache(size_t capacity) : capacity_(capacity ? capacity : 1) {}
  bool contains(const Hash32& id) const { return index_.count(id) != 0; }
  // Inserts (or refreshes) id; returns false if it was already there.
  bool insert(const Hash32& id);
  void erase(const Hash32& id);
  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  struct IdHash {
    size_t operator()(const Hash32& h) const {
      size_t v = 0;
      for (int i = 0; i < 8; ++i) v = (v << 8) | h[i];
      return v;
    }
  };
  size_t capacity_;
  std::list<Hash32> order_;  // most recent first
  std::unordered_map<Hash32, std::list<Hash32>::iterator, IdHash> index_;
};

}  // namespace rampart::gossip
