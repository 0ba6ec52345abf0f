#pragma once
// Internals of the simulator (see simulator.hpp for the entry point): the event queue, the
// virtual network, the replicas' Env implementation and the simulated clients.
#include <array>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "app/kv/kv_store.hpp"
#include "crypto/fake.hpp"
#include "ledger/block.hpp"
#include "replica/executor.hpp"
#include "sim/adversary.hpp"
#include "sim/draws.hpp"
#include "sim/disk.hpp"
#include "sim/invariants.hpp"
#include "sim/rng.hpp"
#include "sim/simulator.hpp"

namespace rampart::sim::detail {

using consensus::NodeId;
using consensus::View;

// The first byte of every simulated network message says what it carries.
// share: a replica's CART share over (view, k, results root), as the process broadcasts it;
// here it goes to the world's record of shares (World::proof), not over the network.
enum class Tag : uint8_t { consensus = 1, request = 2, forward = 3, reply = 4, state_req = 5, state_resp = 6, share = 7 };
inline constexpr uint32_t kShareSink = 0xffffffff;
inline constexpr uint64_t kMs = 1000;  // simulated time is in microseconds

enum class EvType : uint8_t {
  deliver, proto_timer, batch_timer, client_timer, client_next, crash, restart, partition, heal,
  faults_end, resubmit, state_retry, sync_done, proven_check, adversary_tick, crash_all
};

struct Event {
  uint64_t time = 0;
  uint64_t order = 0;  // ties broken by insertion order: determinism
  EvType type = EvType::deliver;
  uint32_t a = 0, b = 0;  // deliver: from, to; node events: node, twin; client events: client
  uint64_t c = 0, d = 0;  // generations, epochs, sequence numbers, timer kinds
  Bytes payload;
};
struct EventLater {
  bool operator()(const Event& x, const Event& y) const {
    return x.time != y.time ? x.time > y.time : x.order > y.order;
  }
};

class World;
struct Node;

// The state at a checkpoint k, as state transfer ships it: the snapshot and block k's header,
// whose hash is the ledger head the checkpoint signs and whose state digest the snapshot must
// reproduce.
struct CkptSnap {
  ledger::Block header;
  Bytes state;
};

// One protocol instance of a replica, with everything behind its Env. A correct replica has
// one; an equivocating one runs two "twins" that each talk to half of the other replicas.
class Instance final : public consensus::Env {
 public:
  Instance(World& w, Node& node, uint32_t twin, std::vector<bool> peers);

  // Env
  void send(NodeId to, Bytes msg) override;
  void broadcast(Bytes msg) override;
  bool validate_batch(ByteView batch) override;
  consensus::ExecResult execute(consensus::Seq k, View v, ByteView batch) override;
  void rollback(consensus::Seq k) override;
  void final(consensus::Seq k) override;
  void attested(View v, consensus::Seq k) override;
  void vouch(View v, consensus::Seq k);  // our shares (and replies) for every executed j <= k, in v
  // What the protocol gets as the ledger head of a block: its hash, or, under
  // Weaken::state_checkpoints, its state digest (checkpoints then do not bind the history).
  Hash32 head_of(const ledger::Block& header) const;
  void checkpoint_stable(consensus::Seq k, const Hash32& head) override;
  void view_changed(View v, NodeId primary) override;
  void view_change_started(View target, const char* reason) override;
  void need_state_transfer(consensus::Seq k, const Hash32& head) override;
  void checkpoint_certified(const consensus::CheckpointCert& cert) override;
  void journal_put(consensus::Seq seq, uint8_t kind, Bytes body) override;
  void journal_put_lazy(consensus::Seq seq, uint8_t kind, Bytes body) override;
  void journal_prune(consensus::Seq upto) override;
  void journal_barrier() override { request_sync(); }
  bool tracks_proofs() const override { return true; }
  void set_timer(consensus::TimerKind t, uint64_t after_ms) override;
  void cancel_timer(consensus::TimerKind t) override;

  // Inputs from the world.
  void on_client_request(const replica::Request& r);
  void on_batch_timer(uint64_t gen);
  void on_forward(NodeId from, ByteView batch);
  void on_resubmit();
  void on_state_request(NodeId from, consensus::Seq k);
  void on_state_response(ByteView body);
  void on_state_retry();
  // Proofs that formed since (World::proof): the proven prefix grows, the protocol hears of it.
  void check_proven();
  bool talks_to(NodeId r) const { return r < peers_.size() && peers_[r]; }
  void set_peers(std::vector<bool> peers) { peers_ = std::move(peers); }
  // The executor was restored from the checkpoint on "disk" (restart): the chain continues there.
  void restored_at(const CkptSnap& s) {
    heads_ = {{s.header.k, ledger::block_hash(s.header)}};
    final_k_ = s.header.k;
    proven_upto_ = s.header.k;  // a stable checkpoint: signed only once its batches were proven
  }

