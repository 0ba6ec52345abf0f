#pragma once
// The application behind the replicas (wallet, kv). Speculation-aware: PoE executes before a
// batch is final, so every state machine can undo back to an earlier sequence number.
#include <cstdint>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::app {

// One operation as the replica orders it (DESIGN §7, "invocation"): where it is ordered and who
// asked. `principal` is the key that signed the request (on the direct path the client's Ed25519
// public key, checked against `client` before ordering); empty where the caller has none (tests,
// tools). Views point into the batch: valid for the call only.
struct Invocation {
  uint64_t height = 0;  // k: the block the operation is executed in
  uint32_t index = 0;   // the request's position in the block's batch
  uint64_t client = 0;  // the client id
  ByteView principal;
  uint64_t seq = 0;     // the client's request number
  ByteView op;          // the operation, in the application's own encoding
  // The replica checked that `principal` signed this request (client signatures on, or a
  // distilled batch's aggregate): an app may let the principal act without a signature of its
  // own. False with `--auth none` (benchmarks) and wherever the caller cannot vouch.
  bool authenticated = false;
};

class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // Apply one operation; returns the result bytes for the client. Must be deterministic (a
  // function of the state and the invocation). A malformed operation yields an error result,
  // never a crash.
  virtual Bytes apply(const Invocation& in) = 0;
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

// An operation with nobody behind it, at height k (tests, tools).
inline Bytes apply_op(StateMachine& sm, uint64_t k, ByteView op) { return sm.apply(Invocation{k, 0, 0, {}, 0, op}); }

}  // namespace rampart::app
