#pragma once
// Four replica cores in one process over a fake network and clock (no sockets, no sleeps), and
// the broker path's helpers: clients with keys, a broker's distilled batch, the certificates the
// replicas sent. Shared by broker_path_test.cpp and signup_path_test.cpp.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <queue>
#include <set>

#include "app/kv/op.hpp"
#include "app/wallet/op.hpp"
#include "broker/directory.hpp"
#include "broker/entries.hpp"
#include "broker/replica_wire.hpp"
#include "broker/verify.hpp"
#include "crypto/bls.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/fake.hpp"
#include "ledger/block.hpp"
#include "ledger/genesis.hpp"
#include "mem_store.hpp"
#include "metric_value.hpp"
#include "replica/client_wire.hpp"
#include "replica/distilled.hpp"
#include "replica/replica.hpp"

namespace rampart::replica::testing_cluster {

inline constexpr uint32_t kN = 4;

// A direct-path client signing its requests with its Ed25519 key pair.
struct Ed25519Signer final : ClientSigner {
  explicit Ed25519Signer(const crypto::ed25519::KeyPair& k) : kp(k) {}
  Bytes sign(ByteView msg) const override {
    const auto s = kp.sign(msg);
    return Bytes(s.begin(), s.end());
  }
  const crypto::ed25519::KeyPair& kp;
};

struct Clients {
  std::vector<crypto::bls::SecretKey> bls;
  std::vector<crypto::ed25519::KeyPair> ed;
  broker::MemoryDirectory dir;
  explicit Clients(uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      Bytes seed(32, static_cast<uint8_t>(i + 1));
      bls.push_back(*crypto::bls::SecretKey::from_seed(seed));
      ed.push_back(*crypto::ed25519::KeyPair::from_seed(seed));
      dir.add_trusted(i, {ed.back().public_key(), crypto::bls::public_key(bls.back())});
    }
  }
  ClientId principal(uint32_t i) const { return client::client_id_of(ed[i].public_key()); }
};

// A batch the way a broker distils it: every client but the stragglers signs the root with BLS
// (aggregated), each straggler keeps its own seq and Ed25519 signature.
inline broker::DistilledBatch distil(const Clients& c, uint32_t broker_id, uint64_t number, uint64_t raise,
                              const std::vector<uint32_t>& ids, const std::string& tag,
                              const std::map<uint32_t, uint64_t>& stragglers = {}) {
  broker::DistilledBatch b;
  b.broker = broker_id;
  b.number = number;
  b.raise = raise;
  for (uint32_t id : ids) b.entries.push(id, app::kv::encode_op(app::kv::put("k" + std::to_string(id), tag)));
  for (auto [id, seq] : stragglers) {
    broker::Straggler s;
    s.id = id;
    s.seq = seq;
    const long i = b.entries.find(id);
    const auto sig = c.ed[id].sign(broker::submit_statement(id, seq, b.entries.payload(i)));
    std::copy(sig.begin(), sig.end(), s.sig.begin());
    b.stragglers.push_back(s);
  }
  const Hash32 root = broker::batch_roots(b).root;
  std::vector<crypto::bls::Signature> sigs;
  for (uint32_t id : ids)
    if (!stragglers.count(id)) sigs.push_back(crypto::bls::sign(c.bls[id], broker::reduce_statement(root)));
  if (!sigs.empty()) {
    b.has_aggregate = true;
    b.aggregate = crypto::bls::aggregate_signatures(sigs)->to_bytes();
  }
  return b;
}

class MiniCluster;

class Host final : public ReplicaHost {
 public:
  Host(MiniCluster& w, uint32_t id) : w_(w), id_(id) {}
  void send_peer(consensus::NodeId to, Bytes wire) override;
  void broadcast_peer(Bytes wire) override {
    for (uint32_t p = 0; p < kN; ++p)
      if (p != id_) send_peer(p, wire);
  }
  bool send_to_client(SinkId to, ByteView frame) override;
  uint64_t now_ms() override;
  uint64_t now_us() override;
  void set_timer(uint16_t id, uint64_t after_ms) override;
  void cancel_timer(uint16_t id) override { ++gen_[id]; }
  void defer(std::function<void()> f) override;
  // Counted, then as the default does (one deferred event).
  void background(std::function<bool()> work, std::function<void(bool)> done) override {
    ++background_jobs;
    ReplicaHost::background(std::move(work), std::move(done));
  }
  uint64_t request_sync() override;
  void fail_stop() override { failed = true; }

  uint64_t background_jobs = 0;  // proof checks this replica ran (replica/proofs.hpp)

  std::unique_ptr<testing::MemStore> store;
  std::unique_ptr<Replica> core;
  metrics::Registry reg;
  bool failed = false;
  // While frozen, syncs never complete (so nothing becomes final here); thaw() completes them.
  bool sync_frozen = false;
  std::vector<uint64_t> frozen_syncs;
  void thaw() {
    sync_frozen = false;
    for (uint64_t g : frozen_syncs) core->on_synced(g, {});
    frozen_syncs.clear();
  }

 private:
  MiniCluster& w_;
  uint32_t id_;
  std::map<uint16_t, uint64_t> gen_;
  uint64_t sync_gen_ = 0;
};

struct Frame {
  uint32_t replica;
  SinkId sink;
  Bytes bytes;
};

