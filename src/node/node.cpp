#include "node/node.hpp"

#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <ctime>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "app/registry.hpp"
#include "consensus/protocol.hpp"
#include "crypto/merkle.hpp"
#include "gossip/block_announcer.hpp"
#include "keys/key_check.hpp"
#include "keys/secrets.hpp"
#include "keys/threshold_keys.hpp"
#include "ledger/block.hpp"
#include "ledger/genesis.hpp"
#include "ledger/store.hpp"
#include "ledger/verify.hpp"
#include "net/transport.hpp"
#include "node/app_adapter.hpp"
#include "node/client_port.hpp"
#include "node/listener_limits.hpp"
#include "node/metrics.hpp"
#include "node/store_adapter.hpp"
#include "node/wal_syncer.hpp"
#include "replica/batch_auth.hpp"
#include "replica/batcher.hpp"
#include "replica/checkpoints.hpp"
#include "replica/client_auth.hpp"
#include "replica/client_wire.hpp"
#include "replica/executor.hpp"
#include "replica/ingress.hpp"
#include "replica/journal_gate.hpp"
#include "replica/peer_msg.hpp"
#include "replica/proofs.hpp"
#include "replica/rejoin.hpp"
#include "replica/restart.hpp"
#include "replica/state_transfer.hpp"

namespace rampart::node {

using keys::NodeSecrets;
using replica::ClientAuth;
using replica::PeerTag;
using replica::check_batch;
using replica::ShareMsg;
using replica::decode_share;
using replica::encode_share;
using replica::wrap;
using replica::decode_state_req;
using replica::decode_state_resp;
using replica::kBadPeerMsgs;
using replica::recover_from_disk;
using replica::restart_point;
using replica::decode_hello;
using replica::decode_status;
using replica::decode_blocks_req;
using replica::decode_blocks_resp;
using keys::ReplicaCrypto;

namespace {
// The replica's counters (common/metrics_registry.hpp): declared here, counted where they happen,
// exported by MetricsServer with no further code.
using metrics::Declared;
const Declared kBatchesExecuted{"rampart_batches_executed_total",
                  "batches executed"};
const Declared kOpsExecuted{"rampart_ops_executed_total",
                  "operations executed (throughput)"};
const Declared kViewChanges{"rampart_view_changes_total",
                  "view changes"};
const Declared kRollbacks{"rampart_rollbacks_total",
                  "speculative rollbacks"};
const Declared kRequestsOnCertificate{"rampart_requests_executed_on_certificate_total",
                  "requests executed from a batch this replica did not check itself: it arrived with a commit certificate (catch-up)"};
}  // namespace


using consensus::NodeId;
using consensus::Seq;
using consensus::TimerKind;
using consensus::View;
namespace merkle = crypto::merkle;

namespace {
uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}
}  // namespace

