#include "node/node.hpp"

#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <cstdlib>
#include <ctime>
#include <map>
#include <unordered_map>

#include "gossip/block_announcer.hpp"
#include "keys/key_check.hpp"
#include "keys/secrets.hpp"
#include "keys/threshold_keys.hpp"
#include "ledger/genesis.hpp"
#include "ledger/store.hpp"
#include "ledger/verify.hpp"
#include "net/transport.hpp"
#include "node/background.hpp"
#include "node/client_port.hpp"
#include "node/listener_limits.hpp"
#include "node/metrics.hpp"
#include "node/read_endpoint.hpp"
#include "node/store_adapter.hpp"
#include "node/wal_syncer.hpp"
#include "replica/client_wire.hpp"
#include "broker/directory_file.hpp"
#include "replica/replica.hpp"

namespace rampart::node {

using consensus::NodeId;

namespace {
uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}
}  // namespace

// The process around one replica core (replica/replica.hpp): keys, the RocksDB ledger and its
// syncer thread, the peer transport, the client port, timers on the io_context, metrics and the
// gossip announcer. Everything is touched only on the io_context thread, except `metrics` (its
// own lock) and `io` itself.
class NodeImpl final : public replica::ReplicaHost {
 public:
  explicit NodeImpl(NodeOptions o) : opt(std::move(o)), cfg(opt.config), self(opt.id), tick_timer(io) {}

  Status init();
  int run();
  void stop() { io.stop(); }

  // ---- replica::ReplicaHost ----
  void send_peer(NodeId to, Bytes wire) override { transport->send(to, liar ? liar->peer(std::move(wire)) : std::move(wire)); }
  void broadcast_peer(Bytes wire) override { transport->broadcast(liar ? liar->peer(std::move(wire)) : std::move(wire)); }
  bool send_to_client(replica::SinkId to, ByteView frame) override {
    return liar ? clients->send(to, liar->reply(frame)) : clients->send(to, frame);
  }
  uint64_t now_ms() override {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
  }
  uint64_t now_us() override {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
  }
  uint64_t cpu_now_ns() override { return thread_cpu_ns(); }
  void set_timer(uint16_t id, uint64_t after_ms) override;
  void cancel_timer(uint16_t id) override;
  void defer(std::function<void()> f) override { asio::post(io, std::move(f)); }
  void background(std::function<bool()> work, std::function<void(bool)> done) override {
    checks->run(std::move(work), std::move(done));
  }
  uint64_t request_sync() override { return syncer->request(); }
  void fail_stop() override { io.stop(); }
  void became_final(uint64_t after, uint64_t upto) override;

 private:
  Status load_keys();
  Status open_ledger();
  Status start_network();
  Status start_gossip();
  bool on_client_frame(ClientPort::ConnId c, ByteView frame);
  void tick();

  NodeOptions opt;
  const ClusterConfig& cfg;
  NodeId self;
  asio::io_context io;
  keys::NodeSecrets secrets;
  keys::ReplicaCrypto rc;
  std::unique_ptr<ledger::Store> store;
  std::unique_ptr<StoreAdapter> store_view;  // the store as the replica core sees it
  std::unique_ptr<WalSyncer> syncer;
  // Background checks (node/background.hpp), nice 5: a third of the event loop's CPU share.
  std::unique_ptr<Background> checks = std::make_unique<Background>(5, [this](std::function<void()> f) { asio::post(io, std::move(f)); });
  ::rampart::metrics::Registry reg;  // counters, declared where the core counts them
  std::unique_ptr<broker::MemoryDirectory> directory;  // cluster.toml `clients`: the broker path's clients
  std::unique_ptr<replica::Replica> core;
  std::unique_ptr<Liar> liar;  // --misbehave only
  std::unique_ptr<net::Transport> transport;
  std::shared_ptr<net::CounterSet> client_counters = std::make_shared<net::CounterSet>();
  std::unique_ptr<ClientPort> clients;
  // Who opened each client connection, looked up once per connection (a relay check per
  // request would cost a hex encoding and a search on the hot path).
  std::unordered_map<ClientPort::ConnId, replica::Principal> principals;
  std::unique_ptr<MetricsServer> metrics;
  std::unique_ptr<gossip::BlockAnnouncer> announcer;  // --gossip: final blocks to observers
  std::unique_ptr<ReadEndpoint> reads;                // --serve-reads: verifiable wallet reads
  std::map<uint16_t, std::unique_ptr<asio::steady_timer>> timers;
  asio::steady_timer tick_timer;
};