class MiniCluster {
 public:
  explicit MiniCluster(const broker::Directory* dir, const std::string& protocol = "poe", const std::string& app = "kv",
                       std::vector<std::string> admins = {},
                       const std::function<void(ClusterConfig&)>& tweak = {})
      : keys_(kN, kN - 1, 11) {
    cfg.f = 1;
    cfg.protocol = protocol;
    cfg.admin_accounts = std::move(admins);
    for (uint32_t i = 0; i < kN; ++i) {
      ReplicaEntry r;
      r.id = i;
      cfg.replicas.push_back(r);
    }
    cfg.crypto = "fake";
    cfg.app = app;
    if (tweak) tweak(cfg);
    const Bytes genesis = ledger::genesis_config(cfg);
    for (uint32_t i = 0; i < kN; ++i) {
      hosts_.push_back(std::make_unique<Host>(*this, i));
      Host& h = *hosts_.back();
      h.store = std::make_unique<testing::MemStore>(ledger::genesis_block(genesis), genesis);
      signers_.push_back(keys_.signer(i));
      tsigners_.push_back(keys_.threshold_signer(i));
      ReplicaOptions ro;
      ro.self = i;
      ro.auth = ClientAuth::ed25519;
      ro.crypto = consensus::Crypto{signers_.back().get(), &keys_.verifier(), tsigners_.back().get(),
                                    &keys_.threshold_verifier()};
      ro.directory = dir;
      auto c = Replica::create(cfg, std::move(ro), *h.store, h, h.reg);
      EXPECT_TRUE(c) << (c ? "" : c.error().message);
      h.core = std::move(*c);
    }
    for (auto& h : hosts_) h->core->start();
    tick();
    // The restart handshake first: until it ends a replica's batcher takes nothing.
    EXPECT_TRUE(run_until([this] {
      for (auto& h : hosts_)
        if (h->core->syncing()) return false;
      return true;
    }));
  }

  Replica& core(uint32_t i) { return *hosts_[i]->core; }
  Host& host(uint32_t i) { return *hosts_[i]; }
  const crypto::ThresholdVerifier& group() const { return keys_.threshold_verifier(); }

  void at(uint64_t when_us, std::function<void()> fn) { q_.push({when_us, order_++, std::move(fn)}); }
  uint64_t now_us() const { return now_us_; }

  // Runs events until done() holds or the simulated time passes limit_ms.
  bool run_until(const std::function<bool()>& done, uint64_t limit_ms = 20000) {
    const uint64_t end = now_us_ + limit_ms * 1000;
    while (!done()) {
      if (q_.empty() || q_.top().at > end) return false;
      auto e = q_.top();
      q_.pop();
      now_us_ = std::max(now_us_, e.at);
      e.fn();
    }
    return true;
  }

  std::vector<Frame> frames;  // what the replicas sent to client sinks
  // Replicas whose peer messages (both ways) are lost while set: a partition.
  std::set<uint32_t> cut;
  // A peer message (from, to, wrapped bytes) this returns true for is lost: a replica that
  // withholds one kind of message while taking part in the rest.
  std::function<bool(uint32_t, uint32_t, const Bytes&)> drop;
  // Rewrites a peer message (from, to, wrapped bytes) before it leaves: a replica that lies.
  std::function<void(uint32_t, uint32_t, Bytes&)> tamper;
  ClusterConfig cfg;

 private:
  void tick() {
    for (auto& h : hosts_) h->core->tick();
    at(now_us_ + 200000, [this] { tick(); });
  }
  struct Ev {
    uint64_t at, order;
    std::function<void()> fn;
    bool operator>(const Ev& o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  crypto::FakeKeyring keys_;
  std::vector<std::unique_ptr<crypto::Signer>> signers_;
  std::vector<std::unique_ptr<crypto::ThresholdSigner>> tsigners_;
  std::vector<std::unique_ptr<Host>> hosts_;
  std::priority_queue<Ev, std::vector<Ev>, std::greater<Ev>> q_;
  uint64_t now_us_ = 1000000;
  uint64_t order_ = 0;
};

inline void Host::send_peer(consensus::NodeId to, Bytes wire) {
  if (to == id_ || w_.cut.count(to) || w_.cut.count(id_)) return;
  if (w_.drop && w_.drop(id_, to, wire)) return;
  if (w_.tamper) w_.tamper(id_, to, wire);
  w_.at(w_.now_us() + 200, [this, to, wire = std::move(wire)]() mutable { w_.core(to).on_peer(id_, std::move(wire)); });
}
inline bool Host::send_to_client(SinkId to, ByteView frame) {
  w_.frames.push_back({id_, to, Bytes(frame.begin(), frame.end())});
  return true;
}
inline uint64_t Host::now_ms() { return w_.now_us() / 1000; }
inline uint64_t Host::now_us() { return w_.now_us(); }
inline void Host::set_timer(uint16_t id, uint64_t after_ms) {
  const uint64_t g = ++gen_[id];
  w_.at(w_.now_us() + after_ms * 1000, [this, id, g] {
    if (gen_[id] == g) core->on_timer(id);
  });
}
inline void Host::defer(std::function<void()> f) { w_.at(w_.now_us(), std::move(f)); }
inline uint64_t Host::request_sync() {
  const uint64_t g = ++sync_gen_;
  if (sync_frozen) {
    frozen_syncs.push_back(g);
    return g;
  }
  w_.at(w_.now_us() + 300, [this, g] { core->on_synced(g, {}); });
  return g;
}

inline constexpr SinkId kBrokerSink = 77;
inline Principal broker_principal(uint32_t b) { return Principal{1234, true, b}; }

inline std::optional<broker::DeliveryCert> delivered(const MiniCluster& w, uint32_t broker_id, uint64_t number) {
  for (const auto& f : w.frames) {
    if (f.sink != kBrokerSink) continue;
    auto m = broker::decode_replica_message(f.bytes);
    if (!m) continue;
    if (auto* d = std::get_if<broker::Delivered>(&*m); d && d->cert.broker == broker_id && d->cert.number == number)
      return d->cert;
  }
  return std::nullopt;
}

}  // namespace rampart::replica::testing_cluster
