#pragma once
// CART proof collection and the DURABLE quorum, sans-IO (docs/protocols.md, "CART replies").
//
// Per executed block k: our threshold share over proof_message(view, k, block hash), signed once
// the protocol lets us vouch for k in a view (attested) and sent once the sync that covers the
// certificates it rests on is done; peers' shares, combined per (view, block hash) only (a proof
// needs nf replicas vouching in one view, I2). The combination is interpolated without a pairing
// check (~0.3 ms instead of ~1 ms), written next to the block and synced with it (one sync per
// round of proofs: group commit), and announced in a DURABLE that names it by its id (proof_id:
// its very bytes); the replies go out once nf replicas said that very proof, or one they checked,
// is on their disk. A valid group signature is unique, so replicas that combined valid shares
// hold identical bytes; an invalid combination can reach a client, which checks every proof and
// drops it. So an acknowledged block survives any nf replicas coming back after a whole-cluster
// crash, and no pairing sits between the shares and the replies.
//
// Checking stays, but f + 1 replicas do it, not n: block k's checkers are replicas k - f, ..,
// k (mod n), which check in the background (ProofHost::background: in the process on a thread
// below the replica's priority) and say so in a second DURABLE (checked). A replica that holds
// the same bytes as f + 1 checkers say they checked holds a valid proof (one of them is correct)
// without a pairing of its own; one that hears that from fewer within kCheckAfterMs checks itself.
// Only a checked proof makes a block proven here (finality, checkpoints), is handed to peers or
// survives a restart (ledger::OpenOptions::proof_ok); a combination whose check fails is made
// again from shares checked one by one, its liars counted, its replies sent again.
//
// Proofs owns no socket, clock, thread or disk: it acts through ProofHost, which the replica
// process implements with Asio, RocksDB and the WAL syncer, and a test or the simulator with
// fakes. After a block is final its replies stay a while (answered) so that a lost reply's retry
// is answered again without ordering anything.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "common/bytes.hpp"
#include "common/metrics_registry.hpp"
#include "consensus/protocol.hpp"
#include "crypto/interfaces.hpp"
#include "crypto/merkle.hpp"
#include "ledger/block.hpp"
#include "replica/executor.hpp"
#include "replica/peer_msg.hpp"