  World& w;
  Node& node;
  uint32_t twin;
  app::kv::KvStore kv;
  replica::Executor ex{kv};
  std::unique_ptr<crypto::Signer> signer;
  std::unique_ptr<crypto::ThresholdSigner> tsigner;
  std::unique_ptr<consensus::Protocol> proto;
  std::array<uint64_t, 3> timer_gen{};
  View view = 0;
  NodeId primary = 0;
  // Messages sent while gate > the disk's synced generation wait for that sync (World::emit):
  // a vote leaves only once the records it rests on are durable.
  uint64_t gate = 0;

 private:
  void request_sync();  // a sync covering every write so far; later messages wait for it
  void close_batch();
  void submit(Bytes batch);
  bool requests_done(const Bytes& batch) const;  // every request executed here (client table)
  void reoffer_after_transfer();
  Bytes mutate(Bytes batch);  // equivocating twin: a different valid batch
  bool checked() const;

  std::vector<bool> peers_;
  std::vector<replica::Request> pending_;
  std::set<std::pair<uint64_t, uint64_t>> pending_keys_;
  uint64_t batch_gen_ = 0;
  bool batch_armed_ = false;
  std::map<Hash32, Bytes> outstanding_;  // batches known here, not executed yet
  std::set<Hash32> submitted_;           // submitted to the protocol in the current view
  std::map<Hash32, NodeId> forwarded_by_;  // outstanding batches others forwarded to us
  std::map<consensus::Seq, Hash32> executed_;
  std::set<Hash32> executed_set_;
  std::map<consensus::Seq, Hash32> heads_;  // ledger head after k (0: the genesis head)
  // Results of executed batches, for the replies a vouching sends (attested): the replica layer
  // signs a CART share over (view, k, results root) for each view it vouches for k in; here a
  // client combines nf matching replies instead, which is the same rule.
  struct Results {
    Hash32 root{};
    Hash32 head{};  // the block hash shares sign
    ledger::Block header;  // what replies carry, so a client can check a proof's block
    std::vector<replica::ReplyEntry> replies;
    std::set<View> views;  // vouched in
  };
  std::map<consensus::Seq, Results> results_;
  std::map<consensus::Seq, CkptSnap> snapshots_;  // checkpoint states
  consensus::Seq final_k_ = 0;                    // final up to here (Env::final, installed states)
  consensus::Seq proven_upto_ = 0;                // a proof exists for every k up to here
  void schedule_proven_check();
  std::optional<std::pair<consensus::Seq, Hash32>> want_state_;  // (k, head)
  std::vector<replica::Request> stash_;  // equivocation material
};

// A strategic Byzantine replica's link to the world (Adversary's host).
class AdversaryLink final : public AdversaryHost {
 public:
  AdversaryLink(World& w, Node& n) : w_(w), n_(n) {}
  void send_consensus(NodeId to, Bytes body) override;
  void send_forward(NodeId to, Bytes batch) override;
  bool up() const override;

 private:
  World& w_;
  Node& n_;
};

struct Node {
  NodeId id = 0;
  bool byzantine = false;
  bool crashy = false;
  Fault behaviour = Fault::crash;
  bool up = true;
  uint64_t epoch = 0;  // bumped by every restart: stale timers are ignored
  std::unique_ptr<AdversaryLink> link;  // for adv
  std::unique_ptr<Adversary> adv;  // a strategic Byzantine replica's tactics (adversary.hpp)
  bool crash_armed = false;        // crash right after its next vote, before the sync covering it
  uint32_t drift_pm = 1000;        // its clock's rate, per mille: timers fire after delay * 1000 / rate
  std::vector<std::unique_ptr<Instance>> inst;
  std::set<NodeId> withheld;
  // The last stable checkpoint, kept "on disk" across crashes, with its certificate when the
  // protocol gave one (empty after a state transfer).
  consensus::Seq durable_k = 0;
  CkptSnap durable_snap;
  consensus::CheckpointCert durable_cert;
  // The protocol's journal (Env::journal_put) and the batches of the blocks it executed (a
  // rolled-back block's batch is set aside, not deleted, until the journal is pruned past it:
  // RestartPoint::batches), "on disk": durable once a sync covers them, lost in a crash before.
  SimDisk disk;
  struct Held {
    uint64_t gen;
    uint32_t to;
    Tag tag;
    Bytes body;
  };
  std::list<Held> held;  // sent behind a sync that has not completed (Instance::gate)
};

struct Client {
  replica::ClientId id = 0;
  std::unique_ptr<replica::ClientSigner> signer;
  uint64_t seq = 0;
  bool waiting = false;
  replica::Request cur;
  uint32_t attempt = 0;
  uint32_t done = 0;
  uint64_t sent_at = 0;
  std::map<std::tuple<View, uint64_t, Hash32, Hash32, Bytes>, std::set<NodeId>> votes;
};

struct TraceEntry {
  uint64_t time;
  EvType type;
  uint32_t a, b;
  uint64_t c, d;
  uint8_t tag;
  uint8_t first;  // first body byte: the message type of most protocols
  uint32_t size;
};

class World {
  friend class AdversaryLink;

