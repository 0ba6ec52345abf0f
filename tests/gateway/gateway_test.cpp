// The gateway in one process (plain HTTP, no cluster needed for these): every route it serves
// is in its OpenAPI document with the same method and every documented path is served; JSON
// bodies are checked strictly, naming the field.
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "gateway/json_codec.hpp"
#include "gateway/openapi.hpp"
#include "gateway/server.hpp"

namespace rampart::gateway {
namespace {
using nlohmann::json;

ClusterConfig unreachable_wallet_cluster() {
  ClusterConfig c;
  c.app = "wallet";
  c.crypto = "fake";
  c.fake_seed = 1;
  for (uint32_t i = 0; i < 4; ++i) {
    ReplicaEntry r;
    r.id = i;
    r.peer_port = static_cast<uint16_t>(9 + i);  // nobody listens: nothing here may need the cluster
    r.client_port = static_cast<uint16_t>(19 + i);
    r.ed25519_public.assign(32, 1);
    r.x25519_public.assign(32, 2);
    c.replicas.push_back(r);
  }
  return c;
}

TEST(OpenApi, EveryServedRouteIsDocumentedAndEveryDocumentedPathServed) {
  const auto& doc = openapi_document();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  std::set<std::pair<std::string, std::string>> documented;
  for (auto p = doc["paths"].begin(); p != doc["paths"].end(); ++p)
    for (auto m = p.value().begin(); m != p.value().end(); ++m) documented.insert({m.key(), p.key()});
  std::set<std::pair<std::string, std::string>> served(Gateway::routes().begin(), Gateway::routes().end());
  EXPECT_EQ(served, documented);

  GatewayOptions o;
  o.cfg = unreachable_wallet_cluster();
  o.plain_http = true;
  o.clients = 1;
  auto g = Gateway::create(o);
  ASSERT_TRUE(g) << g.error().message;
  std::thread t([&] { (*g)->run(); });
  httplib::Client h("127.0.0.1", (*g)->port());
  h.set_read_timeout(5, 0);
  const std::string acct(64, 'a');
  // One request per route that the gateway answers without the cluster; none may be the
  // catch-all "no such route".
  for (const auto& [method, path] : Gateway::routes()) {
    httplib::Result r{nullptr, httplib::Error::Unknown};
    if (path == "/v1/transfer" || path == "/v1/atomic-transfer") {
      r = h.Post(path.c_str(), "{}", "application/json");
    } else if (path == "/v1/balance/{account}") {
      r = h.Get("/v1/balance/xyz");
    } else if (path == "/v1/ledger") {
      r = h.Get("/v1/ledger?limit=0");
    } else if (path == "/v1/blocks/{k}") {
      r = h.Get("/v1/blocks/5");
    } else if (path == "/v1/events") {
      std::string got;
      r = h.Get(path.c_str(), [&](const char* d, size_t n) {
        got.append(d, n);
        return false;  // the greeting arrives at once; hang up
      });
      EXPECT_NE(got.find("rampart block stream"), std::string::npos) << got;
      continue;
    } else if (path == "/") {  // the dashboard: HTML that may load nothing from elsewhere
      r = h.Get("/");
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200);
      EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
      EXPECT_NE(r->body.find("<canvas id=\"chart\""), std::string::npos);
      EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
      EXPECT_EQ(r->body.find("http://"), std::string::npos);
      EXPECT_EQ(r->body.find("https://"), std::string::npos);
      continue;
    } else if (path == "/v1/replicas") {  // nobody listens on the metrics ports: all unreachable, at once
      r = h.Get(path.c_str());
      ASSERT_TRUE(r);
      auto j = json::parse(r->body);
      ASSERT_EQ(j["replicas"].size(), 4u) << r->body;
      for (const auto& x : j["replicas"]) EXPECT_EQ(x["role"], "unreachable") << x;
      continue;
    } else {
      r = h.Get(path.c_str());
    }
    ASSERT_TRUE(r) << method << " " << path;
    auto j = json::parse(r->body, nullptr, false);
    EXPECT_NE(j.value("type", ""), "/problems/not-found") << method << " " << path << ": " << r->body;
  }
  auto nope = h.Get("/v1/nothing");
  ASSERT_TRUE(nope);
  EXPECT_EQ(nope->status, 404);
  EXPECT_EQ(nope->get_header_value("Content-Type"), "application/problem+json");
  (*g)->stop();
  t.join();
}

TEST(JsonCodec, TransferBodiesAreCheckedStrictly) {
  auto field_of = [](std::string_view body, bool atomic) {
    auto r = parse_transfer_body(body, atomic);
    auto* p = std::get_if<Problem>(&r);
    return p ? p->type + ":" + p->field : std::string("ok");
  };
  EXPECT_EQ(field_of("[", false), "malformed-json:");
  EXPECT_EQ(field_of("[]", false), "bad-field:");
  EXPECT_EQ(field_of(R"({"from":"00"})", false), "missing-field:to");
  EXPECT_EQ(field_of(R"({"x":1})", false), "unknown-field:x");
  EXPECT_EQ(field_of(R"({"legs":[],"y":2})", true), "unknown-field:y");
  EXPECT_EQ(field_of(R"({"legs":{}})", true), "missing-field:legs");
  const std::string a(64, 'a'), sig(128, 'b');
  auto body = [&](const std::string& amount) {
    return R"({"from":")" + a + R"(","to":")" + a + R"(","amount":)" + amount + R"(,"nonce":0,"signature":")" + sig + R"("})";
  };
  EXPECT_EQ(field_of(body("0"), false), "bad-amount:amount");
  EXPECT_EQ(field_of(body("\"12x\""), false), "bad-amount:amount");
  EXPECT_EQ(field_of(body("1e3"), false), "bad-amount:amount");
  EXPECT_EQ(field_of(body("5"), false), "bad-signature:signature");  // well-formed, but not a's signature
  EXPECT_EQ(field_of("{\"legs\":[" + body("5") + "]}", true), "bad-signature:legs[0].signature");
}

}  // namespace
}  // namespace rampart::gateway