// Everything of one replica; all members are touched only on the io_context thread, except
// `metrics` (its own lock) and `io` itself.
class NodeImpl final : public consensus::Env,
                       public replica::ProofHost,
                       public replica::BatcherHost,
                       public replica::JournalHost,
                       public replica::IngressHost,
                       public replica::StateTransferHost,
                       public replica::RejoinHost,
                       public replica::CheckpointHost {
 public:
  explicit NodeImpl(NodeOptions o) : opt(std::move(o)), cfg(opt.config), self(opt.id), batch_timer(io), tick_timer(io) {}

  Status init();
  int run();
  void stop() { io.stop(); }

  // ---- consensus::Env ----
  void send(NodeId to, Bytes msg) override { jgate.send(to, wrap(PeerTag::consensus, msg)); }
  void broadcast(Bytes msg) override { jgate.send(std::nullopt, wrap(PeerTag::consensus, msg)); }
  void journal_put(Seq seq, uint8_t kind, Bytes body) override { jgate.put(seq, kind, body); }
  void journal_put_lazy(Seq seq, uint8_t kind, Bytes body) override { jgate.put_lazy(seq, kind, body); }
  void journal_prune(Seq upto) override;
  bool validate_batch(ByteView batch) override { return bauth->authentic(batch, replica::batch_digest(batch)); }
  consensus::ExecResult execute(Seq k, View v, ByteView batch) override;
  void rollback(Seq k) override;
  void final(Seq k) override;
  void attested(View v, Seq k) override;
  void journal_barrier() override { jgate.barrier(); }
  bool tracks_proofs() const override { return true; }
  void checkpoint_stable(Seq k, const Hash32& head) override;
  void checkpoint_certified(const consensus::CheckpointCert& cert) override;
  void view_changed(View v, NodeId primary) override;
  void view_change_started(View target, const char* reason) override;
  void need_state_transfer(Seq k, const Hash32& head) override { xfer->need(k, head); }
  void set_timer(TimerKind t, uint64_t after_ms) override;
  void cancel_timer(TimerKind t) override;

  // ---- replica::ProofHost ----
  void send_peer(NodeId to, Bytes wire) override { transport->send(to, std::move(wire)); }
  void broadcast_peer(Bytes wire) override { transport->broadcast(std::move(wire)); }
  uint64_t request_sync() override { return syncer->request(); }
  void defer(std::function<void()> f) override { asio::post(io, std::move(f)); }
  uint64_t now_ms() override {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
  }
  std::optional<ledger::Block> stored_block(uint64_t k) override {
    auto b = store->block(k);
    return b ? std::optional<ledger::Block>(std::move(*b)) : std::nullopt;
  }
  uint64_t last_final() override { return store->last_final(); }
  uint64_t last_executed() override { return exec.last_executed(); }
  bool store_proof(uint64_t k, View view, const Bytes& sig) override;
  void deliver_replies(uint64_t k, const replica::BlockProof& b) override;
  void proof_persisted(uint64_t k) override;

  // ---- replica::BatcherHost (send_peer, broadcast_peer, now_ms, defer above) ----
  void submit(Bytes slot) override { proto->submit(std::move(slot)); }
  void arm_batch_timer(uint64_t after_ms) override {
    batch_timer.expires_after(std::chrono::milliseconds(after_ms));
    batch_timer.async_wait([this](const asio::error_code& ec) {
      if (!ec) batcher->on_timer();
    });
  }
  void cancel_batch_timer() override { batch_timer.cancel(); }

  // ---- replica::IngressHost (last_final above) ----
  bool send_to_client(replica::SinkId to, ByteView frame) override { return clients->send(to, frame); }
  void order(replica::Request r) override { batcher->add(std::move(r)); }
  std::optional<replica::Proofs::Answer> answered_block(uint64_t k) override { return proofs->answered(k); }
  uint64_t cpu_now_ns() override { return thread_cpu_ns(); }

  // ---- replica::JournalHost (request_sync above) ----
  bool write_record(Seq seq, uint8_t kind, ByteView body) override;
  void send_now(std::optional<NodeId> to, Bytes wire) override {
    if (to) transport->send(*to, std::move(wire));
    else transport->broadcast(std::move(wire));
  }

  // ---- replica::StateTransferHost (send_peer above) ----
  void arm_state_timer(uint64_t after_ms) override {
    st_timer.expires_after(std::chrono::milliseconds(after_ms));
    st_timer.async_wait([this](const asio::error_code& ec) {
      if (!ec) xfer->on_timer();
    });
  }
  void cancel_state_timer() override { st_timer.cancel(); }
  bool verify_checkpoint(const consensus::CheckpointCert& cert) override { return proto->verify_checkpoint(cert); }
  bool snapshot_matches(ByteView snapshot, const Hash32& digest) override {
    auto scratch_sm = app::make_app(cfg);
    if (!scratch_sm) return false;
    KeyPrefixedApp scratch_app{**scratch_sm};
    replica::Executor scratch{scratch_app};
    return scratch.restore(snapshot).ok() && scratch.state_digest() == digest;
  }
  void old_chain_dropped() override { proofs->clear(); }
  void replayed(uint64_t k) override { ctr.height.store(k); }
  void protocol_transferred(Seq k, const Hash32& head) override;
  void installed(uint64_t k, const Hash32& head) override;

  // ---- replica::RejoinHost (send_peer, broadcast_peer, now_ms, old_chain_dropped above) ----
  void arm_sync_timer(uint64_t after_ms) override {
    sync_timer.expires_after(std::chrono::milliseconds(after_ms));
    sync_timer.async_wait([this](const asio::error_code& ec) {
      if (!ec) rejoin->on_timer();
    });
  }
  void cancel_sync_timer() override { sync_timer.cancel(); }
  void resume(uint64_t target) override;
  void heights_changed() override;
  void abandoning(uint64_t) override { proofs->forget_answered(); }
  void fail_stop() override { io.stop(); }

  // ---- replica::CheckpointHost ----
  void checkpoint_stored(uint64_t k) override { ctr.checkpoint.store(k); }

 private:

  Status recover();
  void on_peer(NodeId from, Bytes msg);
  bool on_client_frame(ClientPort::ConnId c, ByteView frame);
  std::unordered_map<ClientPort::ConnId, replica::Principal> principals;  // who opened each connection
  bool timed_check(ByteView batch);  // check_batch, its thread CPU time counted
  void advance_final();
  void announce_final(uint64_t after, uint64_t upto);  // to the gossip module, if any
  // The protocol hears how far blocks are proven (our final blocks are exactly the proven
  // prefix), outside any call it is making into us.
  void tell_proven();
  uint64_t proven_told = 0;
  bool proven_posted = false;
  void tick();

  NodeOptions opt;
  const ClusterConfig& cfg;
  NodeId self;
  asio::io_context io;
  ClientAuth auth = ClientAuth::ed25519;
  Bytes config_bytes;
  NodeSecrets secrets;
  ReplicaCrypto rc;
  std::unique_ptr<net::Transport> transport;
  std::shared_ptr<net::CounterSet> client_counters = std::make_shared<net::CounterSet>();
  std::unique_ptr<ClientPort> clients;
  std::unique_ptr<ledger::Store> store;
  std::unique_ptr<app::StateMachine> sm = app::make_app(cfg).value();  // cfg.validate() vetted app and admins
  KeyPrefixedApp app{*sm};
  replica::Executor exec{app};
  std::unique_ptr<consensus::Protocol> proto;
  std::unique_ptr<MetricsServer> metrics;
  std::unique_ptr<gossip::BlockAnnouncer> announcer;  // --gossip: final blocks to observers

  asio::steady_timer batch_timer;
  asio::steady_timer tick_timer;
  std::map<TimerKind, std::unique_ptr<asio::steady_timer>> timers;

  std::unique_ptr<replica::Ingress> ingress;  // the direct path: requests in, replies out
  replica::CheckpointKeep ckpts;  // snapshots at checkpoint heights and their certificates
  uint64_t recovered_upto = 0;
  uint64_t final_target = 0;
  std::unique_ptr<replica::Checkpoints> checkpoints;  // stable ones into the ledger
  std::unique_ptr<StoreAdapter> store_view;  // the store as the replica core sees it
  std::unique_ptr<replica::StateTransfer> xfer;
  asio::steady_timer st_timer{io};
  std::unique_ptr<WalSyncer> syncer;
  void on_synced(uint64_t gen, const Status& st);
  // Restart handshake: until it ends (Rejoin::syncing), peer messages for the protocol are held back.
  std::unique_ptr<replica::Rejoin> rejoin;
  std::vector<std::pair<NodeId, Bytes>> held;
  asio::steady_timer sync_timer{io};
  // The protocol's journal (Env::journal_put) and the consensus messages that wait for its sync.
  replica::JournalGate jgate{*this};

  Counters ctr;
  ::rampart::metrics::Registry reg;  // counters, declared at the top of this file (and in the core's)
  std::unique_ptr<replica::Proofs> proofs;  // CART shares, proofs and the DURABLE quorum (after init's crypto)
  std::unique_ptr<replica::BatchAuth> bauth;  // the verified-digest cache over check_batch
  std::unique_ptr<replica::Batcher> batcher;  // adaptive batches, forwarding, bundles
};

