#pragma once
// The simulator's world: every replica is the very
// replica::Replica the process runs, plugged into a virtual network, clock and disk
// (sim/sim_store.hpp) instead of Asio and RocksDB. Clients sign real Ed25519 requests and
// accept an answer only when its CART proof verifies under the group key, as real clients do.
// Faults: crashes (one replica, or all at once) that lose unsynced writes, restarts through the
// restart handshake, partitions, loss, delay, reorder, duplicates, clock drift, and Byzantine
// replicas that are silent, lie in shares and replies, send bad signatures, withhold as
// primary, run as twins (equivocation), or play the strategic adversary's tactics
// (sim/adversary.hpp); the network delivers certificates to chosen replicas (selective) and
// cuts off a few replicas at every new view (isolate). Brokers (sim/brokers.hpp) hand the
// replicas distilled batches on their own connections, some of them lying (Fault::broker).
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/fake.hpp"
#include "replica/replica.hpp"
#include "sim/adversary.hpp"
#include "sim/adversary_protocol.hpp"
#include "sim/brokers.hpp"
#include "sim/draws.hpp"
#include "sim/invariants.hpp"
#include "sim/rng.hpp"
#include "sim/sim_store.hpp"
#include "sim/simulator.hpp"

namespace rampart::sim::core {

using consensus::NodeId;
using consensus::View;
inline constexpr uint64_t kMs = 1000;  // simulated time is in microseconds

enum class Ev : uint8_t {
  deliver, timer, call, sync_done, tick, client_next, client_timer, crash, restart, partition, heal, faults_end,
  crash_all, adversary_tick, broker
};

struct Event {
  uint64_t time = 0, order = 0;
  Ev type = Ev::deliver;
  uint32_t a = 0, b = 0;  // deliver: from, to; replica events: node, twin; client events: client
  uint64_t c = 0, d = 0;  // epochs, generations, timer ids, sequence numbers
  Bytes payload;
  std::function<void()> fn;  // Ev::call
};
struct Later {
  bool operator()(const Event& x, const Event& y) const { return x.time != y.time ? x.time > y.time : x.order > y.order; }
};

class World;
struct Node;

// One replica core with everything around it simulated. A correct replica has one; an
// equivocating one runs two twins with the same keys, each talking to part of the others.
class SimReplica final : public replica::ReplicaHost, public replica::ReplicaEvents {
 public:
  SimReplica(World& w, Node& n, uint32_t twin, std::vector<bool> peers);
  Status start();  // recover from the store, then the restart handshake

  // replica::ReplicaHost
  void send_peer(NodeId to, Bytes wire) override;
  void broadcast_peer(Bytes wire) override;
  bool send_to_client(replica::SinkId to, ByteView frame) override;
  uint64_t now_ms() override;
  void set_timer(uint16_t id, uint64_t after_ms) override;
  void cancel_timer(uint16_t id) override;
  void defer(std::function<void()> f) override;
  void background(std::function<bool()> work, std::function<void(bool)> done) override;
  uint64_t request_sync() override;
  void fail_stop() override;

  // replica::ReplicaEvents: reported to the invariant checker
  void executed(uint64_t k, View v, const ledger::Block& blk, const std::vector<replica::ReplyEntry>& replies) override;
  void rolled_back(uint64_t k) override;
  void finalized(uint64_t k) override;
  void checkpoint_stable(uint64_t k, const Hash32& head) override;
  void state_installed(uint64_t k, const Hash32& head) override;
  void replayed(uint64_t k, const Hash32& head) override;
  void view_changed(View v, NodeId primary) override;

  bool talks_to(NodeId r) const { return r < peers_.size() && peers_[r]; }
  void set_peers(std::vector<bool> p) { peers_ = std::move(p); }
  bool checked() const;  // reported to the checker: correct replicas' first twin
  void fire_timer(uint16_t id, uint64_t gen);
  std::vector<std::pair<uint64_t, Hash32>> brokered_payloads(uint64_t k, const std::vector<replica::ReplyEntry>& replies);

  World& w;
  Node& node;
  const uint32_t twin;

 private:
  std::unique_ptr<SimStore> own_store_;  // a twin's second ledger (only the first writes the node's)

 public:
  SimStore& store;

 private:
  std::vector<bool> peers_;
  std::unique_ptr<crypto::Signer> signer_;
  std::unique_ptr<crypto::ThresholdSigner> tsigner_;
  metrics::Registry reg_;
  std::map<uint16_t, uint64_t> timer_gen_;
  std::set<uint64_t> vouched_;  // blocks we sent a share for (rollbacks of them are counted)
  uint64_t height_ = 0;         // the last block executed, installed or replayed

 public:
  // Last, so it goes first: the core holds references to the keys and registry above.
  std::unique_ptr<replica::Replica> core;
};

struct Node {
  NodeId id = 0;
  bool byzantine = false;
  Fault behaviour = Fault::crash;
  bool up = true;
  uint64_t epoch = 0;         // bumped by every crash and restart: stale events are ignored
  bool crash_armed = false;   // crash right after its next sync request, before the sync completes
  uint32_t drift_pm = 1000;   // its clock's rate, per mille
  std::set<NodeId> withheld;  // Fault::withhold: as primary, sends these nothing
  std::unique_ptr<SimStore> store;
  std::vector<std::unique_ptr<SimReplica>> inst;
  // A strategic Byzantine replica (sim/adversary.hpp): the honest core's consensus messages go
  // through its tactics, and it sends messages of its own choosing.
  std::unique_ptr<detail::AdversaryHost> link;
  std::unique_ptr<detail::Adversary> adv;
};

class Link final : public detail::AdversaryHost {
 public:
  Link(World& w, Node& n);
  void send_consensus(NodeId to, Bytes body) override;
  void send_forward(NodeId to, Bytes batch) override;
  bool up() const override;

