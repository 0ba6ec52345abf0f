#include "gateway/read_json.hpp"

#include "app/wallet/accounts_proof.hpp"
#include "ledger/block.hpp"

namespace rampart::gateway {
using nlohmann::json;

namespace {
json entries_json(const std::vector<app::wallet::Entry>& es) {
  json out = json::array();
  for (const auto& e : es) out.push_back({{"account", to_hex(e.account)}, {"balance", e.balance}, {"nonce", e.nonce}});
  return out;
}

std::string problem_text(int status, const json& j) {
  std::string msg = "gateway: HTTP " + std::to_string(status);
  if (j.contains("title") && j["title"].is_string()) msg += " " + j["title"].get<std::string>();
  if (j.contains("detail") && j["detail"].is_string()) msg += ": " + j["detail"].get<std::string>();
  if (j.contains("field") && j["field"].is_string()) msg += " (field " + j["field"].get<std::string>() + ")";
  return msg;
}
}  // namespace

json proven_read_json(const client::ServedRead& r, uint64_t min_k) {
  const client::StateProof& p = r.read.proof;
  json proof{{"type", "state-proof"},
             {"k", p.k},
             {"view", p.view},
             {"hash", to_hex(ledger::block_hash(header_of(p)))},
             {"batch_digest", to_hex(p.batch_digest)},
             {"prev_hash", to_hex(p.prev_hash)},
             {"state_digest", to_hex(p.state_digest)},
             {"results_root", to_hex(p.results_root)},
             {"group_signature", to_hex(p.group_sig)},
             {"reply_cache_digest", to_hex(p.reply_cache_digest)},
             {"accounts", to_hex(app::wallet::encode_range_proof(p.accounts))},
             {"state_proof", to_hex(client::encode_state_proof(p))}};
  return json{{"result", {{"code", "ok"}, {"entries", entries_json(r.read.entries)}, {"more", r.read.more}}},
              {"read", {{"type", "proven"}, {"k", r.read.k}, {"min_k", min_k}, {"server", r.server}}},
              {"proof", proof}};
}

std::variant<client::StateProof, std::string> state_proof_from_json(const json& proof) {
  if (!proof.is_object() || !proof.contains("state_proof") || !proof["state_proof"].is_string())
    return std::string("response carries no state proof");
  const auto& s = proof["state_proof"].get_ref<const std::string&>();
  Bytes b;
  if (s.size() > 2 * client::kMaxReadResponse || !from_hex(s, b)) return std::string("proof.state_proof is not hex (or too long)");
  auto p = client::decode_state_proof(b);
  if (!p) return p.error().message;
  return std::move(*p);
}

Result<client::ProvenRead> verify_gateway_read(int status, const std::string& body, const client::ReadRequest& req,
                                               const crypto::ThresholdVerifier& group) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return err("gateway: HTTP " + std::to_string(status) + ", body is not JSON");
  if (status != 200 || !j.contains("proof")) return err(problem_text(status, j));
  auto p = state_proof_from_json(j["proof"]);
  if (auto* e = std::get_if<std::string>(&p)) return err("gateway: " + *e);
  client::ReadResponse resp;
  resp.status = client::ReadStatus::ok;
  resp.height = std::get<client::StateProof>(p).k;
  resp.proof = std::move(std::get<client::StateProof>(p));
  auto v = client::verify_read(req, resp, group);
  if (!v) return err("gateway: proof refused: " + v.error().message);
  // What the gateway shows in plain JSON must be what it proved: a caller reading only "result"
  // is not misled by a gateway that keeps an honest proof beside a made-up balance.
  const auto res = j.find("result");
  bool same = res != j.end() && res->is_object();
  if (same) {
    const auto entries = res->find("entries"), more = res->find("more");
    same = entries != res->end() && *entries == entries_json(v->entries) && more != res->end() && more->is_boolean() &&
           more->get<bool>() == v->more;
  }
  if (!same) return err("gateway: the result it shows is not the one its proof shows");
  return v;
}

}  // namespace rampart::gateway
