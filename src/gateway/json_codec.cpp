#include "gateway/json_codec.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "crypto/ed25519.hpp"

namespace rampart::gateway {
namespace w = app::wallet;
using nlohmann::json;

namespace {
constexpr size_t kMaxBody = 64 * 1024;

std::string hex(ByteView b) { return to_hex(b); }

template <size_t N>
std::optional<std::array<uint8_t, N>> fixed_hex(const json& v) {
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  Bytes b;
  if (s.size() != 2 * N || !from_hex(s, b)) return std::nullopt;
  std::array<uint8_t, N> a{};
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

// u64 as a JSON integer, or a decimal string (JavaScript numbers lose precision above 2^53).
std::optional<uint64_t> u64_field(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    auto x = v.get<int64_t>();
    if (x < 0) return std::nullopt;
    return static_cast<uint64_t>(x);
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    uint64_t x = 0;
    if (s.empty() || s.size() > 20) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return x;
  }
  return std::nullopt;
}

std::variant<w::Leg, Problem> parse_leg(const json& j, const std::string& prefix) {
  if (!j.is_object()) return bad_request("bad-field", "Bad field", prefix.empty() ? "body must be a JSON object" : prefix + " must be an object", prefix);
  static const char* kKnown[] = {"from", "to", "amount", "nonce", "signature"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return it.key() == k; }))
      return bad_request("unknown-field", "Unknown field", "unknown field '" + it.key() + "'", prefix + it.key());
  }
  for (const char* k : kKnown)
    if (!j.contains(k)) return bad_request("missing-field", "Missing field", std::string("missing field '") + k + "'", prefix + k);
  w::Leg l;
  auto from = fixed_hex<32>(j["from"]);
  if (!from) return bad_request("bad-account", "Bad account format", "from must be 64 hex digits (an Ed25519 public key)", prefix + "from");
  auto to = fixed_hex<32>(j["to"]);
  if (!to) return bad_request("bad-account", "Bad account format", "to must be 64 hex digits (an Ed25519 public key)", prefix + "to");
  auto amount = u64_field(j["amount"]);
  if (!amount || *amount == 0)
    return bad_request("bad-amount", "Bad amount", "amount must be an integer in [1, 2^64-1] (a number or a decimal string)", prefix + "amount");
  auto nonce = u64_field(j["nonce"]);
  if (!nonce) return bad_request("bad-nonce", "Bad nonce", "nonce must be an integer in [0, 2^64-1]", prefix + "nonce");
  auto sig = fixed_hex<64>(j["signature"]);
  if (!sig) return bad_request("bad-signature", "Bad signature", "signature must be 128 hex digits (Ed25519)", prefix + "signature");
  l.from = *from;
  l.to = *to;
  l.amount = *amount;
  l.nonce = *nonce;
  l.sig = *sig;
  return l;
}
}  // namespace

std::variant<Bytes, Problem> parse_transfer_body(std::string_view body, bool atomic) {
  if (body.size() > kMaxBody) return Problem{413, "too-large", "Body too large", "at most 64 KiB", ""};
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return bad_request("malformed-json", "Malformed JSON", "the body is not valid JSON");
  w::Op op;
  if (!atomic) {
    auto l = parse_leg(j, "");
    if (auto* p = std::get_if<Problem>(&l)) return *p;
    op.type = w::OpType::transfer;
    op.legs.push_back(std::get<w::Leg>(l));
  } else {
    if (!j.is_object()) return bad_request("bad-field", "Bad field", "body must be a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key() != "legs") return bad_request("unknown-field", "Unknown field", "unknown field '" + it.key() + "'", it.key());
    if (!j.contains("legs") || !j["legs"].is_array()) return bad_request("missing-field", "Missing field", "legs must be an array", "legs");
    const auto& legs = j["legs"];
    if (legs.empty() || legs.size() > w::kMaxLegs)
      return bad_request("bad-field", "Bad field", "legs must hold 1.." + std::to_string(w::kMaxLegs) + " transfers", "legs");
    op.type = w::OpType::atomic;
    for (size_t i = 0; i < legs.size(); ++i) {
      auto l = parse_leg(legs[i], "legs[" + std::to_string(i) + "].");
      if (auto* p = std::get_if<Problem>(&l)) return *p;
      op.legs.push_back(std::get<w::Leg>(l));
    }
  }
  const Bytes msg = w::signing_message(op.legs);
  for (size_t i = 0; i < op.legs.size(); ++i) {
    if (!crypto::ed25519::verify(op.legs[i].from, msg, op.legs[i].sig))
      return Problem{422, "bad-signature", "Bad signature", "the signature does not verify under the from account over the transfer's signing message",
                     atomic ? "legs[" + std::to_string(i) + "].signature" : "signature"};
  }
  return w::encode_op(op);
}

std::variant<w::Account, Problem> parse_account_field(std::string_view hex_text, const std::string& field) {
  Bytes b;
  if (hex_text.size() != 64 || !from_hex(hex_text, b))
    return bad_request("bad-account", "Bad account format", field + " must be 64 hex digits (an Ed25519 public key)", field);
  w::Account a{};
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

std::variant<uint32_t, Problem> parse_limit(std::string_view text) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v == 0 || v > w::kMaxPage)
    return bad_request("bad-limit", "Bad limit", "limit must be an integer in [1, " + std::to_string(w::kMaxPage) + "]", "limit");
  return v;
}

