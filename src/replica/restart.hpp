#pragma once
// Crash recovery of one replica (issue 4): restoring from its own disk, the restart
// handshake that lets a whole cluster restart at once, catch-up by proven blocks, and the
// checks a replica applies to state offered by peers. replica/rejoin.hpp drives the handshake
// and replica/state_transfer.hpp uses the checks; everything here is plain functions and a small decision object, so it is
// unit-tested without sockets (tests/replica/restart_test.cpp).
//
// Whole-cluster restart. Every replica restores the last stable checkpoint's snapshot and
// replays its final (proven) blocks; speculative blocks are discarded by ledger::Store::open.
// Replicas may come back with different heights: a client accepted block k only after one
// replica fsync'ed k with its proof of execution, so the highest final height among the
// restarted replicas covers every acknowledged block. Before the protocol runs, a restarted
// replica broadcasts HELLO and collects STATUS (last final height, serving or not) from its
// peers (RestartSync below). Once it knows the height to resume from — f + 1 peers already
// serving, or all n-1 peers answered, or nf-1 answered and a grace period passed — it fetches
// the missing proven blocks (each checked: hash link, batch digest, proof of execution),
// replays them, and only then starts the protocol at that height (Protocol::on_restart).
// So no replica orders a sequence number another replica holds final.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "common/bytes.hpp"
#include "common/config.hpp"
#include "common/result.hpp"
#include "consensus/protocol.hpp"
#include "crypto/interfaces.hpp"
#include "ledger/block.hpp"
#include "ledger/records.hpp"
#include "ledger/store.hpp"
#include "replica/executor.hpp"
#include "replica/ledger_store.hpp"

namespace rampart::replica {

// Restores the last stable checkpoint's snapshot into `exec` and replays the final blocks above
// it; every step is checked against the digests and proofs stored in the blocks, so damaged
// data is an Error (the replica refuses to start). Returns the recovered height (last final).
Result<uint64_t> recover_from_disk(const LedgerStore& store, replica::Executor& exec,
                                   const crypto::ThresholdVerifier& tv);

// What to tell a fresh protocol instance after recovery: height, state, the stored checkpoint
// with its certificate, the state digests at the checkpoint multiples above it, the journal,
// and the batches stored above the checkpoint (blocks' and set-aside ones).
consensus::RestartPoint restart_point(const LedgerStore& store, const replica::Executor& exec,
                                      uint64_t checkpoint_interval);

// A checkpoint offered in state transfer: it must be the one the protocol asked for (want_k,
// want_head, the ledger head at want_k) and carry a certificate the protocol verifies (nf
// signatures). The snapshot is checked against the record's state digest separately, after it
// was restored, and the record against block want_k (its head and state digest).
Status check_offered_checkpoint(const consensus::Protocol& proto, const ledger::CheckpointRecord& rec,
                                uint64_t want_k, const Hash32& want_head);
// The same with the protocol's certificate check passed in (replica/state_transfer.hpp asks its host).
using CheckpointVerifier = std::function<bool(const consensus::CheckpointCert&)>;
Status check_offered_checkpoint(const CheckpointVerifier& verify, const ledger::CheckpointRecord& rec,
                                uint64_t want_k, const Hash32& want_head);

// Proven blocks offered by a peer, to append after `prev` (our last final block): consecutive,
// linked, batch digests and proofs of execution valid.
Status check_offered_blocks(const ledger::Block& prev, const std::vector<ledger::Block>& blocks,
                            const std::vector<Bytes>& batches, const crypto::ThresholdVerifier& tv);

// For offline verification (`rampart ledger verify`): checks a stored checkpoint record's
// certificate with the cluster's public keys under its protocol's rules. A record without a
// certificate is an error.
Result<std::function<Status(const ledger::CheckpointRecord&)>> checkpoint_checker(const ClusterConfig& c);

// ---- restart handshake wire bodies (after the PeerTag byte)
struct PeerStatus {
  uint64_t last_final = 0;
  bool serving = false;  // the sender's protocol runs (it is not itself restarting)
};
Bytes encode_hello(uint64_t last_final);
Result<uint64_t> decode_hello(ByteView body);
Bytes encode_status(const PeerStatus& s);
Result<PeerStatus> decode_status(ByteView body);
Bytes encode_blocks_req(uint64_t from);
Result<uint64_t> decode_blocks_req(ByteView body);
inline constexpr size_t kMaxBlocksPerResponse = 256;
struct BlocksResp {
  std::vector<ledger::Block> blocks;
  std::vector<Bytes> batches;
};
Bytes encode_blocks_resp(const BlocksResp& r);
Result<BlocksResp> decode_blocks_resp(ByteView body);

// The restart handshake's decision (no I/O, no clock of its own: callers pass `now`).
class RestartSync {
 public:
  using Clock = std::chrono::steady_clock;
  // own_final: our recovered height (part of the maximum).
  RestartSync(uint32_t n, uint32_t f, consensus::NodeId self, uint64_t own_final, std::chrono::milliseconds grace);