// ---------------------------------------------------------------- start-up

Status NodeImpl::init() {
  if (cfg.crypto == "fake" && !opt.allow_fake_crypto)
    return err("config: crypto = \"fake\": every signature can be forged from fake_seed in cluster.toml; refused "
               "(start with --insecure-fake-crypto for tests)");
  auth = opt.client_auth == "none" ? ClientAuth::none : ClientAuth::ed25519;
  const ReplicaEntry* me = cfg.replica(self);
  if (!me) return err("replica id " + std::to_string(self) + " is not in the config");
  auto s = keys::load_secrets(cfg.resolve(me->key_file));
  if (!s) return s.error();
  secrets = std::move(*s);
  if (secrets.id != self || secrets.role != "replica") return err("key file " + me->key_file + " belongs to another node");
  auto c = keys::make_replica_crypto(cfg, secrets);
  if (!c) return c.error();
  rc = std::move(*c);
  RAMPART_TRY(keys::check_keys_match(cfg, self, secrets, rc));
  bauth = std::make_unique<replica::BatchAuth>([this](ByteView b) { return timed_check(b); }, auth != ClientAuth::none, reg);
  replica::Batcher::Params bp;
  bp.self = self;
  bp.batch_size = cfg.batch_size;
  bp.batch_timeout_ms = cfg.batch_timeout_ms;
  bp.view_timeout_ms = cfg.view_timeout_ms;
  bp.window = cfg.window;
  bp.forward_to_all = auth != ClientAuth::none;
  batcher = std::make_unique<replica::Batcher>(bp, *bauth, *this, reg);
  ingress = std::make_unique<replica::Ingress>(*this, exec, auth, reg);
  proofs = std::make_unique<replica::Proofs>(replica::Proofs::Params{self, cfg.n(), cfg.nf(), cfg.window}, *rc.tsigner,
                                             *rc.tverifier, *this, reg);
  config_bytes = ledger::genesis_config(cfg);  // operational fields (hosts, ports, paths) left out

  // Ledger: refuse damaged data rather than serve wrong state.
  std::filesystem::path data = opt.data_dir.empty() ? cfg.resolve(me->data_dir) : opt.data_dir;
  std::error_code ec;
  std::filesystem::create_directories(data.parent_path(), ec);
  auto st = ledger::Store::open(data.string(), config_bytes);
  if (!st) return err("data folder " + data.string() + " cannot be used: " + st.error().message);
  store = std::move(*st);
  store->on_failure([this](const ledger::StorageFailure& f) {  // any thread; run() exits with 4
    spdlog::critical("event=storage_failed reason={} error=\"{}\"", f.disk_full ? "disk_full" : "io_error", f.message);
    asio::post(io, [this] { io.stop(); });
  });
  Bytes genesis_state = exec.snapshot();  // where a fork's rebuild starts
  RAMPART_TRY(recover());
  store_view = std::make_unique<StoreAdapter>(*store);
  checkpoints = std::make_unique<replica::Checkpoints>(*store_view, ckpts, *this);
  xfer = std::make_unique<replica::StateTransfer>(replica::StateTransfer::Params{self, cfg.n()}, *store_view, exec, ckpts,
                                                  *rc.tverifier, *this, reg);
  rejoin = std::make_unique<replica::Rejoin>(replica::Rejoin::Params{self, cfg.n(), cfg.f}, *store_view, exec, ckpts,
                                             *rc.tverifier, std::move(genesis_state), *this, reg);
  syncer = std::make_unique<WalSyncer>([this] { return store->sync(); },
                                       [this](uint64_t gen, Status st) {
                                         asio::post(io, [this, gen, st = std::move(st)] { on_synced(gen, st); });
                                       });

  // Protocol.
  consensus::Config pc;
  pc.n = cfg.n();
  pc.f = cfg.f;
  pc.self = self;
  pc.window = cfg.window;
  pc.checkpoint_interval = cfg.checkpoint_interval;
  pc.view_timeout_ms = cfg.view_timeout_ms;
  pc.max_inflight = static_cast<uint32_t>(std::min<uint64_t>(64, cfg.window));
  consensus::Crypto cc{rc.signer, rc.verifier, rc.tsigner, rc.tverifier};
  proto = cfg.protocol == "pbft" ? consensus::make_pbft(pc, cc, *this) : consensus::make_poe(pc, cc, *this);
  if (!proto) return err("protocol '" + cfg.protocol + "' is not available in this build");

  // Transport.
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
  transport->on_message([this](NodeId from, Bytes m) { on_peer(from, std::move(m)); });
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
  if (!opt.gossip_api.empty()) {
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
  }
  spdlog::info("event=started replica={} n={} f={} protocol={} peer_port={} client_port={} metrics_port={} data={} height={} final={}",
               self, cfg.n(), cfg.f, cfg.protocol, me->peer_port, me->client_port, me->metrics_port, data.string(),
               store->last_block(), store->last_final());
  return {};
}

