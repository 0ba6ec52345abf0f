#pragma once
// The gateway's JSON: request bodies in (strictly checked: unknown fields, bad hex, bad amounts
// and bad signatures are problems naming the field), results and proofs out. The same functions
// serve the gateway client (gateway_client.hpp), so both sides agree on one encoding
// (docs/wallet.md, "Gateway API").
#include <optional>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "app/wallet/op.hpp"
#include "replica/client_wire.hpp"
#include "gateway/problem.hpp"

namespace rampart::gateway {

// POST /v1/transfer ({"from","to","amount","nonce","signature"}) or /v1/atomic-transfer
// ({"legs":[...]}) -> the operation's bytes. Signatures are checked here too, so a bad one is a
// 400 naming its leg before anything reaches the cluster.
std::variant<Bytes, Problem> parse_transfer_body(std::string_view body, bool atomic);
// An account in a path or query ("account", "after") -> key, or a problem naming `field`.
std::variant<app::wallet::Account, Problem> parse_account_field(std::string_view hex, const std::string& field);
std::variant<uint32_t, Problem> parse_limit(std::string_view text);

nlohmann::json leg_json(const app::wallet::Leg& l);
nlohmann::json result_json(const app::wallet::OpResult& r);
nlohmann::json reply_proof_json(const client::Reply& r);
nlohmann::json block_json(const client::Reply& r);  // block k's header and proof, as a reply carries it
// The reply inside a proof object ("reply": hex of the client-port REPLY), bounds-checked.
std::variant<client::Reply, std::string> reply_from_proof_json(const nlohmann::json& proof);

// A cluster-side rejection (replay, funds, ...) as a problem with the field it concerns.
Problem result_problem(const app::wallet::OpResult& r, bool atomic);

}  // namespace rampart::gateway
