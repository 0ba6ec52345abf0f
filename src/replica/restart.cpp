#include "replica/restart.hpp"

#include <algorithm>
#include <string>

#include "common/codec.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/fake.hpp"
#include "ledger/verify.hpp"

namespace rampart::replica {

namespace {
// S: ledger::Store or LedgerStore (the same reads).
template <typename S>
Result<uint64_t> recover(const S& store, replica::Executor& exec, const crypto::ThresholdVerifier& tv) {
  uint64_t from = 1;
  if (auto cp = store.checkpoint()) {
    auto snap = store.snapshot();
    if (!snap) return err("data folder corrupted: " + snap.error().message);
    if (!*snap) return err("data folder corrupted: checkpoint at " + std::to_string(cp->k) + " without its snapshot");
    if ((*snap)->k != cp->k) return err("data folder corrupted: snapshot does not match the checkpoint");
    if (auto r = exec.restore((*snap)->state); !r) return err("data folder corrupted: snapshot: " + r.error().message);
    if (exec.state_digest() != cp->state_digest)
      return err("data folder corrupted: snapshot digest does not match the checkpoint");
    from = cp->k + 1;
  }
  for (uint64_t k = from; k <= store.last_final(); ++k) {
    auto b = store.block(k);
    if (!b) return err("data folder corrupted: " + b.error().message);
    auto batch = store.batch(k);
    if (!batch) return err("data folder corrupted: " + batch.error().message);
    auto out = exec.execute(k, *batch);
    if (out.state_digest != b->state_digest)
      return err("data folder corrupted: replaying block " + std::to_string(k) + " does not reproduce its state digest");
    if (auto r = ledger::verify_proof(*b, tv); !r) return err("data folder corrupted: " + r.error().message);
    exec.make_final(k);
  }
  // The protocol's journal is read again at resume; a replica that cannot read what it voted
  // must not vote again.
  if (auto j = store.journal(); !j) return err("data folder corrupted: " + j.error().message);
  return store.last_final();
}
}  // namespace

Result<uint64_t> recover_from_disk(const LedgerStore& store, replica::Executor& exec,
                                   const crypto::ThresholdVerifier& tv) {
  return recover(store, exec, tv);
}

consensus::RestartPoint restart_point(const LedgerStore& store, const replica::Executor& exec,
                                      uint64_t checkpoint_interval) {
  consensus::RestartPoint rp;
  rp.k = exec.last_executed();
  if (auto b = store.block(rp.k)) rp.head = ledger::block_hash(*b);
  if (auto cp = store.checkpoint(); cp && cp->k <= rp.k) {
    rp.checkpoint.k = cp->k;
    rp.checkpoint.view = cp->view;
    rp.checkpoint.head = cp->head;
    rp.checkpoint.sigs = cp->signatures;
  }
  if (auto j = store.journal(); j) {
    for (auto& e : *j) rp.journal.push_back({e.seq, e.kind, std::move(e.body)});
  }
  for (uint64_t k = rp.checkpoint.k + 1; k <= store.last_block(); ++k) {
    if (auto b = store.batch(k)) rp.batches.push_back({k, std::move(*b)});
  }
  if (auto a = store.set_aside_batches()) {
    for (auto& b : *a) {
      if (b.k > rp.checkpoint.k) rp.batches.push_back({b.k, std::move(b.batch)});
    }
  }
  if (checkpoint_interval > 0) {
    uint64_t first = (rp.checkpoint.k / checkpoint_interval + 1) * checkpoint_interval;
    for (uint64_t j = first; j <= rp.k; j += checkpoint_interval) {
      auto b = store.block(j);
      if (b) rp.checkpoint_heads.push_back({j, ledger::block_hash(*b)});
    }
  }
  return rp;
}

Status check_offered_checkpoint(const consensus::Protocol& proto, const ledger::CheckpointRecord& rec,
                                uint64_t want_k, const Hash32& want_head) {
  return check_offered_checkpoint([&proto](const consensus::CheckpointCert& c) { return proto.verify_checkpoint(c); },
                                  rec, want_k, want_head);
}

Status check_offered_checkpoint(const CheckpointVerifier& verify, const ledger::CheckpointRecord& rec,
                                uint64_t want_k, const Hash32& want_head) {
  if (rec.k != want_k || rec.head != want_head)
    return err("checkpoint " + std::to_string(rec.k) + " is not the stable checkpoint " + std::to_string(want_k) +
               " we need");
  if (!verify({rec.k, rec.view, rec.head, rec.signatures}))
    return err("checkpoint " + std::to_string(rec.k) + ": certificate does not verify (" +
               std::to_string(rec.signatures.size()) + " signatures)");
  return {};
}

Status check_offered_blocks(const ledger::Block& prev, const std::vector<ledger::Block>& blocks,
                            const std::vector<Bytes>& batches, const crypto::ThresholdVerifier& tv) {
  if (blocks.size() != batches.size()) return err("blocks and batches differ in number");
  const ledger::Block* p = &prev;
  for (size_t i = 0; i < blocks.size(); ++i) {
    RAMPART_TRY(ledger::verify_next(*p, blocks[i], batches[i], tv));
    p = &blocks[i];
  }
  return {};
}

namespace {
// A protocol instance used only to verify checkpoint certificates: it never runs.
struct InertEnv final : consensus::Env {
  void send(consensus::NodeId, Bytes) override {}
  void broadcast(Bytes) override {}
  bool validate_batch(ByteView) override { return false; }
  consensus::ExecResult execute(consensus::Seq, consensus::View, ByteView) override { return {}; }
  void rollback(consensus::Seq) override {}
  void final(consensus::Seq) override {}
  void checkpoint_stable(consensus::Seq, const Hash32&) override {}
  void view_changed(consensus::View, consensus::NodeId) override {}
  void set_timer(consensus::TimerKind, uint64_t) override {}
  void cancel_timer(consensus::TimerKind) override {}
};
struct CheckerBundle {
  std::unique_ptr<crypto::FakeKeyring> ring;
  std::unique_ptr<crypto::Verifier> verifier;
  InertEnv env;
  std::unique_ptr<consensus::Protocol> proto;
};
}  // namespace

Result<std::function<Status(const ledger::CheckpointRecord&)>> checkpoint_checker(const ClusterConfig& c) {
  auto b = std::make_shared<CheckerBundle>();
  consensus::Crypto cc;
  if (c.crypto == "fake") {
    b->ring = std::make_unique<crypto::FakeKeyring>(c.n(), c.nf(), c.fake_seed);
    cc.verifier = &b->ring->verifier();
    cc.tverifier = &b->ring->threshold_verifier();
  } else {
    std::vector<crypto::ed25519::PublicKey> pks;
    for (const auto& r : c.replicas) {
      crypto::ed25519::PublicKey pk{};
      if (r.ed25519_public.size() != pk.size()) return err("config: replica " + std::to_string(r.id) + " has a bad Ed25519 key");
      std::copy(r.ed25519_public.begin(), r.ed25519_public.end(), pk.begin());
      pks.push_back(pk);
    }
    b->verifier = std::make_unique<crypto::ed25519::Ed25519Verifier>(pks);
    cc.verifier = b->verifier.get();
  }
  consensus::Config pc;
  pc.n = c.n();
  pc.f = c.f;
  pc.window = c.window;
  pc.checkpoint_interval = c.checkpoint_interval;
  pc.mac_variant = c.protocol == "poe-mac";
  b->proto = c.protocol == "pbft" ? consensus::make_pbft(pc, cc, b->env) : consensus::make_poe(pc, cc, b->env);
  if (!b->proto) return err("protocol '" + c.protocol + "' is not available in this build");
  return std::function<Status(const ledger::CheckpointRecord&)>([b](const ledger::CheckpointRecord& r) -> Status {
    if (r.signatures.empty()) return err("checkpoint " + std::to_string(r.k) + " has no certificate");
    if (!b->proto->verify_checkpoint({r.k, r.view, r.head, r.signatures}))
      return err("checkpoint " + std::to_string(r.k) + ": certificate (" + std::to_string(r.signatures.size()) +
                 " signatures) does not verify");
    return {};
  });
}

// ---- wire

Bytes encode_hello(uint64_t last_final) {
  Writer w;
  w.u64(last_final);
  return w.take();
}

Result<uint64_t> decode_hello(ByteView body) {
  Reader r(body);
  uint64_t h = r.u64();
  RAMPART_TRY(r.finish());
  return h;
}

Bytes encode_status(const PeerStatus& s) {
  Writer w;
  w.u64(s.last_final);
  w.u8(s.serving ? 1 : 0);
  return w.take();
}

Result<PeerStatus> decode_status(ByteView body) {
  Reader r(body);
  PeerStatus s;
  s.last_final = r.u64();
  uint8_t serving = r.u8();
  if (!r.failed() && serving > 1) r.fail("status: bad serving flag");
  s.serving = serving == 1;
  RAMPART_TRY(r.finish());
  return s;
}

Bytes encode_blocks_req(uint64_t from) { return encode_hello(from); }
Result<uint64_t> decode_blocks_req(ByteView body) { return decode_hello(body); }

Bytes encode_blocks_resp(const BlocksResp& r) {
  Writer w;
  w.u32(static_cast<uint32_t>(r.blocks.size()));
  for (size_t i = 0; i < r.blocks.size(); ++i) {
    w.bytes(ledger::encode_block(r.blocks[i]));
    w.bytes(r.batches[i]);
  }
  return w.take();
}

Result<BlocksResp> decode_blocks_resp(ByteView body) {
  Reader r(body);
  BlocksResp out;
  size_t n = r.count(kMaxBlocksPerResponse, 8);
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    auto b = ledger::decode_block(r.bytes_view(1 << 20));
    if (!b) return err("blocks response: " + b.error().message);
    out.blocks.push_back(std::move(*b));
    out.batches.push_back(r.bytes(64u << 20));
  }
  RAMPART_TRY(r.finish());
  return out;
}

