#pragma once
// The JSON of a proven read (GET /v1/balance/{account}, GET /v1/ledger without ordered=true):
// the accounts as of block k, and the state proof that shows it (client/wallet_proof.hpp), both
// the fields a reader looks at and the whole proof in its wire encoding ("state_proof", hex), so
// that a caller checks it with the group key alone (GatewayClient does) and never trusts the
// gateway. docs/wallet.md, "Gateway API".
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "client/wallet_reads.hpp"

namespace rampart::gateway {

nlohmann::json proven_read_json(const client::ServedRead& r, uint64_t min_k);
// The state proof in a proof object ("state_proof": hex of encode_state_proof), bounds-checked.
std::variant<client::StateProof, std::string> state_proof_from_json(const nlohmann::json& proof);

// Checks a gateway's proven-read answer against the read the caller asked for: the proof must
// verify for exactly that account or page at min_k or above (client::verify_read), and the
// plain "result" the gateway shows must be what the proof shows. An answer without a proof is
// an error naming the problem the gateway gave.
Result<client::ProvenRead> verify_gateway_read(int status, const std::string& body, const client::ReadRequest& req,
                                               const crypto::ThresholdVerifier& group);

}  // namespace rampart::gateway
