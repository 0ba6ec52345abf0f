#pragma once
// A cluster's history for the replica core's tests: blocks executed by a real executor over the
// key-value app, proven with the fake group key (n = 4, nf = 3), and the executor's snapshot at
// each height.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "app/kv/kv_store.hpp"
#include "crypto/fake.hpp"
#include "ledger/block.hpp"
#include "ledger/records.hpp"
#include "replica/batch.hpp"
#include "replica/executor.hpp"
#include "replica/peer_msg.hpp"
#include "replica/request.hpp"

namespace rampart::replica::testing {

struct History {
  crypto::FakeKeyring keys{4, 3, 7};
  Bytes config = to_bytes("replica core test cluster");
  app::kv::KvStore kv_app;
  Executor exec{kv_app};
  std::vector<ledger::Block> blocks{ledger::genesis_block(config)};
  std::vector<Bytes> batches{config};
  std::vector<Bytes> snaps{exec.snapshot()};

  // From height `diverge_from` on, other operations: another chain after the same prefix.
  explicit History(uint64_t upto, uint64_t diverge_from = UINT64_MAX) {
    for (uint64_t k = 1; k <= upto; ++k) {
      const std::string value = (k >= diverge_from ? "w" : "v") + std::to_string(k);
      ClientId c = 1 + k % 3;
      Request r = make_request(c, k, app::kv::encode_op(app::kv::put("key" + std::to_string(k % 5), value)),
                               ClientSignerFrom(keys.signer(static_cast<consensus::NodeId>(c))));
      Bytes batch = encode_batch(Batch{std::vector<Request>{r}});
      auto out = exec.execute(k, batch);
      ledger::Block b;
      b.k = k;
      b.batch_digest = batch_digest(batch);
      b.prev_hash = ledger::block_hash(blocks.back());
      b.state_digest = out.state_digest;
      b.results_root = out.results_root;
      b.proof = prove(b);
      blocks.push_back(b);
      batches.push_back(batch);
      snaps.push_back(exec.snapshot());
    }
  }
  Bytes prove(const ledger::Block& b) const {
    Bytes msg = ledger::proof_message(b);
    std::vector<crypto::Share> shares;
    for (consensus::NodeId i = 0; i < 3; ++i) shares.push_back({i, keys.threshold_signer(i)->sign_share(msg)});
    return *keys.threshold_verifier().combine(msg, shares);
  }
  Hash32 head(uint64_t k) const { return ledger::block_hash(blocks[k]); }
  ledger::CheckpointRecord checkpoint(uint64_t k, size_t sigs = 3) const {
    ledger::CheckpointRecord r{k, 0, head(k), blocks[k].state_digest, {}};
    for (consensus::NodeId i = 0; i < sigs; ++i) r.signatures.push_back({i, to_bytes("sig")});
    return r;
  }
  // A peer's answer: checkpoint k with its snapshot, blocks [from, to].
  StateResp answer(uint64_t k, uint64_t from, uint64_t to) const {
    StateResp r{checkpoint(k), snaps[k], {}, {}};
    for (uint64_t i = from; i <= to; ++i) {
      r.blocks.push_back(blocks[i]);
      r.batches.push_back(batches[i]);
    }
    return r;
  }
};

// A replica that has executed and stored the history's first `have` blocks (the store counts
// writes from here on).
template <class Store>
void hold_first(const History& h, uint64_t have, Store& store, Executor& exec) {
  for (uint64_t k = 1; k <= have; ++k) EXPECT_TRUE(store.append_block(h.blocks[k], h.batches[k], false));
  EXPECT_TRUE(exec.restore(h.snaps[have]));
  store.writes = 0;
}

// What must not change when a peer's answer is refused.
struct Seen {
  uint64_t last_block, last_final, executed;
  Hash32 digest;
  bool operator==(const Seen&) const = default;
};
template <class Store>
Seen seen(const Store& store, const Executor& exec) {
  return {store.last_block(), store.last_final(), exec.last_executed(), exec.state_digest()};
}

}  // namespace rampart::replica::testing