// ---- restart handshake

RestartSync::RestartSync(uint32_t n, uint32_t f, consensus::NodeId self, uint64_t own_final,
                         std::chrono::milliseconds grace)
    : n_(n), f_(f), self_(self), own_final_(own_final), grace_(grace), target_(own_final) {}

void RestartSync::on_status(consensus::NodeId from, const PeerStatus& s, Clock::time_point now) {
  if (from == self_ || from >= n_ || decided_) return;
  seen_[from] = s;
  if (!quorum_at_ && seen_.size() + 1 >= n_ - f_) quorum_at_ = now;
}

bool RestartSync::decided(Clock::time_point now) {
  if (decided_) return true;
  uint32_t serving = 0;
  for (const auto& [id, s] : seen_) serving += s.serving;
  // f + 1 serving peers, one of them correct: the cluster runs, so we join it (the protocol's
  // own catch-up brings us the rest); one such status alone could be a faulty peer's, ending the
  // handshake before the peer holding the highest proven height answered. All peers answered:
  // nobody holds more. Only nf (f may be down for good): wait a grace period for the others,
  // whose ledger may be the longest.
  if (serving >= f_ + 1 || seen_.size() + 1 >= n_ || (quorum_at_ && now - *quorum_at_ >= grace_)) {
    decided_ = true;
    target_ = own_final_;
    for (const auto& [id, s] : seen_) target_ = std::max(target_, s.last_final);
  }
  return decided_;
}

