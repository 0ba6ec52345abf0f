#pragma once
// The consensus-agnostic protocol interface (CART's idea): PoE and PBFT both implement
// Protocol; the replica, the simulator, the ledger and the benchmarks only see this file.
//
// Sans-IO, as in libhotstuff: a Protocol is fed inputs (client batches' bytes, peer messages,
// timer expiries) and produces outputs only through virtual calls on its Env. It never touches
// sockets, threads or the clock; timers are requests to the Env to call on_timer() later.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::consensus {

using NodeId = uint32_t;
using View = uint64_t;
using Seq = uint64_t;  // sequence number of a batch; the first batch is 1

// View-change timeouts double per failed view, up to view_timeout_ms << kMaxBackoffShift (64 s
// at the default 1 s): enough for any network this runs on, and a bound on how long a faulty
// primary can hold a cluster once the timeout has grown (at 16 doublings it was 18 hours).
inline constexpr uint32_t kMaxBackoffShift = 6;

struct Config {
  uint32_t n = 4;
  uint32_t f = 1;
  NodeId self = 0;
  Seq window = 256;               // high watermark = stable checkpoint + window
  Seq checkpoint_interval = 64;   // a checkpoint every K batches
  uint64_t view_timeout_ms = 1000;  // first view-change timeout; doubles per failed view
  uint32_t max_inflight = 64;     // proposals the primary keeps open at once (<= window)
  bool mac_variant = false;       // PoE: all-to-all SUPPORT, no threshold signatures

  uint32_t nf() const { return n - f; }
  NodeId primary_of(View v) const { return static_cast<NodeId>(v % n); }
};

// What executing one batch produced; the Env's state machine computes it.
struct ExecResult {
  Hash32 state_digest{};  // digest of the whole state after this batch
  Hash32 results_root{};  // Merkle root over this batch's results (signed in CART replies)
  // The ledger's hash of block k (ledger::block_hash: k, batch digest, previous hash, state
  // digest, results root), so it binds the whole history 1..k. Checkpoints sign it, not the
  // state digest: two branches can reach one state (a batch of cached retries changes nothing),
  // and only the branch the cluster kept may become final.
  Hash32 head{};
};

// A stable checkpoint's certificate: nf replicas' signatures over the protocol's own checkpoint
// statement for (view, k, head). Opaque to the replica layer, which persists it with the
// snapshot and hands it to peers in state transfer; Protocol::verify_checkpoint checks it.
struct CheckpointCert {
  Seq k = 0;
  View view = 0;   // PoE: the one view all its signers vouched in (PBFT: 0, not signed)
  Hash32 head{};   // the ledger head at k (ExecResult::head)
  std::vector<crypto::Share> sigs;
};

// A record a protocol must find again after a crash (what it signed or promised).
struct JournalRecord {
  Seq seq = 0;        // 0: records about the view, not one sequence number
  uint8_t kind = 0;   // protocol-defined
  Bytes body;         // protocol-defined encoding
};

struct StoredBatch {
  Seq k = 0;
  Bytes batch;
};

// What a restarted replica recovered from its own disk (Protocol::on_restart).
struct RestartPoint {
  Seq k = 0;                // every batch 1..k is final and executed (head below)
  Hash32 head{};            // ledger head at k
  CheckpointCert checkpoint;  // the stored stable checkpoint (k = 0: none), <= k, proof as stored
  // Ledger heads at the checkpoint-interval multiples in (checkpoint.k, k]: the replica
  // executed them, so it may sign those checkpoints again (they move the window after a
  // whole-cluster restart, when nobody holds a newer stable checkpoint).
  std::vector<std::pair<Seq, Hash32>> checkpoint_heads;
  std::vector<JournalRecord> journal;  // every record kept (not pruned), ordered by (seq, kind)
  // Batches the replica's ledger holds above the stored checkpoint: its blocks', and those of
  // speculative blocks it dropped (a rollback, or discarded at start) until the journal was
  // pruned past them. A journal record may name one by (k, digest) instead of carrying it.
  std::vector<StoredBatch> batches;
};

enum class TimerKind : uint8_t {
  view_change = 0,  // progress timeout: no execution while requests are pending
  new_view = 1,     // the new primary did not deliver a valid NV-PROPOSE in time
  retransmit = 2,   // re-send the latest messages for unfinished work (the network may drop)
};