// Restores the last stable checkpoint's snapshot and replays the final blocks above it; every
// step is checked against the digests stored in the blocks, so damaged data is refused.
Status NodeImpl::recover() {
  const auto& rep = store->open_report();
  if (rep.speculative_count)
    spdlog::warn("event=discarded_speculative first={} count={}", rep.speculative_first, rep.speculative_count);
  auto h = recover_from_disk(*store, exec, *rc.tverifier);
  if (!h) return h.error();
  if (auto cp = store->checkpoint()) ctr.checkpoint.store(cp->k);
  recovered_upto = *h;
  final_target = recovered_upto;
  ctr.height.store(recovered_upto);
  ctr.final_height.store(recovered_upto);
  if (recovered_upto) spdlog::info("event=recovered height={} checkpoint={}", recovered_upto, ctr.checkpoint.load());
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
  rejoin->start();
  tick();
  io.run();
  syncer->stop();
  if (metrics) metrics->stop();
  clients->stop();
  transport->stop();
  if (store->failure()) {
    spdlog::critical("event=stopped height={} exit=4 (storage failed: restart once the disk has room or is fixed)",
                     exec.last_executed());
    return 4;
  }
  spdlog::info("event=stopped height={}", exec.last_executed());
  return 0;
}

// ---------------------------------------------------------------- ingress

