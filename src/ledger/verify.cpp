#include "ledger/verify.hpp"

#include "ledger/store.hpp"

namespace rampart::ledger {
namespace {
std::string num(uint64_t k) { return std::to_string(k); }
}  // namespace

Status verify_proof(const Block& b, const crypto::ThresholdVerifier& tv) {
  if (!b.proven()) return err("block " + num(b.k) + ": no proof of execution");
  if (!tv.verify_group(proof_message(b), b.proof)) {
    return err("block " + num(b.k) + ": proof of execution does not verify against the group public key");
  }
  return {};
}

Status verify_next(const Block& prev, const Block& b, ByteView batch, const crypto::ThresholdVerifier& tv) {
  RAMPART_TRY(check_link(prev, b, batch));
  return verify_proof(b, tv);
}

Result<VerifyReport> verify_chain(const LedgerView& v, const crypto::ThresholdVerifier& tv,
                                  ByteView cluster_config, const VerifyOptions& opt) {
  VerifyReport rep;
  rep.last_block = v.last_block;
  rep.last_final = v.last_final;
  if (v.last_final > v.last_block) return err("last final block " + num(v.last_final) + " above last block");

  auto g = v.block(0);
  if (!g.ok()) return err("block 0: " + g.error().message);
  if (*g != genesis_block(cluster_config)) return err("block 0: not the genesis block of this cluster config");
  auto gb = v.batch(0);
  if (!gb.ok()) return err("block 0: " + gb.error().message);
  if (config_digest(*gb) != g->batch_digest) return err("block 0: stored config does not match the genesis block");
  Block prev = std::move(*g);
  rep.blocks = 1;
  Hash32 final_digest = prev.state_digest;

  for (uint64_t k = 1; k <= v.last_block; ++k) {
    auto b = v.block(k);
    if (!b.ok()) return err("block " + num(k) + ": " + b.error().message);
    if (b->k != k) {
      return err("block " + num(k) + ": sequence not dense, found block " + num(b->k) + " in its place");
    }
    auto batch = v.batch(k);
    if (!batch.ok()) return err("block " + num(k) + ": " + batch.error().message);
    RAMPART_TRY(check_link(prev, *b, *batch));
    if (b->proven() || k <= v.last_final || opt.require_all_proven) {
      RAMPART_TRY(verify_proof(*b, tv));
    } else {
      ++rep.unproven;
    }
    if (k <= v.last_final) final_digest = b->state_digest;
    if (v.checkpoint && v.checkpoint->k == k &&
        (v.checkpoint->state_digest != b->state_digest || v.checkpoint->head != block_hash(*b))) {
      return err("checkpoint at block " + num(k) + ": state digest or head differs from the block's");
    }
    prev = std::move(*b);
    ++rep.blocks;
  }
  if (v.checkpoint) {
    if (v.checkpoint->k > v.last_final) return err("checkpoint " + num(v.checkpoint->k) + " above the last final block");
    if (v.checkpoint->k == 0) return err("checkpoint at block 0");
    if (opt.check_checkpoint) RAMPART_TRY(opt.check_checkpoint(*v.checkpoint));
    rep.has_checkpoint = true;
    rep.checkpoint_k = v.checkpoint->k;
  }
  rep.last_hash = block_hash(prev);
  rep.final_state_digest = final_digest;
  return rep;
}

Result<VerifyReport> verify_blocks(const std::vector<Block>& blocks, const std::vector<Bytes>& batches,
                                   const crypto::ThresholdVerifier& tv, ByteView cluster_config,
                                   const VerifyOptions& opt) {
  if (blocks.empty()) return err("no blocks (not even genesis)");
  if (batches.size() != blocks.size()) return err("blocks and batches differ in number");
  LedgerView v;
  v.last_block = v.last_final = blocks.size() - 1;
  v.block = [&](uint64_t k) -> Result<Block> { return blocks[k]; };
  v.batch = [&](uint64_t k) -> Result<Bytes> { return batches[k]; };
  return verify_chain(v, tv, cluster_config, opt);
}

Result<VerifyReport> verify_store(const Store& s, const crypto::ThresholdVerifier& tv, ByteView cluster_config,
                                  const VerifyOptions& opt) {
  LedgerView v;
  v.last_block = s.last_block();
  v.last_final = s.last_final();
  v.block = [&](uint64_t k) { return s.block(k); };
  v.batch = [&](uint64_t k) { return s.batch(k); };
  v.checkpoint = s.checkpoint();
  if (v.checkpoint) {
    auto snap = s.snapshot();
    if (!snap.ok()) return err("checkpoint " + num(v.checkpoint->k) + ": " + snap.error().message);
  }
  return verify_chain(v, tv, cluster_config, opt);
}

Result<VerifyReport> verify_ledger_at(const std::string& path, const crypto::ThresholdVerifier& tv,
                                      ByteView cluster_config, const VerifyOptions& opt) {
  OpenOptions oo;
  oo.read_only = true;
  oo.create_if_missing = false;
  oo.check_all_batches = true;
  auto s = Store::open(path, cluster_config, oo);
  if (!s.ok()) return s.error();
  return verify_store(**s, tv, cluster_config, opt);
}

}  // namespace rampart::ledger
