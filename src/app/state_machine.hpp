#pragma once
// The application behind the replicas (wallet, kv). Speculation-aware: PoE executes before a
// batch is final, so every state machine can undo back to an earlier sequence number.
#include <cstdint>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::app {

class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // Apply one operation as part of batch `k`; returns the result bytes for the client. Must be
  // deterministic. A malformed operation yields an error result, never a crash.
  virtual Bytes apply(uint64_t k, ByteView op) = 0;
  // Undo every operation applied in batches above k.
  virtual void undo_to(uint64_t k) = 0;
  // Forget undo information for batches <= k (they are final).
  virtual void make_final(uint64_t k) = 0;
  // Digest of the current state; equal states give equal digests on every replica.
  virtual Hash32 digest() const = 0;
  // Whole-state snapshot and restore (checkpoints, state transfer).
  virtual Bytes snapshot() const = 0;
  virtual Status restore(ByteView snapshot) = 0;
};

}  // namespace rampart::app