// Who opened a client connection is looked up once per connection (a relay check per request
// would cost a hex encoding and a search on the hot path).
bool NodeImpl::on_client_frame(ClientPort::ConnId c, ByteView frame) {
  auto it = principals.find(c);
  if (it == principals.end()) {
    const crypto::ClientKey* k = clients->principal(c);
    if (!k) return false;  // the listener delivers only on an established channel
    it = principals.emplace(c, replica::Principal{client::client_id_of(*k), cfg.is_relay(*k)}).first;
  }
  return ingress->on_frame(c, it->second, frame);
}

bool NodeImpl::timed_check(ByteView batch) {
  if (auth == ClientAuth::none) return check_batch(batch, auth).ok();
  const uint64_t c0 = thread_cpu_ns();
  const bool ok = check_batch(batch, auth).ok();
  reg[replica::kSignatureCheckNs] += thread_cpu_ns() - c0;
  return ok;
}

void NodeImpl::on_peer(NodeId from, Bytes msg) {
  if (msg.empty() || from >= cfg.n()) {
    reg[kBadPeerMsgs]++;
    return;
  }
  ByteView body = ByteView(msg).subspan(1);
  const auto tag = static_cast<PeerTag>(msg[0]);
  if (rejoin->syncing() && (tag == PeerTag::consensus || tag == PeerTag::forward || tag == PeerTag::share || tag == PeerTag::proof ||
                  tag == PeerTag::durable)) {
    // The protocol has not resumed yet: keep what peers send for it (bounded) until it has.
    if (held.size() < 50000) held.push_back({from, std::move(msg)});
    return;
  }
  switch (tag) {
    case PeerTag::consensus:
      proto->on_message(from, body);
      break;
    case PeerTag::forward: {
      const Hash32 d = replica::batch_digest(body);
      if (!bauth->authentic(body, d)) {
        reg[kBadPeerMsgs]++;
        return;
      }
      // A backup's batch for our next bundle; checked above even when we are not the primary
      // (signed batches go to every replica, Batcher::close), so its part of a bundle is not
      // checked again. Not passed on from here: the sender re-sends it to the primary it learns
      // of (view_changed) or hands it to its protocol (Batcher::tick).
      batcher->on_forwarded(body, d);
      break;
    }
    case PeerTag::share: {
      auto s = decode_share(body);
      if (!s) {
        reg[kBadPeerMsgs]++;
        return;
      }
      proofs->on_share(from, std::move(*s));
      break;
    }
    case PeerTag::proof: {
      auto s = decode_share(body);
      if (!s) {
        reg[kBadPeerMsgs]++;
        return;
      }
      proofs->on_proof(from, std::move(*s));
      break;
    }
    case PeerTag::durable: {
      auto s = decode_share(body);
      if (!s || s->share.size() > 1) {
        reg[kBadPeerMsgs]++;
        return;
      }
      proofs->on_durable(from, *s);
      break;
    }
    case PeerTag::state_req: {
      auto q = decode_state_req(body);
      if (!q) {
        reg[kBadPeerMsgs]++;
        return;
      }
      xfer->on_request(from, q->first, q->second);
      break;
    }
    case PeerTag::state_resp: {
      auto s = decode_state_resp(body);
      if (!s) {
        reg[kBadPeerMsgs]++;
        spdlog::warn("event=bad_state_response from={} error=\"{}\"", from, s.error().message);
        return;
      }
      xfer->on_response(from, std::move(*s));
      break;
    }
    case PeerTag::hello: {
      if (!decode_hello(body)) {
        reg[kBadPeerMsgs]++;
        return;
      }
      rejoin->on_hello(from);
      break;
    }
    case PeerTag::status: {
      auto s = decode_status(body);
      if (!s) {
        reg[kBadPeerMsgs]++;
        return;
      }
      rejoin->on_status(from, *s);
      break;
    }
    case PeerTag::blocks_req: {
      auto q = decode_blocks_req(body);
      if (!q) {
        reg[kBadPeerMsgs]++;
        return;
      }
      rejoin->on_blocks_req(from, *q);
      break;
    }
    case PeerTag::blocks_resp: {
      auto r = decode_blocks_resp(body);
      if (!r) {
        reg[kBadPeerMsgs]++;
        spdlog::warn("event=bad_blocks_response from={} error=\"{}\"", from, r.error().message);
        return;
      }
      rejoin->on_blocks_resp(from, std::move(*r));
      break;
    }
    default:
      reg[kBadPeerMsgs]++;
  }
}