  void on_status(consensus::NodeId from, const PeerStatus& s, Clock::time_point now);
  // Has the height to resume from been fixed? Once true it stays true and target() is fixed,
  // except that unreachable() lowers it.
  bool decided(Clock::time_point now);
  uint64_t target() const { return target_; }
  // `peer` did not serve the blocks it claimed (a faulty peer can claim any height): forget its
  // claim; the target becomes the highest claim left (ours included).
  void unreachable(consensus::NodeId peer);
  // A peer that reported at least `h` (to fetch blocks from), rotating over calls; none: nullopt.
  std::optional<consensus::NodeId> source_for(uint64_t h);

 private:
  uint32_t n_, f_;
  consensus::NodeId self_;
  uint64_t own_final_;
  std::chrono::milliseconds grace_;
  std::map<consensus::NodeId, PeerStatus> seen_;
  std::optional<Clock::time_point> quorum_at_;
  bool decided_ = false;
  uint64_t target_ = 0;
  uint32_t rotate_ = 0;
};

// Fork resolution during catch-up. After a whole-cluster crash a replica may hold proven
// blocks no other replica made durable (its peers crashed before fsyncing the proofs). If it
// comes back after the handshake's grace period, the others have resumed below those blocks
// and ordered different ones, so its catch-up finds a broken hash link. Such blocks were never
// durable at n - f replicas, so no client accepted them (a reply waits for n - f DURABLE
// acks), and the replica may drop them — but only on evidence a Byzantine peer cannot fake:
// f + 1 peers (one of them correct) each offering a proven chain that forks from ours at the
// same height with the same block. The resolver finds that height (stepping back from our last
// final block until a peer's block matches ours) and collects the evidence; Rejoin then
// drops our blocks from there (ledger::Store::abandon_above), rebuilds the state from disk and
// catches up normally. No I/O here: tests/replica/restart_test.cpp drives it directly.
class ForkResolver {
 public:
  enum class Verdict {
    more,        // ask a peer for blocks from from() (rotate peers: the evidence needs f + 1)
    abandon,     // drop our blocks from height() on
    not_a_fork,  // f + 1 peers hold our chain, or the peer's chain continues ours: no fork here
    bad_peer,    // the offered blocks do not hold together or are not proven
  };
  using OwnBlock = std::function<Result<ledger::Block>(uint64_t k)>;

  // base: our last final height (> 0); f: faults tolerated; step: how far to step back at once.
  ForkResolver(uint32_t f, uint64_t base, uint64_t step = 16);

  uint64_t from() const { return from_; }  // the height to request blocks from
  uint64_t height() const { return fork_; }  // first height that differs (0: not found yet)

  // Blocks (with batches) offered by `peer`, answering a request from from(). Responses for
  // another height are ignored (Verdict::more).
  Verdict on_blocks(consensus::NodeId peer, const std::vector<ledger::Block>& blocks,
                    const std::vector<Bytes>& batches, const OwnBlock& own,
                    const crypto::ThresholdVerifier& tv);

 private:
  uint32_t f_;
  uint64_t base_, step_;
  uint64_t from_;
  uint64_t fork_ = 0;
  std::map<Hash32, std::set<consensus::NodeId>> votes_;  // their block at fork_ -> peers
  std::set<consensus::NodeId> agree_;                    // peers holding our block at fork_
};

}  // namespace rampart::replica