void RestartSync::unreachable(consensus::NodeId peer) {
  seen_.erase(peer);
  if (!decided_) return;
  target_ = own_final_;
  for (const auto& [id, s] : seen_) target_ = std::max(target_, s.last_final);
}

std::optional<consensus::NodeId> RestartSync::source_for(uint64_t h) {
  std::vector<consensus::NodeId> ok;
  for (const auto& [id, s] : seen_)
    if (s.last_final >= h) ok.push_back(id);
  if (ok.empty()) return std::nullopt;
  return ok[rotate_++ % ok.size()];
}

// ---------------------------------------------------------------- fork resolution

ForkResolver::ForkResolver(uint32_t f, uint64_t base, uint64_t step)
    : f_(f), base_(base), step_(std::max<uint64_t>(step, 1)), from_(base > step_ ? base - step_ + 1 : 1) {}

ForkResolver::Verdict ForkResolver::on_blocks(consensus::NodeId peer, const std::vector<ledger::Block>& blocks,
                                              const std::vector<Bytes>& batches, const OwnBlock& own,
                                              const crypto::ThresholdVerifier& tv) {
  if (blocks.empty() || blocks.front().k != from_ || blocks.size() != batches.size()) return Verdict::more;
  // The first offered block that differs from ours (only heights we hold can differ).
  size_t i = 0;
  for (; i < blocks.size() && blocks[i].k <= base_; ++i) {
    if (i > 0 && blocks[i].k != blocks[i - 1].k + 1) return Verdict::bad_peer;
    auto mine = own(blocks[i].k);
    if (!mine) return Verdict::more;  // our own read failed: try again later
    if (ledger::block_hash(*mine) != ledger::block_hash(blocks[i])) break;
  }
  if (i == blocks.size() || blocks[i].k > base_) {
    // Everything offered up to our height matches ours.
    if (fork_ != 0) {
      // Confirming: this peer holds our block at fork_.
      agree_.insert(peer);
      return agree_.size() >= f_ + 1 ? Verdict::not_a_fork : Verdict::more;
    }
    if (blocks.back().k >= base_) return Verdict::not_a_fork;  // its chain continues ours
    from_ = blocks.back().k + 1;  // keep walking up towards our last block
    return Verdict::more;
  }
  if (i == 0 && fork_ == 0 && from_ > 1) {
    from_ = from_ > step_ ? from_ - step_ : 1;  // differs already here: the fork is lower
    return Verdict::more;
  }
  uint64_t d = blocks[i].k;
  auto prev = own(d - 1);
  if (!prev) return Verdict::more;
  std::vector<ledger::Block> tail(blocks.begin() + static_cast<std::ptrdiff_t>(i), blocks.end());
  std::vector<Bytes> tail_batches(batches.begin() + static_cast<std::ptrdiff_t>(i), batches.end());
  if (!check_offered_blocks(*prev, tail, tail_batches, tv)) return Verdict::bad_peer;
  if (fork_ == 0 || d < fork_) {
    fork_ = d;
    votes_.clear();
    agree_.clear();
  } else if (d > fork_) {
    agree_.insert(peer);  // cannot happen when asked from fork_, but a matching block at fork_ is agreement
    return agree_.size() >= f_ + 1 ? Verdict::not_a_fork : Verdict::more;
  }
  from_ = fork_;
  auto& voters = votes_[ledger::block_hash(blocks[i])];
  voters.insert(peer);
  return voters.size() >= f_ + 1 ? Verdict::abandon : Verdict::more;
}

}  // namespace rampart::replica
