#pragma once
// The key-value state machine. Speculation-aware: every batch k keeps an undo log (the previous
// value of each key it wrote) until make_final(k), so undo_to(k) can restore the state exactly.
// The digest is BLAKE3 over the sorted entries, cached until the next write: O(state) after a
// write, which is fine for tests, the simulator and YCSB-sized runs on one node.
#include <map>
#include <optional>
#include <vector>

#include "app/kv/op.hpp"
#include "app/state_machine.hpp"

namespace rampart::app::kv {

class KvStore final : public StateMachine {
 public:
  Bytes apply(uint64_t k, ByteView op) override;
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

  std::map<Bytes, Bytes> data_;
  std::map<uint64_t, std::vector<UndoEntry>> undo_;  // batch k -> writes, in order
  mutable std::optional<Hash32> digest_;
};

}  // namespace rampart::app::kv