// ---------------------------------------------------------------- execution and CART

consensus::ExecResult NodeImpl::execute(Seq k, View v, ByteView batch) {
  const Hash32 batch_d = replica::batch_digest(batch);
  batcher->executed(batch, batch_d);
  if (k <= exec.last_executed()) {
    // Recovered from disk (or installed by state transfer): the stored outcome stands.
    auto b = store->block(k);
    if (!b) {
      spdlog::critical("event=execute_below_recovered k={} error=\"{}\"", k, b.error().message);
      return {};
    }
    if (b->batch_digest != ledger::batch_digest(batch))
      spdlog::error("event=divergent_batch k={} note=\"protocol delivered a different batch than the stored final block\"", k);
    return {b->state_digest, b->results_root, ledger::block_hash(*b)};
  }
  if (k != exec.last_executed() + 1) {
    spdlog::critical("event=execute_gap k={} last_executed={}", k, exec.last_executed());
    return {};
  }
  // A replica that fell behind may learn a batch with its commit certificate (PBFT CATCHUP)
  // instead of through a proposal, and then executes it without checking its signatures itself:
  // the nf replicas that committed it include f + 1 correct ones, and those checked it first.
  // Undecodable bytes execute as an empty batch (Executor::execute); batch_d is already known.
  auto decoded = replica::decode_batch(batch);
  if (auth != ClientAuth::none && decoded && !bauth->known(batch_d)) reg[kRequestsOnCertificate] += bauth->unchecked_requests(batch);
  auto out = exec.execute(k, decoded ? *decoded : replica::Batch{}, batch_d);
  const Hash32 root = out.results_root;

  ledger::Block blk;
  blk.k = k;
  blk.view = v;
  blk.batch_digest = ledger::batch_digest(batch);
  blk.prev_hash = store->last_hash();
  blk.state_digest = out.state_digest;
  blk.results_root = root;
  if (store->last_block() != k - 1) {
    // Left over from a state-transfer edge: drop what is above k-1 so the chain stays dense.
    if (auto t = store->truncate_above(k - 1, false); !t)
      spdlog::critical("event=ledger_truncate_failed k={} error=\"{}\"", k, t.error().message);
    blk.prev_hash = store->last_hash();
  }
  // Not fsync'ed here: the block is synced together with its proof, before any reply.
  if (auto st = store->append_speculative(blk, batch, false); !st)
    spdlog::critical("event=ledger_append_failed k={} error=\"{}\"", k, st.error().message);

  const Hash32 head = ledger::block_hash(blk);
  const size_t ops = out.replies.size();
  if (k % cfg.checkpoint_interval == 0) ckpts.snapshots[k] = {out.state_digest, head, exec.snapshot()};
  proofs->executed(k, v, blk, head, std::move(out.replies), std::move(out.tree));
  ctr.height.store(k);
  reg[kBatchesExecuted]++;
  reg[kOpsExecuted] += ops;
  return {out.state_digest, root, head};
}