namespace rampart::replica {

using consensus::NodeId;
using consensus::View;

// Our block k as executed, and its CART state.
struct BlockProof {
  bool executed = false;
  View view = 0;  // executed in
  // The header replies carry, and its hash, which shares, proofs and DURABLE acknowledgements
  // name (it binds the results root and the history before k).
  ledger::Block header;
  Hash32 head{};
  std::vector<ReplyEntry> replies;
  std::shared_ptr<const crypto::merkle::Tree> tree;
  // (signer, share) by (view, block hash): only shares of one view combine.
  std::map<std::pair<View, Hash32>, std::vector<crypto::Share>> shares;
  std::optional<View> signed_view;  // the latest view we signed our share in (attested)
  View proof_view = 0;              // the view group_sig names
  Bytes group_sig;                  // combined from nf shares, checked or not yet (below)
  Hash32 proof_id{};                // proof_id(k, proof_view, head, group_sig)
  bool checked = false;             // group_sig verified, here or by f + 1 checkers: only then is k proven here
  bool check_owed = false;          // our own background check of group_sig is on its way
  uint64_t adopted_ms = 0;          // when group_sig was combined (a non-checker's patience)
  bool replied = false;
  struct Proof {
    View view = 0;
    Hash32 head{};
    Bytes sig;
  };
  std::optional<Proof> early_proof;  // a peer's group signature, before we executed k
  bool persisted = false;            // group_sig is in the ledger (synced)
  // DURABLE acknowledgements (by block hash, then sender): the proof synced there, and whether
  // the sender checked it. One counts for our replies if it names our proof or was checked.
  struct Ack {
    Hash32 proof{};
    bool checked = false;
  };
  std::map<Hash32, std::map<NodeId, Ack>> durable;
  uint64_t durable_asked_ms = 0;
};

// A final block whose replies went out, kept for retries.
struct AnsweredBlock {
  View view = 0;
  ledger::Block header;
  std::vector<ReplyEntry> replies;
  std::shared_ptr<const crypto::merkle::Tree> tree;
  Bytes group_sig;
};

// What proof collection needs from the replica around it.
class ProofHost {
 public:
  virtual ~ProofHost() = default;
  // Node-level peer messages, already wrapped (replica/peer_msg.hpp).
  virtual void send_peer(NodeId to, Bytes wire) = 0;
  virtual void broadcast_peer(Bytes wire) = 0;
  // A sync of everything written so far; Proofs::synced(gen) once it is done (gens increase).
  virtual uint64_t request_sync() = 0;
  // Run f once the current event is handled: the proofs ready in one round share one sync.
  virtual void defer(std::function<void()> f) = 0;
  // Work nobody waits for at once, off this thread where the host can (the process runs it on a
  // thread below the replica's priority); done(result) then runs here as an event of its own.
  // The default runs both as one deferred event.
  virtual void background(std::function<bool()> work, std::function<void(bool)> done) {
    defer([work = std::move(work), done = std::move(done)] { done(work()); });
  }
  virtual uint64_t now_ms() = 0;
  // Proofs::check_overdue() after `after_ms` (one timer; arming it again replaces it). Default:
  // none, and tick() does the same at its own pace.
  virtual void arm_check_timer(uint64_t /*after_ms*/) {}
  // The ledger: our stored block k (speculative or final), the final height, the executed
  // height, and the group signature written next to block k (not synced by this call).
  virtual std::optional<ledger::Block> stored_block(uint64_t k) = 0;
  virtual uint64_t last_final() = 0;
  virtual uint64_t last_executed() = 0;
  virtual bool store_proof(uint64_t k, View view, const Bytes& sig) = 0;
  // Reply sink: k's proof is durable at nf replicas; its replies may go out (once).
  virtual void deliver_replies(uint64_t k, const BlockProof& b) = 0;
  // Commit event: k's proof is synced and checked here; k is final once every block below it
  // is. From synced(), whose result then says finality may advance; from a check that came
  // after the sync (ours, or f + 1 checkers vouching), followed by finality_may_advance().
  virtual void proof_persisted(uint64_t k) = 0;
  virtual void finality_may_advance() = 0;
};

// A proof's identity: the block, the view and the group signature's very bytes.
Hash32 proof_id(uint64_t k, View view, const Hash32& head, ByteView sig);

class Proofs {
 public:
  struct Params {
    NodeId self = 0;
    uint32_t n = 4;
    uint32_t nf = 3;
    uint64_t window = 256;
    // The simulator's self-test of its crash model (sim::Weaken::ungated_votes): our shares
    // leave before the blocks they vouch for are durable. Never set in the process.
    bool unsafe_ungated = false;
  };
  Proofs(Params p, const crypto::ThresholdSigner& signer, const crypto::ThresholdVerifier& verifier,
         ProofHost& host, metrics::Registry& reg)
      : p_(p), signer_(signer), verifier_(verifier), host_(host), reg_(reg) {}

  // Block k executed in view v: its CART state starts over (a peer's proof that came early is
  // adopted now if it names this block).
  void executed(uint64_t k, View v, const ledger::Block& header, const Hash32& head, std::vector<ReplyEntry> replies,
                std::shared_ptr<const crypto::merkle::Tree> tree);
  void rolled_back(uint64_t k);       // everything above k was undone
  void attested(View v, uint64_t k);  // the protocol lets us vouch for blocks up to k in view v
  void on_share(NodeId from, ShareMsg m);
  void on_proof(NodeId from, ShareMsg m);
  void on_durable(NodeId from, const DurableMsg& m);
  // The sync of gen is done. True if proofs waited for it (finality may advance).
  bool synced(uint64_t gen);
  // Blocks up to j are final: their state is retired (replies still owed stay until sent).
  void finalized(uint64_t j);
  // Finality waits for k: our share may have been lost, send it again (at most every 200 ms).
  void blocked_at(uint64_t k);
  // Periodically: ask again for DURABLE acknowledgements that did not come (at most every 200 ms).
  void tick();
  // Our proofs the checkers did not vouch for within kCheckAfterMs: checked here (the check timer).
  void check_overdue();
  // State transfer or an abandoned fork: nothing of the old chain counts any more.
  void clear() { blocks_.clear(); }
  void forget_answered() {
    answered_.clear();
    answered_replies_ = 0;
  }

