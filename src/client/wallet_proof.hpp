#pragma once
// Verifiable wallet reads without a consensus round (issue 18): a balance or a ledger page proven
// against a proven block's state digest. The proof carries block k's header (so the client
// computes its hash), the group signature over proof_message(view, k, block hash), the replica's
// reply-cache digest and an accounts range proof (app/wallet/accounts_proof.hpp). The client
// checks, with nothing but the cluster's group public key:
//   range proof -> app digest;  combine_state_digest(k, app digest, reply-cache digest) == the
//   header's state digest;  group signature over the header's hash.
// Any replica, gateway or observer holding the state after block k can build one
// (make_state_proof); none can forge one.
//
// Encoding: k u64 | view u64 | batch_digest 32 | prev_hash 32 | state_digest 32 | results_root 32
//           | group_sig (u32 len | bytes <= 1024) | reply_cache_digest 32 | accounts proof (u32 len | bytes)
#include <optional>

#include "app/wallet/accounts_proof.hpp"
#include "crypto/interfaces.hpp"
#include "ledger/block.hpp"

namespace rampart::client {

struct StateProof {
  uint64_t k = 0, view = 0;
  Hash32 batch_digest{}, prev_hash{}, state_digest{}, results_root{};
  Bytes group_sig;
  Hash32 reply_cache_digest{};
  app::wallet::RangeProof accounts;
  bool operator==(const StateProof&) const = default;
};

// From a proven block (its header, view and proof), the reply-cache digest of the state after it
// and a range proof of that state's accounts.
StateProof make_state_proof(const ledger::Block& block, const Hash32& reply_cache_digest, app::wallet::RangeProof accounts);

// Ok when the accounts hash up to the block's state digest and the block is signed by the group.
Status verify_state_proof(const StateProof& p, const crypto::ThresholdVerifier& group);
// The block header a proof names (its group signature is over this header's hash).
ledger::Block header_of(const StateProof& p);
Result<app::wallet::Entry> verify_balance_proof(const StateProof& p, const app::wallet::Account& account,
                                                const crypto::ThresholdVerifier& group);
Result<app::wallet::Page> verify_page_proof(const StateProof& p, const std::optional<app::wallet::Account>& after,
                                            uint32_t limit, const crypto::ThresholdVerifier& group);

Bytes encode_state_proof(const StateProof& p);
Result<StateProof> decode_state_proof(ByteView b);

}  // namespace rampart::client