// The protocol lets us vouch for our results up to k in view v: sign a share for every executed
// block up to k that is not proven yet and was not signed in v. They leave once a sync covers
// what they vouch for (on_synced).
void NodeImpl::attested(View v, Seq k) {
  if (jgate.failed()) return;  // fail-stop, as for votes
  proofs->attested(v, k);
}

bool NodeImpl::store_proof(uint64_t k, View view, const Bytes& sig) {
  if (auto st = store->set_proof(k, view, sig, false); !st) {
    spdlog::critical("event=ledger_set_proof_failed k={} error=\"{}\"", k, st.error().message);
    return false;
  }
  return true;
}

void NodeImpl::on_synced(uint64_t gen, const Status& st) {
  if (!st) {
    // Nothing is acknowledged without the fsync; the next proof asks for another one.
    spdlog::critical("event=ledger_sync_failed error=\"{}\"", st.error().message);
    return;
  }
  jgate.synced(gen);
  if (proofs->synced(gen)) advance_final();
}

void NodeImpl::proof_persisted(uint64_t k) {
  ctr.proven.store(std::max(ctr.proven.load(), k));
  // The block is final once every block below it is.
  final_target = std::max(final_target, k);
}

void NodeImpl::deliver_replies(uint64_t, const replica::BlockProof& b) { ingress->deliver(b); }

void NodeImpl::advance_final() {
  uint64_t j = store->last_final();
  uint64_t upto = std::min(final_target, store->last_block());
  while (j < upto && proofs->proven(j + 1)) ++j;
  const uint64_t was_final = store->last_final();
  if (j > was_final) {
    if (auto st = store->mark_final(j, false); !st) {
      spdlog::error("event=mark_final_failed k={} error=\"{}\"", j, st.error().message);
      return;
    }
    exec.make_final(j);
    ctr.final_height.store(j);
    tell_proven();
    announce_final(was_final, j);
    proofs->finalized(j);
  }
  if (j < upto) proofs->blocked_at(j + 1);  // our share may have been lost
  checkpoints->try_store();
}