  bool proven(uint64_t k);  // our proof is checked and synced, or the stored block carries one
  size_t pending() const { return blocks_.size(); }
  // The replies of final block k that went out, if still kept (retries).
  struct Answer {
    View view;
    const ledger::Block& header;
    const std::vector<ReplyEntry>& replies;
    const crypto::merkle::Tree& tree;
    const Bytes& sig;
  };
  std::optional<Answer> answered(uint64_t k) const;

  static constexpr size_t kAnsweredReplies = size_t{1} << 18;
  static constexpr uint64_t kResendMs = 200;
  // A non-checker that did not hear f + 1 checkers vouch for its proof by then checks it itself
  // (a checker down or slow costs finality that long, never safety; vouching takes a
  // millisecond or two).
  static constexpr uint64_t kCheckAfterMs = 20;

 private:
  void try_combine(uint64_t k, bool force = false);
  void adopt(uint64_t k, BlockProof& b, View view, Bytes sig, bool checked);
  // Are we one of k's f + 1 checkers, replicas k - f .. k (mod n)?
  bool checks(uint64_t k) const { return (k % p_.n + p_.n - p_.self) % p_.n <= p_.n - p_.nf; }
  void check_later(uint64_t k, BlockProof& b);
  void checked(uint64_t k, const Hash32& id, bool ok);
  void now_checked(uint64_t k, BlockProof& b, bool by_us);
  bool vouched(const BlockProof& b) const;  // f + 1 peers checked these very bytes
  void recombine(uint64_t k, BlockProof& b);
  void note_bad(std::vector<crypto::Share>& shares, const std::vector<NodeId>& bad);
  void flush();
  void maybe_reply(uint64_t k, BlockProof& b);
  std::map<uint64_t, BlockProof>::iterator retire(std::map<uint64_t, BlockProof>::iterator it);
  bool far(uint64_t k) { return k > host_.last_executed() + 4 * p_.window; }

  Params p_;
  const crypto::ThresholdSigner& signer_;
  const crypto::ThresholdVerifier& verifier_;
  ProofHost& host_;
  metrics::Registry& reg_;

  std::map<uint64_t, BlockProof> blocks_;
  // Our share, signed when the protocol let us vouch (attested), held until the sync that
  // covers the certificates it rests on: a share that left before them could help form a proof
  // that a restart of ours no longer backs.
  struct OwnShare {
    uint64_t gen = 0;
    uint64_t k = 0;
    View view = 0;
    Hash32 head{};
    Bytes share;
  };
  std::deque<OwnShare> own_shares_;
  uint64_t synced_ = 0;
  std::vector<uint64_t> proof_queue_;
  bool flush_deferred_ = false;
  // Proofs written but not yet synced, with the sync generation that covers them.
  struct Awaiting {
    uint64_t k = 0;
    uint64_t gen = 0;
    Hash32 proof_id{};  // the proof that write carried (a later one may replace it)
  };
  std::vector<Awaiting> awaiting_sync_;
  uint64_t last_share_resend_ms_ = 0;
  bool check_timer_armed_ = false;
  std::map<uint64_t, AnsweredBlock> answered_;
  size_t answered_replies_ = 0;
  // Bad shares caught per signer. Combining checks every share one by one only when the
  // combination fails; a replica that keeps sending bad shares would put each block on that
  // slow path (n + 1 pairings instead of 1), so its shares are used only when needed.
  std::map<NodeId, uint64_t> caught_;
};

}  // namespace rampart::replica