// ---------------------------------------------------------------- start-up

Status NodeImpl::init() {
  if (cfg.crypto == "fake" && !opt.allow_fake_crypto)
    return err("config: crypto = \"fake\": every signature can be forged from fake_seed in cluster.toml; refused "
               "(start with --insecure-fake-crypto for tests)");
  RAMPART_TRY(load_keys());
  RAMPART_TRY(open_ledger());
  if (opt.misbehave.any()) {
    liar = std::make_unique<Liar>(opt.misbehave, *rc.tsigner, reg);
    spdlog::warn("event=misbehaving bad_shares={} lie_results={} (a Byzantine replica, for tests)", opt.misbehave.bad_shares,
                 opt.misbehave.lie_results);
  }
  if (!cfg.clients.empty()) {
    // Every proof of possession is checked here (~1.6 ms each): a directory of a million clients
    // takes a while; sign-up through consensus will replace the file (issue 17).
    auto d = broker::load_directory(cfg.resolve(cfg.clients), !opt.trusted_directory);
    if (!d) return err("client directory " + cfg.clients + ": " + d.error().message);
    directory = std::move(*d);
    spdlog::info("event=client_directory clients={}", directory->size());
  }
  replica::ReplicaOptions ro;
  ro.self = self;
  ro.directory = directory.get();
  ro.auth = opt.client_auth == "none" ? replica::ClientAuth::none : replica::ClientAuth::ed25519;
  ro.crypto = consensus::Crypto{rc.signer, rc.verifier, rc.tsigner, rc.tverifier};
  auto c = replica::Replica::create(cfg, std::move(ro), *store_view, *this, reg);
  if (!c) return c.error();
  core = std::move(*c);
  if (store->last_final())
    spdlog::info("event=recovered height={} checkpoint={}", store->last_final(), core->gauges().checkpoint);
  RAMPART_TRY(start_network());
  RAMPART_TRY(start_gossip());
  const ReplicaEntry* me = cfg.replica(self);
  spdlog::info("event=started replica={} n={} f={} protocol={} peer_port={} client_port={} metrics_port={} data={} height={} final={}",
               self, cfg.n(), cfg.f, cfg.protocol, me->peer_port, me->client_port, me->metrics_port, store->path(),
               store->last_block(), store->last_final());
  return {};
}

Status NodeImpl::load_keys() {
  const ReplicaEntry* me = cfg.replica(self);
  if (!me) return err("replica id " + std::to_string(self) + " is not in the config");
  auto s = keys::load_secrets(cfg.resolve(me->key_file));
  if (!s) return s.error();
  secrets = std::move(*s);
  if (secrets.id != self || secrets.role != "replica") return err("key file " + me->key_file + " belongs to another node");
  auto c = keys::make_replica_crypto(cfg, secrets);
  if (!c) return c.error();
  rc = std::move(*c);
  return keys::check_keys_match(cfg, self, secrets, rc);
}