// Outputs. The replica implements these over the network and the state machine; the simulator
// over a virtual network and clock. Calls are synchronous and may not re-enter the Protocol.
class Env {
 public:
  virtual ~Env() = default;
  virtual void send(NodeId to, Bytes msg) = 0;
  virtual void broadcast(Bytes msg) = 0;  // to every replica but self

  // Is this opaque batch acceptable to order (well-formed, requests authentic)? Called by
  // backups before they support a proposal. Must be deterministic across correct replicas.
  virtual bool validate_batch(ByteView batch) = 0;
  // Execute batch k (all of 1..k-1 were executed before, in order). PoE calls it speculatively
  // at view-commit; the Env informs clients after it returns.
  virtual ExecResult execute(Seq k, View v, ByteView batch) = 0;
  // Undo every execution above k (PoE view change). The state returns to just after k.
  virtual void rollback(Seq k) = 0;
  // Batch k can never be rolled back any more (it is covered by a stable checkpoint, or, for
  // PBFT, committed). Lets the Env make blocks final and prune undo logs.
  virtual void final(Seq k) = 0;
  // This replica may vouch towards clients for its results of every batch it executed up to k,
  // in view v: it executed 1..k, and each of them above its stable checkpoint is certified in v
  // itself (PoE; PBFT: committed). The replica layer signs its CART share over (v, j, results
  // root) for each executed j <= k not yet proven, and sends it only after a sync that covers
  // every write made before this call (the certificates the vouching rests on). Shares of
  // executions in different views never combine (docs/protocols.md, I2). Default: ignored.
  virtual void attested(View /*v*/, Seq /*k*/) {}
  // Does this Env call Protocol::on_proven? Then the protocol signs checkpoints only up to the
  // proven prefix. Default: no proofs tracked (unit tests of the protocol alone).
  virtual bool tracks_proofs() const { return false; }
  // A stable checkpoint at k: nf replicas signed this ledger head.
  virtual void checkpoint_stable(Seq k, const Hash32& head) = 0;
  // The same stable checkpoint with its certificate, called right after checkpoint_stable by
  // protocols that expose it (PoE, PBFT), so the replica layer can persist the proof and serve
  // it in state transfer. Default: ignored.
  virtual void checkpoint_certified(const CheckpointCert& /*cert*/) {}
  virtual void view_changed(View v, NodeId primary) = 0;
  // This replica asks for view `target` (its VIEW-CHANGE / VC-REQUEST is about to leave);
  // `reason` (a string literal) says why, for the operator's log. Default: ignored.
  virtual void view_change_started(View /*target*/, const char* /*reason*/) {}
  // This replica lacks the state at stable checkpoint k (it fell behind, or its speculative
  // history diverged): the replica layer should fetch the state whose ledger head is `head`
  // from peers and then call Protocol::on_state_transferred(k, head). Default: none.
  virtual void need_state_transfer(Seq /*k*/, const Hash32& /*head*/) {}

  // Store body under (seq, kind), replacing an earlier record with the same key. Messages the
  // protocol sends after this call must not leave the process before the record is durable
  // (the Env holds them back until its next fsync). Default: not durable (tests, simulator
  // without crashes).
  virtual void journal_put(Seq /*seq*/, uint8_t /*kind*/, Bytes /*body*/) {}
  // The same for a record no later consensus message depends on: nothing is held back for it;
  // it becomes durable with the Env's next fsync, which at the latest is the one every client
  // reply waits for (execution results are sent only after an fsync covering all earlier
  // writes). For what a restart needs before the replica answered anything (PoE's certified
  // entry, a stable checkpoint's proof). Default: journal_put.
  virtual void journal_put_lazy(Seq seq, uint8_t kind, Bytes body) { journal_put(seq, kind, std::move(body)); }
  // Records with 0 < seq <= upto are no longer needed.
  virtual void journal_prune(Seq /*upto*/) {}
  // Messages sent after this call wait for a sync that covers every write before it, lazy
  // records included: for a vote that vouches for what lazy records hold (a CHECKPOINT). Default:
  // nothing to wait for.
  virtual void journal_barrier() {}

  virtual void set_timer(TimerKind t, uint64_t after_ms) = 0;
  virtual void cancel_timer(TimerKind t) = 0;
};