 public:
  explicit World(const SimOptions& o);
  SimResult run();

  // Used by instances.
  void schedule(uint64_t at, Event e);
  uint64_t now() const { return now_; }
  void replica_send(Instance& from, NodeId to, Tag tag, Bytes body);
  // with_proof: the reply carries the proof of (view, k, root) (a retry of a final request,
  // answered from the reply cache and the stored block, as the replica process does).
  void send_reply(Instance& from, const replica::ReplyEntry& e, View view, const ledger::Block& header,
                  bool with_proof = false);
  // The view of a proof of execution for block k with this hash, if nf replicas' shares left.
  std::optional<View> proof(consensus::Seq k, const Hash32& head) const;
  // A proof for a block k with this results root: its view and the block's header.
  std::optional<std::pair<View, ledger::Block>> proof_of(consensus::Seq k, const Hash32& root) const;
  bool in_fault_phase() const { return now_ < fault_end_; }
  // The message leaves now, or after the sync its sender is waiting for (Instance::gate).
  void emit(Instance& from, uint32_t to, Tag tag, Bytes body);
  void sync_done(Node& n, uint64_t gen);

  const SimOptions& o;
  consensus::Config cfg;
  Rng rng;
  InvariantChecker checker;
  crypto::FakeKeyring keys;
  crypto::FakeKeyring client_keys;
  replica::ClientVerifierFrom client_verifier;
  std::vector<Node> nodes;
  SimResult res;

 private:
  void setup_faults();
  void start_node(Node& n, bool from_checkpoint);
  void net_send(uint32_t from, uint32_t to, Tag tag, Bytes body);
  void deliver(const Event& e);
  void deliver_to_replica(Node& n, uint32_t from, Tag tag, ByteView body);
  void deliver_to_client(Client& c, uint32_t from, ByteView body);
  void client_next(Client& c);
  void client_timeout(Client& c, uint64_t seq, uint64_t attempt);
  void step(const Event& e);
  Instance* route(Node& n, uint32_t from);
  void trace(const Event& e);
  std::string describe(const TraceEntry& t) const;
  bool all_done() const;
  void check_memory();
  // Fault::isolate: a new view was installed somewhere; the network adversary redraws its cut.
 public:
  void on_view_installed(View v);

 private:
  View cut_view_ = 0;
  std::vector<int> cut_;  // side per replica while a view's cut holds (empty: none)
  // Who executed what, by correct replicas: (k) -> (view, batch) -> replicas. The hostile cut
  // isolates the few that hold a batch the others lack, so the next view forms without them.
  ExecutedBy executed_by_;
 public:
  void on_executed(NodeId r, consensus::Seq k, View v, const Hash32& batch);

 private:
  std::unique_ptr<crypto::Signer> inspector_key_;
  std::unique_ptr<Adversary::Protocol> inspector_;  // reads message types for the cut
  std::unique_ptr<Adversary::Protocol> reader_;     // --verbose: names what each message is
  // Fault::selective before GST: each certificate reaches the audience drawn for it.
  std::map<std::tuple<uint32_t, View, consensus::Seq>, std::set<uint32_t>> cert_audience_;
  void split_twins(Node& n);
  std::optional<Event> crash_all_armed_;  // Fault::crash_all, waiting for the next proof
  std::set<uint64_t> gst_waiting_;  // clients with a request outstanding at GST (recovery_us)
  std::string replica_states() const;

  uint64_t now_ = 0;
  uint64_t order_ = 0;
  uint64_t fault_end_ = 0;
  std::priority_queue<Event, std::vector<Event>, EventLater> q_;
  std::vector<Client> clients_;
  std::vector<int> side_;  // partition side per replica; empty = no partition
  void note_share(uint32_t from, ByteView share);
  // CART shares that left replicas: (k, block hash, view) -> signers.
  std::map<std::tuple<consensus::Seq, Hash32, View>, std::set<NodeId>> shares_;
  std::set<std::pair<consensus::Seq, Hash32>> proofs_seen_;  // reported to the checker
  // (k, results root) -> headers of blocks shares were signed for
  std::map<std::pair<consensus::Seq, Hash32>, std::map<Hash32, ledger::Block>> block_of_root_;
  std::vector<TraceEntry> ring_;
  size_t ring_pos_ = 0;
  uint64_t hash_ = 1469598103934665603ull;
};

}  // namespace rampart::sim::detail