// Refuses damaged data rather than serve wrong state (ledger/store.hpp); the core recovers
// from what this opened (replica/restart.hpp).
Status NodeImpl::open_ledger() {
  const ReplicaEntry* me = cfg.replica(self);
  std::filesystem::path data = opt.data_dir.empty() ? cfg.resolve(me->data_dir) : opt.data_dir;
  std::error_code ec;
  std::filesystem::create_directories(data.parent_path(), ec);
  // Operational fields (hosts, ports, paths) are left out of the genesis configuration.
  ledger::OpenOptions oo;
  // A proof is written before its background check (replica/proofs.hpp): only checked ones
  // make a block final at open.
  oo.proof_ok = [tv = rc.tverifier](const ledger::Block& b) { return ledger::verify_proof(b, *tv).ok(); };
  // Fail-stop on a write error (ledger/fail_stop.hpp): as a crash would, at the error itself, so
  // the WAL syncer cannot touch a failed RocksDB writer. Exit status 4, as below.
  oo.fail_stop = [](const ledger::StorageFailure& f) {
    spdlog::critical("event=storage_failed reason={} error=\"{}\"", f.disk_full ? "disk_full" : "io_error", f.message);
    spdlog::critical("event=stopped exit=4 (storage failed: restart once the disk has room or is fixed)");
    spdlog::default_logger()->flush();
    std::_Exit(4);
  };
  auto st = ledger::Store::open(data.string(), ledger::genesis_config(cfg), oo);
  if (!st) return err("data folder " + data.string() + " cannot be used: " + st.error().message);
  store = std::move(*st);
  store->on_failure([this](const ledger::StorageFailure& f) {  // any thread; run() exits with 4
    spdlog::critical("event=storage_failed reason={} error=\"{}\"", f.disk_full ? "disk_full" : "io_error", f.message);
    asio::post(io, [this] { io.stop(); });
  });
  const auto& rep = store->open_report();
  if (rep.speculative_count)
    spdlog::warn("event=discarded_speculative first={} count={}", rep.speculative_first, rep.speculative_count);
  store_view = std::make_unique<StoreAdapter>(*store);
  syncer = std::make_unique<WalSyncer>([this] { return store->sync(); },
                                       [this](uint64_t gen, Status st) {
                                         asio::post(io, [this, gen, st = std::move(st)] { core->on_synced(gen, st); });
                                       });
  return {};
}

Status NodeImpl::start_network() {
  const ReplicaEntry* me = cfg.replica(self);
  std::vector<net::PeerInfo> peers;
  for (const auto& r : cfg.replicas) {
    net::PeerInfo p;
    p.id = r.id;
    p.host = r.host;
    p.port = r.peer_port;
    std::copy(r.x25519_public.begin(), r.x25519_public.end(), p.static_pk.begin());
    peers.push_back(p);
  }
  auto kp = crypto::ChannelKeypair{};
  std::copy(me->x25519_public.begin(), me->x25519_public.end(), kp.pk.begin());
  std::copy(secrets.x25519_secret.begin(), secrets.x25519_secret.end(), kp.sk.begin());
  transport = std::make_unique<net::Transport>(io, self, peers, kp, peer_options(cfg.limits));
  transport->on_message([this](NodeId from, Bytes m) { core->on_peer(from, std::move(m)); });
  auto lp = transport->listen();
  if (!lp) return err("peer port: " + lp.error().message);

  auto copts = client_options(cfg.limits);
  copts.channel = std::make_shared<const net::ClientChannelKeys>(net::ClientChannelKeys{self, kp});
  clients = std::make_unique<ClientPort>(io, client_counters, std::move(copts));
  clients->on_frame([this](ClientPort::ConnId c, ByteView f) { return on_client_frame(c, f); });
  clients->on_close([this](ClientPort::ConnId c) { principals.erase(c); });
  auto cp = clients->listen(me->host, me->client_port);
  if (!cp) return cp.error();

  if (me->metrics_port != 0) {
    metrics = std::make_unique<MetricsServer>(metrics_options(cfg.limits));
    RAMPART_TRY(metrics->start(me->host, me->metrics_port));
  }
  return {};
}

Status NodeImpl::start_gossip() {
  // Proven reads on the replica's read_port from cluster.toml (where clients look for them), or
  // where --serve-reads says.
  const ReplicaEntry* me = cfg.replica(self);
  std::optional<gossip::Address> serve_at;
  if (!opt.serve_reads.empty()) {
    auto at = gossip::parse_address(opt.serve_reads);
    if (!at) return err("--serve-reads: " + at.error().message);
    serve_at = *at;
  } else if (me->read_port != 0 && cfg.app == "wallet") {
    serve_at = gossip::Address{me->host, me->read_port};
  }
  if (serve_at) {
    gossip::ReadServerOptions so;
    if (liar) so.rewrite = [this](client::ReadResponse& resp) { liar->read(resp); };
    auto r = ReadEndpoint::open(io, cfg, *store, *serve_at, directory.get(), std::move(so));
    if (!r) return err("reads (read_port or --serve-reads): " + r.error().message);
    reads = std::move(*r);
    spdlog::info("event=serving_reads at={} height={}", reads->address().str(), store->last_final());
  }
  if (opt.gossip_api.empty()) return {};
  auto api = gossip::parse_address(opt.gossip_api);
  if (!api) return err("--gossip: " + api.error().message);
  gossip::BlockAnnouncerOptions go;
  go.api = *api;
  go.fetch = [this](uint64_t k) -> Result<std::pair<ledger::Block, Bytes>> {
    if (k == 0 || k > store->last_final()) return err("block " + std::to_string(k) + " is not final here");
    auto b = store->block(k);
    if (!b) return b.error();
    auto batch = store->batch(k);
    if (!batch) return batch.error();
    return std::make_pair(std::move(*b), std::move(*batch));
  };
  go.last_final = [this] { return store->last_final(); };
  announcer = std::make_unique<gossip::BlockAnnouncer>(io, std::move(go));
  announcer->start();
  return {};
}

