#pragma once
// The replica core (DESIGN.md §6): everything one replica does between the bytes it receives
// and the bytes it sends, with no socket, thread, clock or disk of its own. The process
// (node/node.cpp: Asio, RocksDB, the WAL syncer) and the simulator (sim/) each plug a
// ReplicaHost and a LedgerStore into the same class, so the simulator's seeds exercise the
// code production runs.
//
// Life of a request: on_client_frame -> Ingress (checks, dedup) -> Batcher (adaptive batches;
// a backup forwards to the primary, which proposes bundles) -> consensus::Protocol orders it ->
// execute(): Executor over the application, block k appended (speculative), our CART share
// broadcast -> Proofs combines nf shares into block k's group signature, which is stored and
// synced -> n - f DURABLE acknowledgements -> Ingress::deliver answers each client (reply sink).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "app/state_machine.hpp"
#include "common/config.hpp"
#include "common/metrics_registry.hpp"
#include "consensus/protocol.hpp"
#include "replica/batch_auth.hpp"
#include "replica/batcher.hpp"
#include "replica/checkpoints.hpp"
#include "replica/deliveries.hpp"
#include "replica/client_auth.hpp"
#include "replica/executor.hpp"
#include "replica/ingress.hpp"
#include "replica/journal_gate.hpp"
#include "replica/ledger_store.hpp"
#include "replica/principal_app.hpp"
#include "replica/proofs.hpp"
#include "replica/rejoin.hpp"
#include "replica/state_transfer.hpp"
#include "replica/timeline.hpp"
#include "replica/witness.hpp"

