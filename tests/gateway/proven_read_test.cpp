// The gateway's proven reads in one process (plain HTTP): GET /v1/balance and /v1/ledger are
// answered from read servers (here one that lies about every balance and one honest), the
// answer carries a state proof the test verifies itself (and GatewayClient verifies), a min_k no
// server has reached is a 503 "height-not-reached" naming min_k, and a gateway that shows a
// balance other than the proven one is caught.
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "client/read_servers_fixture.hpp"
#include "gateway/gateway_client.hpp"
#include "gateway/read_json.hpp"
#include "gateway/server.hpp"

namespace rampart::testing {
namespace {
namespace w = app::wallet;
using nlohmann::json;

struct GatewayOverReadServers {
  WalletChain chain;
  std::unique_ptr<LyingReadServer> liar;
  std::unique_ptr<HonestReadServer> honest;
  std::unique_ptr<gateway::Gateway> gw;
  std::thread t;
  ClusterConfig cfg;

  GatewayOverReadServers() {
    chain.run({{&chain.admin, w::test::transfer(chain.admin, chain.users[0].public_key(), 100, 0)}});
    chain.pay(chain.users[0], chain.users[1], 25, 0);  // u0 = 75 at block 2
    liar = std::make_unique<LyingReadServer>(state_upto(chain, 2));
    gossip::ReadServerOptions o;
    o.max_wait = std::chrono::milliseconds(100);
    honest = std::make_unique<HonestReadServer>(state_upto(chain, 2), o);
    cfg = chain.cluster();
    for (auto& r : cfg.replicas) {
      r.peer_port = static_cast<uint16_t>(9 + r.id);  // nobody listens: only reads are served here
      r.client_port = static_cast<uint16_t>(19 + r.id);
      r.ed25519_public.assign(32, 1);
      r.x25519_public.assign(32, 2);
    }
    cfg.replicas[0].read_port = liar->port;  // asked first by the first reader
    cfg.replicas[1].read_port = honest->port;
    gateway::GatewayOptions go;
    go.cfg = cfg;
    go.plain_http = true;
    go.clients = 1;
    go.replica_timeout = std::chrono::milliseconds(1000);
    auto g = gateway::Gateway::create(go);
    if (!g) throw std::runtime_error(g.error().message);
    gw = std::move(*g);
    t = std::thread([this] { gw->run(); });
  }
  ~GatewayOverReadServers() {
    gw->stop();
    t.join();
  }
  httplib::Client http() {
    httplib::Client h("127.0.0.1", gw->port());
    h.set_read_timeout(10, 0);
    return h;
  }
};

TEST(GatewayProvenReads, AnsweredWithAStateProofTheCallerVerifies) {
  GatewayOverReadServers f;
  auto h = f.http();
  const auto u0 = f.chain.users[0].public_key();
  auto res = h.Get("/v1/balance/" + to_hex(u0) + "?min_k=2");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json j = json::parse(res->body);
  EXPECT_EQ(j["proof"]["type"], "state-proof");
  EXPECT_EQ(j["read"]["type"], "proven");
  EXPECT_EQ(j["read"]["server"], "read server 127.0.0.1:" + std::to_string(f.honest->port)) << "the liar's answer was passed on";
  EXPECT_EQ(j["result"]["entries"][0]["balance"], 75);
  EXPECT_EQ(f.liar->answered.load(), 1);
  // Checked here with nothing but the group key.
  auto v = gateway::verify_gateway_read(res->status, res->body, client::balance_read(u0, 2), f.chain.ring.threshold_verifier());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->entries.at(0).balance, 75u);
  EXPECT_EQ(v->k, 2u);

  // A ledger page, through GatewayClient (which verifies it itself).
  gateway::GatewayClientOptions go;
  go.url = "http://127.0.0.1:" + std::to_string(f.gw->port());
  auto gc = gateway::GatewayClient::create(f.cfg, go);
  ASSERT_TRUE(gc) << gc.error().message;
  auto page = (*gc)->read(client::page_read(std::nullopt, 10, 1));
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->entries.size(), 3u);  // admin, u0, u1
  EXPECT_FALSE(page->more);
  auto bal = (*gc)->read(client::balance_read(f.chain.users[1].public_key(), 0));
  ASSERT_TRUE(bal) << bal.error().message;
  EXPECT_EQ(bal->entries.at(0).balance, 25u);
}

TEST(GatewayProvenReads, AHeightNoServerReachedIsRefusedAsSuch) {
  GatewayOverReadServers f;
  auto h = f.http();
  auto res = h.Get("/v1/balance/" + to_hex(f.chain.users[0].public_key()) + "?min_k=3");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");
  const json j = json::parse(res->body);
  EXPECT_EQ(j["type"], "/problems/height-not-reached") << res->body;
  EXPECT_EQ(j["field"], "min_k");
  EXPECT_FALSE(res->get_header_value("Retry-After").empty());
  // Bad parameters are 400s naming them.
  res = h.Get("/v1/ledger?min_k=-1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["field"], "min_k");
  res = h.Get("/v1/balance/" + to_hex(f.chain.users[0].public_key()) + "?ordered=yes");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["field"], "ordered");
}

TEST(GatewayProvenReads, AGatewayShowingAnotherBalanceThanItProvesIsCaught) {
  GatewayOverReadServers f;
  auto h = f.http();
  const auto u0 = f.chain.users[0].public_key();
  auto res = h.Get("/v1/balance/" + to_hex(u0));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto& group = f.chain.ring.threshold_verifier();
  const auto req = client::balance_read(u0, 0);
  json j = json::parse(res->body);
  j["result"]["entries"][0]["balance"] = 1000000;  // the plain answer inflated, the proof honest
  auto v = gateway::verify_gateway_read(200, j.dump(), req, group);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("not the one its proof shows"), std::string::npos) << v.error().message;
  j = json::parse(res->body);
  std::string sp = j["proof"]["state_proof"];
  sp[sp.size() - 20] = sp[sp.size() - 20] == '0' ? '1' : '0';  // a byte of the accounts proof changed
  j["proof"]["state_proof"] = sp;
  EXPECT_FALSE(gateway::verify_gateway_read(200, j.dump(), req, group));
  // Another account's proof is not this account's answer.
  EXPECT_FALSE(gateway::verify_gateway_read(200, res->body, client::balance_read(f.chain.users[1].public_key(), 0), group));
  // Older than asked for: stale.
  auto stale = gateway::verify_gateway_read(200, res->body, client::balance_read(u0, 5), group);
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message.find("stale"), std::string::npos) << stale.error().message;
}

}  // namespace
}  // namespace rampart::testing