 private:
  World& w_;
  Node& n_;
};

struct Client {
  uint32_t index = 0;
  replica::ClientId id = 0;
  std::optional<crypto::ed25519::KeyPair> key;
  uint64_t seq = 0;
  bool waiting = false;
  Bytes frame;  // the current request
  uint32_t attempt = 0;
  uint32_t done = 0;
  uint64_t sent_at = 0;
  bool signup = false;  // the current request signs the client up
  std::optional<uint32_t> signed_up_id;  // the id a proven sign-up of its key returned
};

class World {
 public:
  explicit World(const SimOptions& o);
  SimResult run();

  // Used by the replicas.
  void schedule(uint64_t at, Event e);
  uint64_t now() const { return now_; }
  void replica_send(SimReplica& from, NodeId to, Bytes wire);  // Byzantine filters, then the network
  void reply_send(SimReplica& from, replica::SinkId to, ByteView frame);
  void on_view_installed(View v);
  void on_executed(NodeId r, uint64_t k, View v, const ledger::Block& blk);
  void fail_stopped(NodeId r);
  // The broker path's client directory (sim/brokers.hpp); nullptr without brokers.
  const broker::Directory* broker_directory() const { return brokers_ ? brokers_->directory() : nullptr; }
  // The slot of block k from the ledger of a correct replica that holds it final (its disk as
  // it stands: a crash keeps what was synced), if any does. The checker learns final blocks
  // from executions; a block a replica recovered from disk, replayed from peers or installed
  // by state transfer is final there without one.
  std::optional<Bytes> final_slot(uint64_t k) const;
  void note_distilled(uint64_t k, ByteView slot, const std::vector<replica::DistilledRef>& refs) {
    if (brokers_) brokers_->executed(k, slot, refs);
  }

  const SimOptions& o;
  ClusterConfig cfg;
  Rng rng;
  InvariantChecker checker;
  crypto::FakeKeyring keys;
  std::vector<Node> nodes;
  SimResult res;

 private:
  void setup_faults();
  void make_adversary(Node& n, FaultSet tactics);
  friend class Link;
  friend class Brokers;
  void start_node(Node& n);
  void crash_node(Node& n);
  void net_send(uint32_t from, uint32_t to, Bytes payload);
  bool adversary_lets_in(Node& n, uint32_t from, ByteView payload);
  void note_share(uint32_t from, ByteView body);
  void deliver(const Event& e);
  void deliver_to_client(Client& c, ByteView frame);
  SimReplica* route(Node& n, uint32_t from);
  void split_twins(Node& n);
  void client_next(Client& c);
  void client_timeout(Client& c, uint64_t seq, uint64_t attempt);
  void step(const Event& e);
  void trace(const Event& e);
  bool all_done() const;
  void check_memory();
  std::string replica_states() const;
  bool in_fault_phase() const { return now_ < fault_end_; }

  uint64_t now_ = 0, order_ = 0, fault_end_ = 0;
  std::priority_queue<Event, std::vector<Event>, Later> q_;
  std::vector<Client> clients_;
  std::unique_ptr<Brokers> brokers_;  // the simulated brokers (SimOptions::brokers), if any
  std::vector<int> side_;  // partition side per replica; empty: none
  View cut_view_ = 0;
  std::vector<int> cut_;   // Fault::isolate: the view's cut
  // Fault::selective and Fault::isolate read consensus messages (certificates, view changes):
  // a tactics instance with a key that signs nothing.
  std::unique_ptr<crypto::Signer> inspector_key_;
  std::unique_ptr<detail::Adversary::Protocol> inspector_;
  // Fault::selective: per (sender, view, k), the replicas its certificate reaches.
  std::map<std::tuple<uint32_t, View, uint64_t>, std::set<uint32_t>> cert_audience_;
  ExecutedBy executed_by_;
  // Shares that left replicas: (k, block hash, view) -> signers; and the blocks executed, by hash.
  std::map<std::tuple<uint64_t, Hash32, View>, std::set<NodeId>> shares_;
  std::set<std::pair<uint64_t, Hash32>> proofs_seen_;
  std::map<Hash32, Hash32> root_of_block_;
  std::optional<Event> crash_all_armed_;
  std::set<uint32_t> gst_waiting_;
  struct Traced {
    uint64_t time;
    Ev type;
    uint32_t a, b;
    uint64_t c, d;
    uint8_t first;  // a delivery's first byte: the peer tag (client frames: the client tag)
    uint32_t size;
  };
  std::string describe(const Traced& t) const;
  std::vector<Traced> ring_;
  size_t ring_pos_ = 0;
  uint64_t hash_ = 1469598103934665603ull;
};

SimResult run(const SimOptions& o);

}  // namespace rampart::sim::core
