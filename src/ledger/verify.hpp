#pragma once
// Offline verification of a whole ledger with only the cluster's public configuration
// (DESIGN.md §3.4): the group public key (as a ThresholdVerifier) and the genesis config bytes.
//
// Checked, block by block from genesis: the sequence is dense (block i is block i), block 0 is
// this config's genesis block, every block links to the hash of the one before, every stored
// batch matches its block's batch digest, and every block's proof of execution verifies against
// the group key over proof_message(view, k, block hash). Final blocks must be proven; speculative
// blocks (above the last final one) may be unproven, but a proof they carry must verify.
// The first failure is returned as an Error naming the block.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/interfaces.hpp"
#include "ledger/block.hpp"
#include "ledger/records.hpp"

namespace rampart::ledger {

class Store;

struct VerifyReport {
  uint64_t blocks = 0;           // blocks checked, genesis included
  uint64_t last_block = 0;
  uint64_t last_final = 0;
  uint64_t unproven = 0;         // speculative blocks without a proof yet
  Hash32 last_hash{};            // block_hash of the last block
  Hash32 final_state_digest{};   // state digest after the last final block
  bool has_checkpoint = false;
  uint64_t checkpoint_k = 0;
};

struct VerifyOptions {
  // Refuse unproven speculative blocks too (a ledger a replica serves to observers).
  bool require_all_proven = false;
  // Optional check of the stable checkpoint's nf signatures (their message is the consensus
  // layer's); the digest-against-block check is always made.
  std::function<Status(const CheckpointRecord&)> check_checkpoint;
};

// Any source of blocks: a Store, a vector received by state transfer or gossip.
struct LedgerView {
  uint64_t last_block = 0;
  uint64_t last_final = 0;
  std::function<Result<Block>(uint64_t k)> block;
  std::function<Result<Bytes>(uint64_t k)> batch;
  std::optional<CheckpointRecord> checkpoint;
};

// b's proof is a valid group signature over proof_message(b).
Status verify_proof(const Block& b, const crypto::ThresholdVerifier& tv);
// One step for a follower (observer, state transfer): check_link + verify_proof.
Status verify_next(const Block& prev, const Block& b, ByteView batch, const crypto::ThresholdVerifier& tv);

Result<VerifyReport> verify_chain(const LedgerView& v, const crypto::ThresholdVerifier& tv,
                                  ByteView cluster_config, const VerifyOptions& opt = {});
// In memory: blocks[i] with batches[i]; all of them are treated as final.
Result<VerifyReport> verify_blocks(const std::vector<Block>& blocks, const std::vector<Bytes>& batches,
                                   const crypto::ThresholdVerifier& tv, ByteView cluster_config,
                                   const VerifyOptions& opt = {});
Result<VerifyReport> verify_store(const Store& s, const crypto::ThresholdVerifier& tv, ByteView cluster_config,
                                  const VerifyOptions& opt = {});
// Opens the data folder read-only (safe next to a running replica) and verifies it.
Result<VerifyReport> verify_ledger_at(const std::string& path, const crypto::ThresholdVerifier& tv,
                                      ByteView cluster_config, const VerifyOptions& opt = {});

}  // namespace rampart::ledger
