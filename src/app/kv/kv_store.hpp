#pragma once
// The key-value state machine. Speculation-aware: every batch k keeps an undo log (the previous
// value of each key it wrote) until make_final(k), so undo_to(k) can restore the state exactly.
// The digest is incremental (app/kv/digest_index.hpp): after a batch it costs what the batch
// wrote, not what the store holds.
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "app/kv/digest_index.hpp"
#include "app/kv/op.hpp"
#include "app/state_machine.hpp"

namespace rampart::app::kv {

class KvStore final : public StateMachine {
 public:
  Bytes apply(const Invocation& in) override;
  void undo_to(uint64_t k) override;
  void make_final(uint64_t k) override;
  Hash32 digest() const override;
  Bytes snapshot() const override;
  Status restore(ByteView snapshot) override;

  size_t size() const { return data_.size(); }
  std::optional<Bytes> lookup(ByteView key) const;
  size_t undo_batches() const { return undo_.size(); }

 private:
  struct UndoEntry {
    Bytes key;
    std::optional<Bytes> old;  // nullopt: the key did not exist
  };
  void write(uint64_t k, const Bytes& key, std::optional<Bytes> value);
  // Every change of data_ goes through write() or these two (undo), each of which updates the
  // digest index with it.
  void store(const Bytes& key, Bytes value);
  void remove(const Bytes& key);

  struct Value {
    Bytes bytes;
    uint32_t bucket = 0;  // DigestIndex::bucket_of(key), hashed once per key
  };
  // Hash map, not std::map: a write was a dozen key comparisons down a tree (~5% of a
  // replica's CPU with memcmp). SipHash under a per-process random key (libsodium's
  // crypto_shorthash), so clients cannot choose keys that collide in it; its iteration order
  // is never observed (snapshot() sorts).
  struct KeyHash {
    size_t operator()(const Bytes& k) const noexcept;
  };
  std::unordered_map<Bytes, Value, KeyHash> data_;
  std::map<uint64_t, std::vector<UndoEntry>> undo_;  // batch k -> writes, in order
  static constexpr size_t kSpareUndo = 4;
  std::vector<std::vector<UndoEntry>> spare_undo_;   // emptied undo vectors, capacity kept
  DigestIndex index_;
  mutable std::optional<Hash32> digest_;
};

}  // namespace rampart::app::kv