namespace rampart::replica {

// The core's timers: the protocol's own kinds (consensus::TimerKind, below 100) and these.
enum class Timer : uint16_t { batch = 100, state_transfer = 101, rejoin = 102, proof_checks = 103 };
constexpr uint16_t timer_id(consensus::TimerKind k) { return static_cast<uint16_t>(k); }
constexpr uint16_t timer_id(Timer t) { return static_cast<uint16_t>(t); }

// Everything the core needs from the world around it.
class ReplicaHost {
 public:
  virtual ~ReplicaHost() = default;
  // Peer messages, already wrapped (replica/peer_msg.hpp); best effort, in order per peer.
  virtual void send_peer(consensus::NodeId to, Bytes wire) = 0;
  virtual void broadcast_peer(Bytes wire) = 0;
  // A frame to a client sink (a connection); false if the sink is gone or full.
  virtual bool send_to_client(SinkId to, ByteView frame) = 0;
  virtual uint64_t now_ms() = 0;
  virtual uint64_t now_us() { return now_ms() * 1000; }  // the same clock, finer (the step timeline)
  virtual uint64_t cpu_now_ns() { return 0; }  // this thread's CPU time (sampled check timing)
  // Replica::on_timer(id) after `after_ms`; setting a timer again replaces it.
  virtual void set_timer(uint16_t id, uint64_t after_ms) = 0;
  virtual void cancel_timer(uint16_t id) = 0;
  // Run f once the current event is handled (never inside it).
  virtual void defer(std::function<void()> f) = 0;
  // Work nobody waits for at once (a proof's check, replica/proofs.hpp): the process runs it on
  // a thread below the replica's priority, then done(result) on the core's thread as an event of
  // its own. work must touch nothing the core owns. Default: both as one deferred event.
  virtual void background(std::function<bool()> work, std::function<void(bool)> done) {
    defer([work = std::move(work), done = std::move(done)] { done(work()); });
  }
  // A sync of every ledger write so far; Replica::on_synced(gen, status) once done (gens increase).
  virtual uint64_t request_sync() = 0;
  // The replica must stop: its ledger disagrees with the cluster's in a way only an operator fixes.
  virtual void fail_stop() = 0;
  // Commit event: blocks (after, upto] became final (announce them, count them).
  virtual void became_final(uint64_t /*after*/, uint64_t /*upto*/) {}
};

// What the simulator's checker (and a test) hears of the core's decisions; the process ignores it.
class ReplicaEvents {
 public:
  virtual ~ReplicaEvents() = default;
  virtual void executed(uint64_t /*k*/, consensus::View /*v*/, const ledger::Block& /*blk*/,
                        const std::vector<ReplyEntry>& /*replies*/) {}
  virtual void rolled_back(uint64_t /*k*/) {}
  virtual void finalized(uint64_t /*k*/) {}
  virtual void checkpoint_stable(uint64_t /*k*/, const Hash32& /*head*/) {}
  virtual void state_installed(uint64_t /*k*/, const Hash32& /*head*/) {}
  // A proven block fetched from peers in the restart handshake was replayed (Rejoin).
  virtual void replayed(uint64_t /*k*/, const Hash32& /*head*/) {}
  virtual void view_changed(consensus::View /*v*/, consensus::NodeId /*primary*/) {}
};

using ProtocolFactory =
    std::function<std::unique_ptr<consensus::Protocol>(const consensus::Config&, consensus::Crypto, consensus::Env&)>;

struct ReplicaOptions {
  consensus::NodeId self = 0;
  ClientAuth auth = ClientAuth::ed25519;
  consensus::Crypto crypto;      // the replica's keys (outlive the Replica)
  ProtocolFactory factory;       // empty: by the config's protocol name
  uint32_t max_inflight = 0;     // the protocol's proposals in flight (0: min(64, window))
  ReplicaEvents* events = nullptr;
  // The simulator's self-test of its crash model (sim::Weaken::ungated_votes): votes and shares
  // leave before the records they rest on are durable. Never set in the process.
  bool unsafe_ungated_votes = false;
  // Witness certificates on the direct path (replica/witness.hpp), with client signatures on:
  // f + 1 replicas check each batch instead of n. Off: every replica checks every batch.
  bool witnesses = true;
  // The broker path's genesis client directory (cluster.toml `clients`; outlives the Replica;
  // null: none). Sign-ups executed through consensus extend it (Executor::directory()).
  const broker::Directory* directory = nullptr;
};

// The protocol's configuration for replica `self` of this cluster (max_inflight 0: min(64, window)).
consensus::Config protocol_config(const ClusterConfig& cfg, consensus::NodeId self, uint32_t max_inflight = 0);

class Replica final : public consensus::Env,
                      public ProofHost,
                      public BatcherHost,
                      public JournalHost,
                      public IngressHost,
                      public StateTransferHost,
                      public RejoinHost,
                      public CheckpointHost,
                      public DeliveriesHost {
 public:
  // The store is opened and its genesis checked by the caller; recover() reads it.
  static Result<std::unique_ptr<Replica>> create(const ClusterConfig& cfg, ReplicaOptions opt, LedgerStore& store,
                                                 ReplicaHost& host, metrics::Registry& reg);
  ~Replica() override;

  // Inputs from the host.
  void start();  // the restart handshake first (Rejoin), then the protocol
  void on_peer(consensus::NodeId from, Bytes msg);
  // A frame on client sink `from`, opened by `who`; false: close the sink (not a request at all).
  // A broker's connection carries its distilled batches (first byte broker::ReplicaKind::distilled).
  bool on_client_frame(SinkId from, const Principal& who, ByteView frame) {
    if (!frame.empty() && frame[0] == static_cast<uint8_t>(broker::ReplicaKind::distilled))
      return on_distilled(from, who, frame);
    return ingress_->on_frame(from, who, frame);
  }
  void on_timer(uint16_t id);
  void on_synced(uint64_t gen, const Status& st);
  void tick();  // every ~200 ms: re-sends and hand-overs that wait on time; refreshes the gauges

  // Read-only views for tests, the simulator and logs. Not what /metrics exports: the exported
  // gauges are registry metrics, declared and set in replica.cpp (refresh_gauges).
  struct Gauges {
    consensus::View view = 0;
    bool is_primary = false;
    uint64_t height = 0, final_height = 0, checkpoint = 0, proven = 0, protocol_rejected = 0;
    size_t batcher_pending = 0, forwarded_pending = 0, certs_pending = 0;
  };
  Gauges gauges() const;
  const consensus::Protocol& protocol() const { return *proto_; }
  const Executor& executor() const { return exec_; }
  bool syncing() const { return rejoin_->syncing(); }

  // ---- consensus::Env ----
  void send(consensus::NodeId to, Bytes msg) override;
  void broadcast(Bytes msg) override;
  void journal_put(consensus::Seq seq, uint8_t kind, Bytes body) override { jgate_.put(seq, kind, body); }
  void journal_put_lazy(consensus::Seq seq, uint8_t kind, Bytes body) override { jgate_.put_lazy(seq, kind, body); }
  void journal_prune(consensus::Seq upto) override;
  bool validate_batch(ByteView batch) override;
  consensus::ExecResult execute(consensus::Seq k, consensus::View v, ByteView batch) override;
  void rollback(consensus::Seq k) override;
  void final(consensus::Seq k) override;
  void attested(consensus::View v, consensus::Seq k) override;
  void journal_barrier() override { jgate_.barrier(); }
  bool tracks_proofs() const override { return true; }
  void checkpoint_stable(consensus::Seq k, const Hash32& head) override;
  void checkpoint_certified(const consensus::CheckpointCert& cert) override { checkpoints_->certified(cert); }
  void view_changed(consensus::View v, consensus::NodeId primary) override;
  void view_change_started(consensus::View target, const char* reason) override;
  void need_state_transfer(consensus::Seq k, const Hash32& head) override { xfer_->need(k, head); }
  void set_timer(consensus::TimerKind t, uint64_t after_ms) override { host_.set_timer(timer_id(t), after_ms); }
  void cancel_timer(consensus::TimerKind t) override { host_.cancel_timer(timer_id(t)); }

  // ---- ProofHost ----
  void send_peer(consensus::NodeId to, Bytes wire) override { host_.send_peer(to, std::move(wire)); }
  void broadcast_peer(Bytes wire) override { host_.broadcast_peer(std::move(wire)); }
  uint64_t request_sync() override { return host_.request_sync(); }
  void defer(std::function<void()> f) override { host_.defer(std::move(f)); }
  void background(std::function<bool()> work, std::function<void(bool)> done) override {
    host_.background(std::move(work), std::move(done));
  }
  uint64_t now_ms() override { return host_.now_ms(); }
  void arm_check_timer(uint64_t after_ms) override { host_.set_timer(timer_id(Timer::proof_checks), after_ms); }
  std::optional<ledger::Block> stored_block(uint64_t k) override;
  uint64_t last_final() override { return store_.last_final(); }
  uint64_t last_executed() override { return exec_.last_executed(); }
  bool store_proof(uint64_t k, consensus::View view, const Bytes& sig) override;
  void deliver_replies(uint64_t k, const BlockProof& b) override {
    ingress_->deliver(b);
    timeline_.replied(k, host_.now_us());
    batcher_->answered(k);
  }
  void proof_persisted(uint64_t k) override;
  void finality_may_advance() override;

  // ---- BatcherHost ----
  void submit(Bytes slot) override { proto_->submit(std::move(slot)); }
  uint64_t now_us() override { return host_.now_us(); }
  void arm_batch_timer(uint64_t after_ms) override { host_.set_timer(timer_id(Timer::batch), after_ms); }
  void cancel_batch_timer() override { host_.cancel_timer(timer_id(Timer::batch)); }
  void vouch(const Hash32& d) override { send_witness(opt_.self, d); }

  // ---- IngressHost ----
  bool send_to_client(SinkId to, ByteView frame) override { return host_.send_to_client(to, frame); }
  void order(Request r) override { batcher_->add(std::move(r)); }
  std::optional<Proofs::Answer> answered_block(uint64_t k) override { return proofs_->answered(k); }
  uint64_t cpu_now_ns() override { return host_.cpu_now_ns(); }

  // ---- JournalHost ----
  bool write_record(consensus::Seq seq, uint8_t kind, ByteView body) override;
  void send_now(std::optional<consensus::NodeId> to, Bytes wire) override;

  // ---- StateTransferHost ----
  void arm_state_timer(uint64_t after_ms) override { host_.set_timer(timer_id(Timer::state_transfer), after_ms); }
  void cancel_state_timer() override { host_.cancel_timer(timer_id(Timer::state_transfer)); }
  bool verify_checkpoint(const consensus::CheckpointCert& cert) override { return proto_->verify_checkpoint(cert); }
  bool snapshot_matches(ByteView snapshot, const Hash32& digest) override;
  void old_chain_dropped() override { proofs_->clear(); }
  void replayed(uint64_t k) override;
  void protocol_transferred(consensus::Seq k, const Hash32& head) override;
  void installed(uint64_t k, const Hash32& head) override;

  // ---- RejoinHost ----
  void arm_sync_timer(uint64_t after_ms) override { host_.set_timer(timer_id(Timer::rejoin), after_ms); }
  void cancel_sync_timer() override { host_.cancel_timer(timer_id(Timer::rejoin)); }
  void resume(uint64_t target) override;
  void heights_changed() override;
  void abandoning(uint64_t d) override {
    proofs_->forget_answered();
    deliveries_->rewind(d - 1);
  }
  void fail_stop() override { host_.fail_stop(); }

  // ---- CheckpointHost ----
  void checkpoint_stored(uint64_t k) override { checkpoint_k_ = k; }

 private:
  Replica(const ClusterConfig& cfg, ReplicaOptions opt, LedgerStore& store, ReplicaHost& host, metrics::Registry& reg,
          std::unique_ptr<app::StateMachine> sm);
  Status init();
  bool timed_check(ByteView batch);  // check_part, its thread CPU time counted
  // One part's requests: a plain batch's signatures (check_batch), or a distilled part in full
  // against the directory (with client auth none: its shape only).
  Status check_part(ByteView part, ClientAuth auth) const;
  bool on_distilled(SinkId from, const Principal& who, ByteView frame);
  void refresh_gauges();
  void sign_deliveries();
  void on_forward(consensus::NodeId from, ByteView body);
  // Our witness for origin's batch d, if we are one of its witnesses and had not signed it.
  void send_witness(consensus::NodeId origin, const Hash32& d);
  void advance_final();
  // The protocol hears how far blocks are proven (our final blocks are exactly the proven
  // prefix), outside any call it is making into us.
  void tell_proven();

  const ClusterConfig& cfg_;
  ReplicaOptions opt_;
  LedgerStore& store_;
  ReplicaHost& host_;
  metrics::Registry& reg_;
  std::unique_ptr<app::StateMachine> sm_;
  PrincipalApp app_{*sm_, opt_.auth == ClientAuth::ed25519};
  Executor exec_{app_};
  std::unique_ptr<consensus::Protocol> proto_;
  JournalGate jgate_{*this};  // the protocol's journal and the messages that wait for its sync
  std::unique_ptr<WitnessBook> witnesses_;  // with client signatures and opt_.witnesses
  std::unique_ptr<BatchAuth> bauth_;    // the verified-digest cache over check_batch
  std::unique_ptr<Batcher> batcher_;    // adaptive batches, forwarding, bundles
  std::unique_ptr<Ingress> ingress_;    // the direct path: requests in, replies out
  std::unique_ptr<Proofs> proofs_;      // CART shares, proofs and the DURABLE quorum
  std::unique_ptr<Deliveries> deliveries_;  // brokers' delivery certificates
  Timeline timeline_{reg_};             // where a slot's time goes (bench cluster --timeline)
  CheckpointKeep ckpts_;                // snapshots at checkpoint heights and their certificates
  std::unique_ptr<Checkpoints> checkpoints_;
  std::unique_ptr<StateTransfer> xfer_;
  // Restart handshake: until it ends (Rejoin::syncing), peer messages for the protocol are held back.
  std::unique_ptr<Rejoin> rejoin_;
  std::vector<std::pair<consensus::NodeId, Bytes>> held_;
  uint64_t final_target_ = 0;
  uint64_t checkpoint_k_ = 0, proven_k_ = 0;
  uint64_t proven_told_ = 0;
  bool proven_posted_ = false;
  bool advance_posted_ = false;  // an advance_final() is deferred (finality_may_advance)
};

}  // namespace rampart::replica