// Final blocks go to the local gossip module, which spreads them to observers; each carries its
// proof, so an observer checks it without trusting us (docs/gossip.md).
void NodeImpl::announce_final(uint64_t after, uint64_t upto) {
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

void NodeImpl::tell_proven() {
  if (proven_posted || store->last_final() <= proven_told) return;
  proven_posted = true;
  asio::post(io, [this] {
    proven_posted = false;
    if (rejoin->syncing() || store->last_final() <= proven_told) return;
    proven_told = store->last_final();
    proto->on_proven(proven_told);
  });
}

void NodeImpl::rollback(Seq k) {
  if (k < store->last_final()) {
    // Proven blocks are never rolled back; if the protocol re-delivers them, execute() answers
    // from the ledger.
    spdlog::warn("event=rollback_below_final k={} final={}", k, store->last_final());
    k = store->last_final();
  }
  if (k >= exec.last_executed()) return;
  spdlog::warn("event=rollback to={} from={}", k, exec.last_executed());
  exec.rollback(k);
  if (auto st = store->truncate_above(k, true); !st)
    spdlog::critical("event=ledger_truncate_failed k={} error=\"{}\"", k, st.error().message);
  proofs->rolled_back(k);
  ckpts.snapshots.erase(ckpts.snapshots.upper_bound(k), ckpts.snapshots.end());
  reg[kRollbacks]++;
  ctr.height.store(k);
}

void NodeImpl::final(Seq k) {
  final_target = std::max(final_target, k);
  advance_final();
}

void NodeImpl::checkpoint_stable(Seq k, const Hash32& head) {
  checkpoints->stable(k, head);
  final_target = std::max(final_target, k);
  advance_final();
}

void NodeImpl::checkpoint_certified(const consensus::CheckpointCert& cert) { checkpoints->certified(cert); }

void NodeImpl::view_change_started(View target, const char* reason) {
  spdlog::info("event=view_change_started target={} reason={}", target, reason);
}

void NodeImpl::view_changed(View v, NodeId p) {
  ctr.view.store(v);
  reg[kViewChanges]++;
  spdlog::info("event=view_changed view={} primary={}", v, p);
  batcher->view_changed(p);
}

// ---------------------------------------------------------------- state transfer (replica/state_transfer.hpp)

// The protocol forgets its pending batches when it installs a transferred state (it cannot tell
// which of them the state holds): batches we had handed it (Batcher::tick) become ours to
// hand it again, after the usual patience, should they still not execute.
void NodeImpl::protocol_transferred(Seq k, const Hash32& head) {
  proto->on_state_transferred(k, head);
  batcher->state_transferred();
}

void NodeImpl::installed(uint64_t k, const Hash32& head) {
  final_target = std::max(final_target, k);
  ctr.height.store(k);
  ctr.final_height.store(k);
  ctr.checkpoint.store(k);
  protocol_transferred(k, head);
  tell_proven();
}

// ---------------------------------------------------------------- protocol journal

bool NodeImpl::write_record(Seq seq, uint8_t kind, ByteView body) {
  if (auto st = store->journal_put(seq, kind, body); !st) {
    spdlog::critical("event=journal_write_failed seq={} error=\"{}\" (this replica stops voting)", seq,
                     st.error().message);
    return false;
  }
  return true;
}

void NodeImpl::journal_prune(Seq upto) {
  if (auto st = store->journal_prune(upto); !st)
    spdlog::error("event=journal_prune_failed upto={} error=\"{}\"", upto, st.error().message);
}

// ---------------------------------------------------------------- restart handshake (replica/rejoin.hpp)

// The ledger reached the height the handshake fixed: the protocol starts there with what it
// journaled, and hears what peers sent it meanwhile.
void NodeImpl::resume(uint64_t target) {
  recovered_upto = store->last_final();
  final_target = std::max(final_target, recovered_upto);
  proto->start();
  auto rp = restart_point(*store, exec, cfg.checkpoint_interval);
  spdlog::info("event=resumed height={} checkpoint={} checkpoint_sigs={} target={} journal_records={}", rp.k,
               rp.checkpoint.k, rp.checkpoint.sigs.size(), target, rp.journal.size());
  if (rp.k > 0 || !rp.journal.empty()) proto->on_restart(rp);
  tell_proven();
  auto h = std::move(held);
  held.clear();
  for (auto& [from, m] : h) on_peer(from, std::move(m));
  batcher->open();
}

void NodeImpl::heights_changed() {
  auto cp = store->checkpoint();
  ctr.checkpoint.store(cp ? cp->k : 0);
  ctr.height.store(exec.last_executed());
  ctr.final_height.store(store->last_final());
}

// ---------------------------------------------------------------- timers, metrics

void NodeImpl::set_timer(TimerKind t, uint64_t after_ms) {
  auto& tm = timers[t];
  if (!tm) tm = std::make_unique<asio::steady_timer>(io);
  tm->expires_after(std::chrono::milliseconds(after_ms));
  tm->async_wait([this, t](const asio::error_code& ec) {
    if (!ec) proto->on_timer(t);
  });
}

void NodeImpl::cancel_timer(TimerKind t) {
  auto it = timers.find(t);
  if (it != timers.end() && it->second) it->second->cancel();
}

void NodeImpl::tick() {
  if (!rejoin->syncing()) {
    proofs->tick();
    batcher->tick();
  }
  if (metrics) {
    auto ps = proto->stats();
    auto tc = transport->counters();
    Snapshot s;
    s.replica = self;
    s.view = ps.view;
    s.is_primary = proto->is_primary();
    s.height = exec.last_executed();
    s.final_height = store->last_final();
    s.checkpoint = ctr.checkpoint.load();
    s.proven = ctr.proven.load();
    s.protocol_rejected = ps.rejected_messages;
    s.peer = tc;
    s.registry = &reg;
    s.client = client_counters->snapshot();
    s.client_connections = clients->connections();
    s.batcher_pending = batcher->pending();
    s.forwarded_pending = batcher->forwarded_pending();
    s.certs_pending = proofs->pending();
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
