#pragma once
// Shared helpers for the ledger tests: a temporary data folder and a chain builder that signs
// proofs of execution with the fake threshold keyring (n = 4, f = 1, nf = 3 shares per proof).
#include <blake3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "crypto/fake.hpp"
#include "common/result.hpp"
#include "ledger/block.hpp"
#include "ledger/records.hpp"
#include "temp_dir.hpp"

namespace rampart::ledger::testing {

class TempDir {
 public:
  TempDir() {
    path_ = rampart::testing::make_temp_dir("ledger_test");
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline Hash32 h(const std::string& s) {
  blake3_hasher st;
  blake3_hasher_init(&st);
  blake3_hasher_update(&st, s.data(), s.size());
  Hash32 out;
  blake3_hasher_finalize(&st, out.data(), out.size());
  return out;
}

// A stable checkpoint record for block b (its head and state digest), with these signatures.
inline CheckpointRecord ckpt_of(const Block& b, std::vector<crypto::Share> sigs = {}) {
  return CheckpointRecord{b.k, 0, block_hash(b), b.state_digest, std::move(sigs)};
}

// Builds a valid chain: block k executes batch "batch k" in view 0.
class Chain {
 public:
  explicit Chain(uint64_t seed = 7) : keys(4, 3, seed), config(to_bytes("cluster n=4 f=1 seed=" + std::to_string(seed))) {
    blocks.push_back(genesis_block(config));
    batches.push_back(config);
  }

  // A proof of b as it stands (its view and header).
  Bytes prove(const Block& b) const {
    Bytes msg = proof_message(b);
    std::vector<crypto::Share> shares;
    for (crypto::NodeId i = 0; i < 3; ++i) shares.push_back({i, keys.threshold_signer(i)->sign_share(msg)});
    auto g = keys.threshold_verifier().combine(msg, shares);
    return g ? *g : Bytes{};
  }

  // Next block after the last one, proven unless told otherwise; appended to blocks/batches.
  const Block& next(bool proven = true, const std::string& tag = "") {
    Block b;
    b.k = blocks.size();
    b.view = 0;
    Bytes batch = to_bytes("batch " + std::to_string(b.k) + tag);
    b.batch_digest = batch_digest(batch);
    b.prev_hash = block_hash(blocks.back());
    b.state_digest = h("state " + std::to_string(b.k) + tag);
    b.results_root = h("results " + std::to_string(b.k) + tag);
    if (proven) b.proof = prove(b);
    blocks.push_back(b);
    batches.push_back(batch);
    return blocks.back();
  }
  void pop() {
    blocks.pop_back();
    batches.pop_back();
  }
  const crypto::ThresholdVerifier& tv() const { return keys.threshold_verifier(); }

  crypto::FakeKeyring keys;
  Bytes config;
  std::vector<Block> blocks;
  std::vector<Bytes> batches;
};

// Appends c's next block to store s (final or speculative). One statement per step, because
// the order in which a call's arguments are evaluated is unspecified.
template <typename S>
Status append_next(S& s, Chain& c, bool final = true, bool proven = true) {
  const Block& b = c.next(proven);
  const Bytes& batch = c.batches.back();
  return final ? s.append_block(b, batch) : s.append_speculative(b, batch);
}

}  // namespace rampart::ledger::testing