json leg_json(const w::Leg& l) {
  return json{{"from", hex(l.from)}, {"to", hex(l.to)}, {"amount", l.amount}, {"nonce", l.nonce}, {"signature", hex(l.sig)}};
}

json result_json(const w::OpResult& r) {
  json entries = json::array();
  for (const auto& e : r.entries) entries.push_back({{"account", hex(e.account)}, {"balance", e.balance}, {"nonce", e.nonce}});
  return json{{"code", w::code_name(r.code)}, {"reason", r.reason}, {"op_hash", hex(r.op_hash)}, {"entries", entries}, {"more", r.more}};
}

json reply_proof_json(const client::Reply& r) {
  return json{{"type", "cart-reply"},
              {"reply", hex(client::encode_reply(r))},
              {"k", r.k},
              {"view", r.view},
              {"client", r.client},
              {"seq", r.seq},
              {"results_root", hex(r.results_root)},
              {"state_digest", hex(r.state_digest)},
              {"batch_digest", hex(r.batch_digest)},
              {"prev_hash", hex(r.prev_hash)},
              {"merkle_proof", hex(r.proof)},
              {"group_signature", hex(r.group_sig)}};
}

json block_json(const client::Reply& r) {
  return json{{"k", r.k},
              {"view", r.view},
              {"hash", hex(client::reply_block_hash(r))},
              {"batch_digest", hex(r.batch_digest)},
              {"prev_hash", hex(r.prev_hash)},
              {"state_digest", hex(r.state_digest)},
              {"results_root", hex(r.results_root)},
              {"group_signature", hex(r.group_sig)}};
}

std::variant<client::Reply, std::string> reply_from_proof_json(const json& proof) {
  if (!proof.is_object() || !proof.contains("reply") || !proof["reply"].is_string()) return std::string("response carries no proof");
  Bytes b;
  const auto& s = proof["reply"].get_ref<const std::string&>();
  if (s.size() > 2 * (client::kMaxResult + 4096) || !from_hex(s, b)) return std::string("proof.reply is not hex");
  auto m = client::decode_message(b);
  if (!m || m->tag != client::kTagReply) return std::string("proof.reply is not a reply: ") + (m ? "wrong tag" : m.error().message);
  return m->reply;
}

Problem result_problem(const w::OpResult& r, bool atomic) {
  std::string field;
  switch (r.code) {
    case w::Code::replay:
    case w::Code::nonce_gap: field = "nonce"; break;
    case w::Code::insufficient_funds:
    case w::Code::overflow:
    case w::Code::bad_amount: field = "amount"; break;
    case w::Code::bad_signature: field = "signature"; break;
    default: break;
  }
  unsigned leg = 0;
  if (atomic && !field.empty() && std::sscanf(r.reason.c_str(), "leg %u:", &leg) == 1) field = "legs[" + std::to_string(leg) + "]." + field;
  const int status = r.code == w::Code::replay || r.code == w::Code::nonce_gap ? 409 : r.code == w::Code::malformed ? 400 : 422;
  std::string type = w::code_name(r.code);
  std::replace(type.begin(), type.end(), '_', '-');
  return Problem{status, type, "Rejected by the cluster: " + std::string(w::code_name(r.code)), r.reason, field};
}

}  // namespace rampart::gateway