int NodeImpl::run() {
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([this](const asio::error_code& ec, int sig) {
    if (!ec) spdlog::info("event=stopping signal={}", sig);
    io.stop();
  });
  if (auto s = transport->start(); !s) {
    spdlog::error("event=transport_failed error=\"{}\"", s.error().message);
    return 1;
  }
  core->start();
  tick();
  io.run();
  checks->stop();
  syncer->stop();
  if (metrics) metrics->stop();
  clients->stop();
  transport->stop();
  const uint64_t height = core->executor().last_executed();
  if (store->failure()) {
    spdlog::critical("event=stopped height={} exit=4 (storage failed: restart once the disk has room or is fixed)", height);
    return 4;
  }
  spdlog::info("event=stopped height={}", height);
  return 0;
}

bool NodeImpl::on_client_frame(ClientPort::ConnId c, ByteView frame) {
  auto it = principals.find(c);
  if (it == principals.end()) {
    const crypto::ClientKey* k = clients->principal(c);
    if (!k) return false;  // the listener delivers only on an established channel
    replica::Principal who{client::client_id_of(*k), cfg.is_relay(*k), std::nullopt};
    for (const auto& b : cfg.brokers)
      if (b.ed25519_public.size() == k->size() && std::equal(k->begin(), k->end(), b.ed25519_public.begin())) who.broker = b.id;
    it = principals.emplace(c, who).first;
  }
  return core->on_client_frame(c, it->second, frame);
}

// Final blocks go to the local gossip module, which spreads them to observers; each carries its
// proof, so an observer checks it without trusting us (docs/gossip.md).
void NodeImpl::became_final(uint64_t after, uint64_t upto) {
  if (reads) reads->became_final(after, upto);
  if (!announcer) return;
  for (uint64_t k = after + 1; k <= upto; ++k) {
    auto b = store->block(k);
    auto batch = store->batch(k);
    if (!b || !batch) {
      spdlog::warn("event=gossip_announce_skipped k={}", k);
      continue;
    }
    announcer->announce(*b, *batch);
  }
}

void NodeImpl::set_timer(uint16_t id, uint64_t after_ms) {
  auto& tm = timers[id];
  if (!tm) tm = std::make_unique<asio::steady_timer>(io);
  tm->expires_after(std::chrono::milliseconds(after_ms));
  tm->async_wait([this, id](const asio::error_code& ec) {
    if (!ec) core->on_timer(id);
  });
}

void NodeImpl::cancel_timer(uint16_t id) {
  auto it = timers.find(id);
  if (it != timers.end() && it->second) it->second->cancel();
}

void NodeImpl::tick() {
  core->tick();
  if (metrics) {
    Snapshot s;  // the replica's gauges are in reg, refreshed by core->tick() above
    s.replica = self;
    s.peer = transport->counters();
    s.registry = &reg;
    s.client = client_counters->snapshot();
    s.client_connections = clients->connections();
    for (const auto& r : cfg.replicas)
      if (r.id != self) s.peer_queues.push_back({r.id, transport->queue_depth(r.id), transport->connected(r.id)});
    metrics->update(std::move(s));
  }
  tick_timer.expires_after(std::chrono::milliseconds(200));
  tick_timer.async_wait([this](const asio::error_code& ec) {
    if (!ec) tick();
  });
}

// ---------------------------------------------------------------- Node

Node::Node(std::unique_ptr<NodeImpl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;

Result<std::unique_ptr<Node>> Node::create(NodeOptions opt) {
  auto impl = std::make_unique<NodeImpl>(std::move(opt));
  RAMPART_TRY(impl->init());
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

int Node::run() { return impl_->run(); }
void Node::stop() { impl_->stop(); }

}  // namespace rampart::node
