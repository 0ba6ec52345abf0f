#include "sim/sim_store.hpp"

#include <string>

namespace rampart::sim {

namespace {
std::string num(uint64_t k) { return std::to_string(k); }
}  // namespace

SimStore::SimStore(const Bytes& cluster_config) {
  cur_.blocks.push_back(ledger::genesis_block(cluster_config));
  cur_.batches.push_back(cluster_config);
  durable_ = cur_;
}

Result<ledger::Block> SimStore::block(uint64_t k) const {
  if (k > last_block()) return err("block " + num(k) + " is not stored");
  return cur_.blocks[k];
}

Result<Bytes> SimStore::batch(uint64_t k) const {
  if (k > last_block()) return err("batch " + num(k) + " is not stored");
  return cur_.batches[k];
}

Result<std::vector<ledger::Block>> SimStore::blocks(uint64_t from, uint64_t to) const {
  if (from > to || to > last_block()) return err("blocks " + num(from) + ".." + num(to) + " are not stored");
  return std::vector<ledger::Block>(cur_.blocks.begin() + static_cast<long>(from),
                                    cur_.blocks.begin() + static_cast<long>(to) + 1);
}

Result<std::vector<ledger::JournalEntry>> SimStore::journal() const {
  std::vector<ledger::JournalEntry> out;
  for (const auto& [key, body] : cur_.journal) out.push_back({key.first, key.second, body});
  return out;
}

Result<std::vector<ledger::SetAsideBatch>> SimStore::set_aside_batches() const {
  std::vector<ledger::SetAsideBatch> out;
  for (const auto& [key, b] : cur_.aside) out.push_back({key.first, key.second, b});
  return out;
}

void SimStore::write(Op op, bool sync) {
  op(cur_);
  if (sync) {
    // A synced write makes every earlier one durable too (one write-ahead log).
    for (auto& [gen, p] : pending_) p(durable_);
    pending_.clear();
    op(durable_);
    return;
  }
  pending_.emplace_back(next_gen_, std::move(op));
}

void SimStore::synced(uint64_t gen) {
  while (!pending_.empty() && pending_.front().first <= gen) {
    pending_.front().second(durable_);
    pending_.pop_front();
  }
}

Status SimStore::sync() {
  synced(next_gen_++);
  return {};
}

void SimStore::crash() {
  pending_.clear();
  cur_ = durable_;
}

void SimStore::drop_above(Image& im, uint64_t k) {
  for (uint64_t j = k + 1; j < im.blocks.size(); ++j) im.aside[{j, im.blocks[j].batch_digest}] = im.batches[j];
  im.blocks.resize(k + 1);
  im.batches.resize(k + 1);
}

void SimStore::reopen(const std::function<bool(const ledger::Block&)>& proof_ok) {
  crash();
  while (cur_.final + 1 < cur_.blocks.size() && cur_.blocks[cur_.final + 1].proven() &&
         (!proof_ok || proof_ok(cur_.blocks[cur_.final + 1])))
    ++cur_.final;
  drop_above(cur_, cur_.final);
  durable_ = cur_;
}

Status SimStore::append_speculative(const ledger::Block& b, ByteView batch, bool sync) {
  if (b.k != last_block() + 1) return err("block " + num(b.k) + ": cannot append, the ledger ends at " + num(last_block()));
  if (b.prev_hash != last_hash() || b.batch_digest != ledger::batch_digest(batch))
    return err("block " + num(b.k) + ": does not link to the last block or its batch");
  write([b, data = Bytes(batch.begin(), batch.end())](Image& im) {
    im.blocks.push_back(b);
    im.batches.push_back(data);
  }, sync);
  return {};
}

Status SimStore::append_block(const ledger::Block& b, ByteView batch, bool sync) {
  if (!b.proven()) return err("block " + num(b.k) + ": a final block needs its proof of execution");
  if (last_final() != last_block()) return err("block " + num(b.k) + ": cannot append final above speculative blocks");
  RAMPART_TRY(append_speculative(b, batch, sync));
  write([k = b.k](Image& im) { im.final = k; }, sync);
  return {};
}

Status SimStore::set_proof(uint64_t k, uint64_t view, ByteView proof, bool sync) {
  if (k == 0 || k > last_block()) return err("block " + num(k) + " is not stored");
  const auto& b = cur_.blocks[k];
  if (b.view == view && b.proof.size() == proof.size() && std::equal(proof.begin(), proof.end(), b.proof.begin()))
    return {};
  if (k <= last_final()) return err("block " + num(k) + " is final; its proof cannot change");
  write([k, view, p = Bytes(proof.begin(), proof.end())](Image& im) {
    if (k < im.blocks.size()) {
      im.blocks[k].view = view;
      im.blocks[k].proof = p;
    }
  }, sync);
  return {};
}

Status SimStore::mark_final(uint64_t k, bool sync) {
  if (k <= last_final()) return {};
  if (k > last_block()) return err("cannot make block " + num(k) + " final: the ledger ends at " + num(last_block()));
  for (uint64_t j = last_final() + 1; j <= k; ++j)
    if (!cur_.blocks[j].proven()) return err("block " + num(j) + " cannot become final: it has no proof of execution");
  write([k](Image& im) { im.final = std::max(im.final, k); }, sync);
  return {};
}

Status SimStore::truncate_above(uint64_t k, bool sync) {
  if (k < last_final()) return err("cannot truncate to " + num(k) + ": blocks up to " + num(last_final()) + " are final");
  if (k >= last_block()) return {};
  write([k](Image& im) {
    if (k < im.blocks.size()) drop_above(im, k);
  }, sync);
  return {};
}

Status SimStore::put_checkpoint(const ledger::CheckpointRecord& c, ByteView app_snapshot, bool sync) {
  if (cur_.cp && c.k < cur_.cp->k) return err("checkpoint " + num(c.k) + " is older than the stored one");
  if (c.k > last_block()) return err("checkpoint " + num(c.k) + ": block not stored");
  const auto& b = cur_.blocks[c.k];
  if (b.state_digest != c.state_digest || ledger::block_hash(b) != c.head)
    return err("checkpoint " + num(c.k) + ": state digest or head differs from block " + num(c.k) + "'s");
  for (uint64_t j = last_final() + 1; j <= c.k; ++j)
    if (!cur_.blocks[j].proven()) return err("block " + num(j) + " cannot become final: it has no proof of execution");
  write([c, s = ledger::Snapshot{c.k, Bytes(app_snapshot.begin(), app_snapshot.end())}](Image& im) {
    im.cp = c;
    im.snap = s;
    im.final = std::max(im.final, c.k);
  }, sync);
  return {};
}

Status SimStore::abandon_above(uint64_t k) {
  write([k](Image& im) {
    if (k + 1 < im.blocks.size()) {
      im.blocks.resize(k + 1);
      im.batches.resize(k + 1);
    }
    im.final = std::min(im.final, k);
    if (im.cp && im.cp->k > k) {
      im.cp.reset();
      im.snap.reset();
    }
  }, true);
  return {};
}

Status SimStore::journal_put(uint64_t seq, uint8_t kind, ByteView body) {
  write([seq, kind, b = Bytes(body.begin(), body.end())](Image& im) { im.journal[{seq, kind}] = b; }, false);
  return {};
}

Status SimStore::journal_prune(uint64_t upto) {
  if (upto == 0) return {};
  write([upto](Image& im) {
    im.journal.erase(im.journal.upper_bound({0, 255}), im.journal.upper_bound({upto, 255}));
    im.aside.erase(im.aside.begin(), im.aside.lower_bound({upto + 1, Hash32{}}));
  }, false);
  return {};
}

}  // namespace rampart::sim
