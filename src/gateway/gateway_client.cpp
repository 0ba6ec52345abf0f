#include "gateway/gateway_client.hpp"

#include <httplib.h>

#include "client/group_key.hpp"
#include "client/verify.hpp"
#include "gateway/json_codec.hpp"
#include "gateway/read_json.hpp"

namespace rampart::gateway {
namespace w = app::wallet;
using nlohmann::json;

Result<client::WalletOutcome> verify_gateway_answer(int status, const std::string& body, const Bytes& op,
                                                    const crypto::ThresholdVerifier& group) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return err("gateway: HTTP " + std::to_string(status) + ", body is not JSON");
  if (!j.contains("proof")) {
    std::string msg = "gateway: HTTP " + std::to_string(status);
    if (j.contains("title") && j["title"].is_string()) msg += " " + j["title"].get<std::string>();
    if (j.contains("detail") && j["detail"].is_string()) msg += ": " + j["detail"].get<std::string>();
    if (j.contains("field") && j["field"].is_string()) msg += " (field " + j["field"].get<std::string>() + ")";
    return err(msg);
  }
  auto reply = reply_from_proof_json(j["proof"]);
  if (auto* e = std::get_if<std::string>(&reply)) return err("gateway: " + *e);
  auto& r = std::get<client::Reply>(reply);
  if (auto st = client::verify_reply(r, r.client, r.seq, group); !st) return err("gateway: proof refused: " + st.error().message);
  auto res = client::check_wallet_result(op, r.result);
  if (!res) return err("gateway: " + res.error().message);
  client::WalletOutcome out;
  out.op = op;
  out.result = std::move(*res);
  out.answer.k = r.k;
  out.answer.result = r.result;
  out.answer.cached = r.kind == 1;
  out.answer.reply = std::move(r);
  return out;
}

struct GatewayClient::Impl {
  std::shared_ptr<const crypto::ThresholdVerifier> group;
  std::unique_ptr<httplib::Client> http;
};

Result<std::unique_ptr<GatewayClient>> GatewayClient::create(const ClusterConfig& cfg, GatewayClientOptions opt) {
  auto impl = std::make_unique<Impl>();
  auto g = client::make_group_verifier(cfg);
  if (!g) return g.error();
  impl->group = *g;
  if (opt.client_cert.empty()) {
    impl->http = std::make_unique<httplib::Client>(opt.url);
  } else {
    impl->http = std::make_unique<httplib::Client>(opt.url, opt.client_cert, opt.client_key);
  }
  if (!impl->http->is_valid()) return err("gateway: bad URL '" + opt.url + "' (https://HOST:PORT)");
  if (!opt.ca_cert.empty()) impl->http->set_ca_cert_path(opt.ca_cert.c_str());
  impl->http->enable_server_certificate_verification(!opt.insecure_tls);
  impl->http->set_connection_timeout(5, 0);
  impl->http->set_read_timeout(opt.timeout_s, 0);
  impl->http->set_keep_alive(true);
  impl->http->set_tcp_nodelay(true);  // a request is header + body writes: no Nagle delay between them
  return std::unique_ptr<GatewayClient>(new GatewayClient(std::move(impl)));
}

GatewayClient::GatewayClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GatewayClient::~GatewayClient() = default;

Result<client::WalletOutcome> GatewayClient::submit(const Bytes& op_bytes) {
  auto op = w::decode_op(op_bytes);
  if (!op) return op.error();
  httplib::Result res{nullptr, httplib::Error::Unknown};
  switch (op->type) {
    case w::OpType::transfer:
      res = impl_->http->Post("/v1/transfer", leg_json(op->legs.at(0)).dump(), "application/json");
      break;
    case w::OpType::atomic: {
      json legs = json::array();
      for (const auto& l : op->legs) legs.push_back(leg_json(l));
      res = impl_->http->Post("/v1/atomic-transfer", json{{"legs", legs}}.dump(), "application/json");
      break;
    }
    case w::OpType::balance:
      res = impl_->http->Get("/v1/balance/" + to_hex(op->account) + "?ordered=true");
      break;
    case w::OpType::ledger: {
      std::string q = "/v1/ledger?ordered=true&limit=" + std::to_string(op->limit);
      if (op->after) q += "&after=" + to_hex(*op->after);
      res = impl_->http->Get(q);
      break;
    }
  }
  if (!res) return err("gateway: request failed: " + httplib::to_string(res.error()));
  return verify_gateway_answer(res->status, res->body, op_bytes, *impl_->group);
}

Result<client::ProvenRead> GatewayClient::read(const client::ReadRequest& r) {
  std::string q;
  if (r.op.type == w::OpType::balance) {
    q = "/v1/balance/" + to_hex(r.op.account) + "?min_k=" + std::to_string(r.min_k);
  } else if (r.op.type == w::OpType::ledger) {
    q = "/v1/ledger?limit=" + std::to_string(r.op.limit) + "&min_k=" + std::to_string(r.min_k);
    if (r.op.after) q += "&after=" + to_hex(*r.op.after);
  } else {
    return err("not a read");
  }
  auto res = impl_->http->Get(q);
  if (!res) return err("gateway: request failed: " + httplib::to_string(res.error()));
  return verify_gateway_read(res->status, res->body, r, *impl_->group);
}

}  // namespace rampart::gateway