// Crypto a replica uses: its own signer and threshold signer, and verifiers for all.
struct Crypto {
  const crypto::Signer* signer = nullptr;
  const crypto::Verifier* verifier = nullptr;
  const crypto::ThresholdSigner* tsigner = nullptr;   // threshold t = nf
  const crypto::ThresholdVerifier* tverifier = nullptr;
};

struct Stats {
  View view = 0;
  Seq last_executed = 0;
  Seq stable_checkpoint = 0;
  uint64_t rejected_messages = 0;  // failed decode, wrong view/sender, bad signature, out of window
  uint64_t pending = 0;            // batches submitted or forwarded to us, not executed yet
  uint64_t view_changes = 0;
  uint64_t rollbacks = 0;
  uint64_t history_switches = 0;  // PoE: a certificate of our view showed we installed another history
};

class Protocol {
 public:
  virtual ~Protocol() = default;
  virtual void start() = 0;
  // A batch of client requests ready to order (the replica's batcher closed it). At the primary
  // it is proposed; at a backup it arms the progress timer (and is forwarded to the primary by
  // the replica layer).
  virtual void submit(Bytes batch) = 0;
  // The replica layer no longer needs this batch ordered (every request in it was executed in
  // other batches): forget it if it is only pending, so what a peer forwarded cannot pile up
  // here after the replica layer freed that peer's quota. Default: ignored.
  virtual void withdraw(ByteView /*batch*/) {}
  // A message from peer `from` (authenticated by the transport). Bad input is counted in
  // stats().rejected_messages and changes nothing.
  virtual void on_message(NodeId from, ByteView msg) = 0;
  virtual void on_timer(TimerKind t) = 0;
  // The replica layer holds a proof of execution (nf replicas' shares of one view, combined)
  // for every batch up to k. Where the Env tracks proofs, checkpoints are signed only up to
  // here: a checkpoint can become stable with f of its signers faulty, and then the correct
  // signers alone are too few to prove its batches, while a lagging replica that installs the
  // checkpoint's state never vouches for them. So a stable checkpoint must imply the proofs
  // exist (state transfer ships proven blocks; clients of those batches get their proofs).
  // Default: ignored.
  virtual void on_proven(Seq /*k*/) {}
  // The replica layer installed the state of stable checkpoint k (after need_state_transfer):
  // execution resumes at k+1. Default: ignored.
  virtual void on_state_transferred(Seq /*k*/, const Hash32& /*head*/) {}
  // A fresh instance (after start()) of a replica that restarted from its own disk, possibly
  // with every other replica (whole-cluster restart): batches 1..r.k are final and executed, so
  // ordering continues at r.k + 1; r.checkpoint, if its proof verifies, is the stable
  // checkpoint (low watermark); r.journal holds what the protocol journaled before the crash
  // (it may be non-empty with r.k = 0). Default: on_state_transferred(r.k, r.head).
  virtual void on_restart(const RestartPoint& r) { on_state_transferred(r.k, r.head); }
  // Does cert prove that nf replicas signed checkpoint (view, k, head) under this protocol's
  // rules? The replica layer checks a snapshot offered in state transfer with it. Default:
  // false (the protocol cannot tell).
  virtual bool verify_checkpoint(const CheckpointCert& /*cert*/) const { return false; }
  // The batch k this replica executed was accepted by a client or is otherwise known committed:
  // no-op by default; used by the replica to stop the progress timer when idle.
  virtual bool is_primary() const = 0;
  // A client retried a request this replica executed but has not made final: the client may
  // lack a proof because this replica vouches in a view the others left (it missed the new
  // view while idle, so nothing else tells it). The protocol may check, cheaply and at a
  // bounded rate (PoE: one FETCH to every replica per retransmit tick; a replica in a later view
  // answers with its NV-PROPOSE). Default: nothing.
  virtual void client_waits() {}
  virtual bool has_pending() const = 0;  // submitted batches not yet executed
  virtual Stats stats() const = 0;
  virtual std::string name() const = 0;
};

std::unique_ptr<Protocol> make_poe(const Config& cfg, Crypto crypto, Env& env);
std::unique_ptr<Protocol> make_pbft(const Config& cfg, Crypto crypto, Env& env);

}  // namespace rampart::consensus
