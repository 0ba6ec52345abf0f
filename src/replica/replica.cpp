// The replica core's wiring and its life cycle: construction and recovery, the restart
// handshake's hand-over to the protocol, timers, view changes and state transfer. Execution and
// finality are in replica_execute.cpp, the peer message dispatch in replica_peer.cpp.
#include "replica/replica.hpp"

#include <spdlog/spdlog.h>

#include "app/registry.hpp"
#include "replica/restart.hpp"

namespace rampart::replica {

namespace {
using metrics::Declared;
using metrics::Kind;
const Declared kViewChanges{"rampart_view_changes_total", "view changes"};

// Values read off the replica's state rather than counted as they happen: refresh_gauges() sets
// them every tick. One declaration here and one line there export a new one.
const Declared kView{"rampart_view", "current view", Kind::gauge};
const Declared kIsPrimary{"rampart_is_primary", "1 when this replica leads the current view", Kind::gauge};
const Declared kHeight{"rampart_height", "last executed batch (speculative included)", Kind::gauge};
const Declared kFinalHeight{"rampart_final_height", "last final block in the ledger", Kind::gauge};
const Declared kProvenHeight{"rampart_proven_height", "last block whose proof of execution this replica combined",
                             Kind::gauge};
const Declared kCheckpoint{"rampart_checkpoint", "last stable checkpoint stored", Kind::gauge};
// A counter, but the protocol counts it (consensus::Stats): copied, not added to.
const Declared kProtocolRejected{"rampart_protocol_rejected_messages_total", "consensus messages rejected by the protocol"};
const Declared kBatcherPending{"rampart_batcher_pending", "requests waiting for the batch to close", Kind::gauge};
const Declared kForwardedPending{"rampart_forwarded_pending", "batches forwarded to the primary, not yet executed",
                                 Kind::gauge};
const Declared kCartPending{"rampart_cart_pending", "batches awaiting their reply certificate", Kind::gauge};
const Declared kSignups{"rampart_client_signups", "clients signed up to the broker path's directory (speculative included)",
                        Kind::gauge};
const Declared kFinalSignups{"rampart_client_signups_final",
                             "clients signed up in final blocks: the ones distilled batches are checked against", Kind::gauge};
}  // namespace

consensus::Config protocol_config(const ClusterConfig& cfg, consensus::NodeId self, uint32_t max_inflight) {
  consensus::Config pc;
  pc.n = cfg.n();
  pc.f = cfg.f;
  pc.self = self;
  pc.window = cfg.window;
  pc.checkpoint_interval = cfg.checkpoint_interval;
  pc.view_timeout_ms = cfg.view_timeout_ms;
  pc.mac_variant = cfg.protocol == "poe-mac";
  pc.max_inflight = max_inflight ? max_inflight : static_cast<uint32_t>(std::min<uint64_t>(64, cfg.window));
  return pc;
}

Result<std::unique_ptr<Replica>> Replica::create(const ClusterConfig& cfg, ReplicaOptions opt, LedgerStore& store,
                                                 ReplicaHost& host, metrics::Registry& reg) {
  auto sm = app::make_app(cfg);
  if (!sm) return sm.error();
  if (!opt.crypto.signer || !opt.crypto.verifier || !opt.crypto.tsigner || !opt.crypto.tverifier)
    return err("replica core: keys missing");
  std::unique_ptr<Replica> r(new Replica(cfg, std::move(opt), store, host, reg, std::move(*sm)));
  RAMPART_TRY(r->init());
  return r;
}

Replica::Replica(const ClusterConfig& cfg, ReplicaOptions opt, LedgerStore& store, ReplicaHost& host,
                 metrics::Registry& reg, std::unique_ptr<app::StateMachine> sm)
    : cfg_(cfg), opt_(std::move(opt)), store_(store), host_(host), reg_(reg), sm_(std::move(sm)) {}

Replica::~Replica() = default;

Status Replica::init() {
  const auto self = opt_.self;
  const consensus::Crypto& cc = opt_.crypto;
  exec_.set_directory(opt_.directory);  // before recovery: replayed blocks may hold broker batches
  bauth_ = std::make_unique<BatchAuth>([this](ByteView b) { return timed_check(b); }, opt_.auth != ClientAuth::none, reg_);
  Batcher::Params bp;
  bp.self = self;
  bp.batch_size = cfg_.batch_size;
  bp.batch_timeout_ms = cfg_.batch_timeout_ms;
  bp.view_timeout_ms = cfg_.view_timeout_ms;
  bp.window = cfg_.window;
  bp.n = cfg_.n();
  bp.forward_to_all = opt_.auth != ClientAuth::none;
  if (opt_.auth != ClientAuth::none && opt_.witnesses) {
    witnesses_ = std::make_unique<WitnessBook>(WitnessBook::Params{self, cfg_.n(), cfg_.f}, *cc.signer, *cc.verifier, reg_);
    bauth_->set_witnesses(witnesses_.get());
    bp.witnesses = true;
  }
  batcher_ = std::make_unique<Batcher>(bp, *bauth_, *this, reg_);
  batcher_->set_timeline(&timeline_);
  ingress_ = std::make_unique<Ingress>(*this, exec_, opt_.auth, reg_);
  proofs_ = std::make_unique<Proofs>(Proofs::Params{self, cfg_.n(), cfg_.nf(), cfg_.window, opt_.unsafe_ungated_votes},
                                     *cc.tsigner, *cc.tverifier, *this, reg_);
  if (opt_.unsafe_ungated_votes) jgate_.unsafe_ungate();
  deliveries_ = std::make_unique<Deliveries>(Deliveries::Params{self, cfg_.nf()}, *cc.tsigner, *cc.tverifier, *this, reg_);

  // Restores the last stable checkpoint's snapshot and replays the final blocks above it; every
  // step is checked against the digests stored in the blocks, so damaged data is refused.
  Bytes genesis_state = exec_.snapshot();  // where a fork's rebuild starts
  auto h = recover_from_disk(store_, exec_, *cc.tverifier);
  if (!h) return h.error();
  if (auto cp = store_.checkpoint()) checkpoint_k_ = cp->k;
  final_target_ = *h;
  deliveries_->signed_upto(checkpoint_k_);  // the final blocks above it: signed again at resume()

  checkpoints_ = std::make_unique<Checkpoints>(store_, ckpts_, *this);
  xfer_ = std::make_unique<StateTransfer>(StateTransfer::Params{self, cfg_.n()}, store_, exec_, ckpts_, *cc.tverifier,
                                          *this, reg_);
  rejoin_ = std::make_unique<Rejoin>(Rejoin::Params{self, cfg_.n(), cfg_.f}, store_, exec_, ckpts_, *cc.tverifier,
                                     std::move(genesis_state), *this, reg_);

  const consensus::Config pc = protocol_config(cfg_, self, opt_.max_inflight);
  if (opt_.factory) proto_ = opt_.factory(pc, cc, *this);
  else proto_ = cfg_.protocol == "pbft" ? consensus::make_pbft(pc, cc, *this) : consensus::make_poe(pc, cc, *this);
  if (!proto_) return err("protocol '" + cfg_.protocol + "' is not available in this build");
  return {};
}

void Replica::start() {
  rejoin_->start();
}

Replica::Gauges Replica::gauges() const {
  auto ps = proto_->stats();
  Gauges g;
  g.view = ps.view;
  g.is_primary = proto_->is_primary();
  g.height = exec_.last_executed();
  g.final_height = store_.last_final();
  g.checkpoint = checkpoint_k_;
  g.proven = proven_k_;
  g.protocol_rejected = ps.rejected_messages;
  g.batcher_pending = batcher_->pending();
  g.forwarded_pending = batcher_->forwarded_pending();
  g.certs_pending = proofs_->pending();
  return g;
}

void Replica::on_timer(uint16_t id) {
  switch (id) {
    case timer_id(Timer::batch):
      batcher_->on_timer();
      return;
    case timer_id(Timer::state_transfer):
      xfer_->on_timer();
      return;
    case timer_id(Timer::rejoin):
      rejoin_->on_timer();
      return;
    case timer_id(Timer::proof_checks):
      proofs_->check_overdue();
      return;
    default:
      if (id < 100) proto_->on_timer(static_cast<consensus::TimerKind>(id));
  }
}

void Replica::tick() {
  if (!rejoin_->syncing()) {
    proofs_->tick();
    batcher_->tick();
  }
  refresh_gauges();  // while rejoining too: the heights are what an operator watches then
}

void Replica::refresh_gauges() {
  const auto ps = proto_->stats();
  reg_[kView].set(ps.view);
  reg_[kIsPrimary].set(proto_->is_primary() ? 1 : 0);
  reg_[kHeight].set(exec_.last_executed());
  reg_[kFinalHeight].set(store_.last_final());
  reg_[kProvenHeight].set(proven_k_);
  reg_[kCheckpoint].set(checkpoint_k_);
  reg_[kProtocolRejected].set(ps.rejected_messages);
  reg_[kBatcherPending].set(batcher_->pending());
  reg_[kForwardedPending].set(batcher_->forwarded_pending());
  reg_[kCartPending].set(proofs_->pending());
  reg_[kSignups].set(exec_.directory().signups());
  reg_[kFinalSignups].set(exec_.directory().final_signups());
}

bool Replica::timed_check(ByteView batch) {
  if (opt_.auth == ClientAuth::none) return check_part(batch, opt_.auth).ok();
  const uint64_t c0 = host_.cpu_now_ns();
  const bool ok = check_part(batch, opt_.auth).ok();
  reg_[kSignatureCheckNs] += host_.cpu_now_ns() - c0;
  return ok;
}

void Replica::view_change_started(consensus::View target, const char* reason) {
  spdlog::info("event=view_change_started replica={} target={} reason={}", opt_.self, target, reason);
}

void Replica::view_changed(consensus::View v, consensus::NodeId p) {
  reg_[kViewChanges]++;
  spdlog::info("event=view_changed replica={} view={} primary={}", opt_.self, v, p);
  batcher_->view_changed(p);
  if (opt_.events) opt_.events->view_changed(v, p);
}

// ---------------------------------------------------------------- state transfer (replica/state_transfer.hpp)

bool Replica::snapshot_matches(ByteView snapshot, const Hash32& digest) {
  auto scratch_sm = app::make_app(cfg_);
  if (!scratch_sm) return false;
  PrincipalApp scratch_app{**scratch_sm};
  Executor scratch{scratch_app};
  scratch.set_directory(opt_.directory);  // sign-up ids continue after the genesis directory
  return scratch.restore(snapshot).ok() && scratch.state_digest() == digest;
}

// The protocol forgets its pending batches when it installs a transferred state (it cannot tell
// which of them the state holds): batches we had handed it (Batcher::tick) become ours to
// hand it again, after the usual patience, should they still not execute.
void Replica::protocol_transferred(consensus::Seq k, const Hash32& head) {
  proto_->on_state_transferred(k, head);
  batcher_->state_transferred();
}

void Replica::replayed(uint64_t k) {
  sign_deliveries();
  if (!opt_.events) return;
  if (auto b = store_.block(k)) opt_.events->replayed(k, ledger::block_hash(*b));
}

void Replica::installed(uint64_t k, const Hash32& head) {
  final_target_ = std::max(final_target_, k);
  checkpoint_k_ = k;
  if (opt_.events) opt_.events->state_installed(k, head);
  sign_deliveries();
  protocol_transferred(k, head);
  tell_proven();
}

// ---------------------------------------------------------------- restart handshake (replica/rejoin.hpp)

// The ledger reached the height the handshake fixed: the protocol starts there with what it
// journaled, and hears what peers sent it meanwhile.
void Replica::resume(uint64_t target) {
  final_target_ = std::max(final_target_, store_.last_final());
  proto_->start();
  auto rp = restart_point(store_, exec_, cfg_.checkpoint_interval);
  spdlog::info("event=resumed replica={} height={} checkpoint={} checkpoint_sigs={} target={} journal_records={}",
               opt_.self, rp.k, rp.checkpoint.k, rp.checkpoint.sigs.size(), target, rp.journal.size());
  if (rp.k > 0 || !rp.journal.empty()) proto_->on_restart(rp);
  sign_deliveries();
  tell_proven();
  auto h = std::move(held_);
  held_.clear();
  for (auto& [from, m] : h) on_peer(from, std::move(m));
  batcher_->open();
}

// The restart handshake replayed proven blocks from peers (or rebuilt our chain after a fork).
void Replica::heights_changed() {
  auto cp = store_.checkpoint();
  checkpoint_k_ = cp ? cp->k : 0;
  replayed(store_.last_final());
}

// ---------------------------------------------------------------- protocol journal

bool Replica::write_record(consensus::Seq seq, uint8_t kind, ByteView body) {
  if (auto st = store_.journal_put(seq, kind, body); !st) {
    spdlog::critical("event=journal_write_failed seq={} error=\"{}\" (this replica stops voting)", seq,
                     st.error().message);
    return false;
  }
  return true;
}

void Replica::journal_prune(consensus::Seq upto) {
  if (auto st = store_.journal_prune(upto); !st)
    spdlog::error("event=journal_prune_failed upto={} error=\"{}\"", upto, st.error().message);
}

void Replica::on_synced(uint64_t gen, const Status& st) {
  if (!st) {
    // Nothing is acknowledged without the sync; the next proof asks for another one.
    spdlog::critical("event=ledger_sync_failed error=\"{}\"", st.error().message);
    return;
  }
  jgate_.synced(gen);
  if (proofs_->synced(gen)) advance_final();
}

}  // namespace rampart::replica
