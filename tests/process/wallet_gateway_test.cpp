// The wallet through `rampart gateway` over HTTPS, with cpp-httplib's client: transfers whose
// proofs the caller verifies itself, every error path (problem+json naming the field), replay,
// 429 when the gateway's cluster clients are all busy, 503 when the cluster cannot answer, the
// server-sent block stream, the OpenAPI document, and plain HTTP refused unless asked for.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "client/group_key.hpp"
#include "client/wallet.hpp"
#include "client/wallet_keys.hpp"
#include "gateway/gateway_client.hpp"
#include "gateway/json_codec.hpp"
#include "gateway/read_json.hpp"
#include "gateway/openapi.hpp"
#include "process/cluster_fixture.hpp"
#include "process/cluster_up.hpp"
#include "process/wallet_workload.hpp"

namespace rampart::test {
namespace {
using namespace std::chrono_literals;
namespace w = app::wallet;
using crypto::ed25519::KeyPair;
using nlohmann::json;

// One `rampart gateway` process on a free port, killed with the test.
struct GatewayProcess {
  pid_t pid = -1;
  uint16_t port = 0;
  GatewayProcess(const LocalCluster& c, const std::vector<std::string>& extra) {
    for (uint16_t p = static_cast<uint16_t>(30000 + (::getpid() * 13) % 2000);; ++p) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(p);
      const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (free) {
        port = p;
        break;
      }
    }
    std::vector<std::string> args = {rampart_bin(), "gateway", "--config", c.config_file().string(), "--listen",
                                     "127.0.0.1:" + std::to_string(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    pid = spawn_logged(std::move(args), c.dir() / ("gateway-" + std::to_string(port) + ".log"));
  }
  ~GatewayProcess() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

struct Fixture {
  LocalCluster c{4, "poe", "--app wallet --admins 1"};
  std::string cert, key;
  std::unique_ptr<KeyPair> admin;
  // byzantine0: replica 0 runs with --misbehave bad-shares,lie-results (node/misbehave.hpp).
  explicit Fixture(bool byzantine0 = false) {
    if (byzantine0) c.set_extra_args(0, {"--misbehave", "bad-shares,lie-results"});
    cert = (c.dir() / "gw.crt").string();
    key = (c.dir() / "gw.key").string();
    const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + key + " -out " +
                            cert + " -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl could not make a test certificate");
    auto a = client::load_wallet_key(c.dir() / "keys" / "admin-0.key");
    if (!a) throw std::runtime_error(a.error().message);
    admin = std::make_unique<KeyPair>(*a);
    c.start_all();
  }
  httplib::Client https(uint16_t port) {
    httplib::Client h("https://127.0.0.1:" + std::to_string(port));
    h.set_ca_cert_path(cert.c_str());
    h.enable_server_certificate_verification(true);
    h.set_connection_timeout(2, 0);
    h.set_read_timeout(30, 0);
    return h;
  }
};

json body_of(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }

void expect_problem(const httplib::Result& r, int status, const std::string& field) {
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
  auto j = body_of(r);
  ASSERT_TRUE(j.is_object()) << r->body;
  EXPECT_EQ(j["status"], status);
  if (!field.empty()) {
    EXPECT_EQ(j.value("field", ""), field) << r->body;
  }
}

TEST(WalletGateway, HttpsTransfersErrorsStreamAndOverload) {
  Fixture f;
  ASSERT_TRUE(f.c.wait_up(20s));
  GatewayProcess gw(f.c, {"--tls-cert", f.cert, "--tls-key", f.key});
  auto h = f.https(gw.port);
  ASSERT_TRUE(wait_for([&] { return static_cast<bool>(h.Get("/v1/status")); }, 10s));
  auto group = client::make_group_verifier(f.c.config());
  ASSERT_TRUE(group);

  // The block stream, subscribed before anything happens.
  std::promise<std::string> first_block;
  std::atomic<bool> got{false};
  std::thread sse([&] {
    auto s = f.https(gw.port);
    std::string buf;
    s.Get("/v1/events", [&](const char* d, size_t n) {
      buf.append(d, n);
      if (!got && buf.find("event: block") != std::string::npos) {
        got = true;
        first_block.set_value(buf);
        return false;
      }
      return true;
    });
  });

  // A transfer through the gateway client: it verifies the proof itself.
  gateway::GatewayClientOptions go;
  go.url = "https://127.0.0.1:" + std::to_string(gw.port);
  go.ca_cert = f.cert;
  auto gc = gateway::GatewayClient::create(f.c.config(), go);
  ASSERT_TRUE(gc) << gc.error().message;
  KeyPair alice = KeyPair::generate(), bob = KeyPair::generate();
  const Bytes mint = client::make_transfer_op({{f.admin.get(), alice.public_key(), 500, 0}}, false);
  auto r = (*gc)->submit(mint);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->result.code, w::Code::ok) << r->result.reason;
  auto fb = first_block.get_future();
  ASSERT_EQ(fb.wait_for(20s), std::future_status::ready);
  EXPECT_NE(fb.get().find("\"state_digest\""), std::string::npos);
  sse.join();

  // A block the gateway saw, and the reply's proof checked here from the raw JSON.
  auto blk = h.Get("/v1/blocks/" + std::to_string(r->answer.reply.k));
  ASSERT_TRUE(blk);
  EXPECT_EQ(blk->status, 200);
  auto bal = h.Get("/v1/balance/" + to_hex(alice.public_key()) + "?ordered=true");
  ASSERT_TRUE(bal);
  ASSERT_EQ(bal->status, 200);
  auto v = gateway::verify_gateway_answer(bal->status, bal->body, client::make_balance_op(alice.public_key()), **group);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->result.entries.at(0).balance, 500u);
  // The default: a proven read from a replica's read server at the transfer's block or later,
  // its state proof checked here from the raw JSON; then through GatewayClient, which checks it too.
  const uint64_t k = r->answer.reply.k;
  auto pr = h.Get("/v1/balance/" + to_hex(alice.public_key()) + "?min_k=" + std::to_string(k));
  ASSERT_TRUE(pr);
  ASSERT_EQ(pr->status, 200) << pr->body;
  EXPECT_EQ(body_of(pr)["proof"]["type"], "state-proof") << pr->body;
  auto pv = gateway::verify_gateway_read(pr->status, pr->body, client::balance_read(alice.public_key(), k), **group);
  ASSERT_TRUE(pv) << pv.error().message;
  EXPECT_EQ(pv->entries.at(0).balance, 500u);
  EXPECT_GE(pv->k, k);
  auto proven_page = (*gc)->read(client::page_read(std::nullopt, 256, k));
  ASSERT_TRUE(proven_page) << proven_page.error().message;
  EXPECT_EQ(proven_page->entries.size(), 2u);  // the admin and alice
  EXPECT_FALSE(proven_page->more);
  // A height no replica has reached: refused as such (503 naming min_k), not answered from the past.
  auto ahead = h.Get("/v1/balance/" + to_hex(alice.public_key()) + "?min_k=" + std::to_string(k + 1000000));
  expect_problem(ahead, 503, "min_k");
  EXPECT_EQ(body_of(ahead)["type"], "/problems/height-not-reached") << ahead->body;
  expect_problem(h.Get("/v1/balance/" + to_hex(alice.public_key()) + "?min_k=x"), 400, "min_k");
  expect_problem(h.Get("/v1/ledger?ordered=maybe"), 400, "ordered");

  // What the dashboard reads: the newest blocks (the mint's among them, vouched for by the
  // gateway), each replica's view and role from its metrics, and the gateway's per-second series.
  auto newest = h.Get("/v1/blocks?limit=5");
  ASSERT_TRUE(newest);
  ASSERT_EQ(newest->status, 200) << newest->body;
  bool listed = false;
  const json newest_j = body_of(newest);  // named: a range-for over a temporary's member dangles
  for (const auto& b : newest_j["blocks"])
    if (b["k"] == r->answer.reply.k) listed = b["verified_by"] == "gateway";
  EXPECT_TRUE(listed) << newest->body;
  expect_problem(h.Get("/v1/blocks?limit=0"), 400, "limit");
  // Replicas as they report themselves: all four up, one primary, one view, each past block 0
  // (polled: a backup may execute a moment after the reply, and views agree only between changes).
  json rj;
  EXPECT_TRUE(wait_for([&] {
    auto reps = h.Get("/v1/replicas");
    if (!reps) return false;
    rj = body_of(reps);
    if (!rj.contains("replicas") || rj["replicas"].size() != 4) return false;
    int primaries = 0;
    for (const auto& x : rj["replicas"]) {
      if (x["up"] != true || x["view"] != rj["replicas"][0]["view"] || x["height"].get<uint64_t>() < 1) return false;
      primaries += x["role"] == "primary";
    }
    return primaries == 1;
  }, 10s)) << rj.dump();
  // Verified answers so far: mint, balances, a page; the series reports complete seconds only.
  uint64_t counted = 0;
  EXPECT_TRUE(wait_for([&] {
    auto st = h.Get("/v1/stats");
    counted = 0;
    if (!st) return false;
    const json sj = body_of(st);
    for (const auto& sec : sj["seconds"]) counted += sec["requests"].get<uint64_t>();
    return counted >= 2;
  }, 5s)) << counted;
  auto page = (*gc)->submit(client::make_page_op(std::nullopt, 10));
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->result.entries.size(), 2u);  // admin and alice

  // Every error path names its field.
  const std::string A = to_hex(alice.public_key()), B = to_hex(bob.public_key());
  auto legs2 = [&](uint64_t a1, uint64_t n1, uint64_t a2, uint64_t n2) {  // one atomic transfer, signed over both legs
    auto op = w::decode_op(client::make_transfer_op({{&alice, bob.public_key(), a1, n1}, {&alice, bob.public_key(), a2, n2}}, true));
    return json{{"legs", json::array({gateway::leg_json(op->legs[0]), gateway::leg_json(op->legs[1])})}};
  };
  auto leg = [&](uint64_t amount, uint64_t nonce) {
    return gateway::leg_json(w::decode_op(client::make_transfer_op({{&alice, bob.public_key(), amount, nonce}}, false))->legs[0]);
  };
  expect_problem(h.Post("/v1/transfer", "{not json", "application/json"), 400, "");
  EXPECT_EQ(body_of(h.Post("/v1/transfer", "{not json", "application/json"))["type"], "/problems/malformed-json");
  json j = leg(5, 0);
  j["memo"] = "hi";
  expect_problem(h.Post("/v1/transfer", j.dump(), "application/json"), 400, "memo");
  j = leg(5, 0);
  j["signature"] = std::string(128, '0');
  expect_problem(h.Post("/v1/transfer", j.dump(), "application/json"), 422, "signature");
  j = leg(5, 0);
  j["signature"] = "zz";
  expect_problem(h.Post("/v1/transfer", j.dump(), "application/json"), 400, "signature");
  for (json bad : {json(0), json(-1), json("abc"), json(1.5), json("18446744073709551616")}) {
    j = leg(5, 0);
    j["amount"] = bad;
    expect_problem(h.Post("/v1/transfer", j.dump(), "application/json"), 400, "amount");
  }
  j = leg(5, 0);
  j["to"] = "12345";
  expect_problem(h.Post("/v1/transfer", j.dump(), "application/json"), 400, "to");
  expect_problem(h.Get("/v1/balance/nothex"), 400, "account");
  expect_problem(h.Get("/v1/ledger?limit=0"), 400, "limit");
  expect_problem(h.Get("/v1/ledger?after=xyz"), 400, "after");
  expect_problem(h.Get("/v1/ledger?colour=red"), 400, "colour");
  expect_problem(h.Get("/v1/blocks/abc"), 400, "k");
  expect_problem(h.Get("/v1/blocks/999999"), 404, "k");
  json atom = legs2(5, 0, 6, 1);
  atom["legs"][1]["signature"] = std::string(128, 'a');
  expect_problem(h.Post("/v1/atomic-transfer", atom.dump(), "application/json"), 422, "legs[1].signature");
  expect_problem(h.Post("/v1/atomic-transfer", json{{"legs", json::array()}}.dump(), "application/json"), 400, "legs");

  // Cluster-side rejections carry their proof: a replay (409) and an overdraft (422).
  j = leg(5, 0);
  auto ok = h.Post("/v1/transfer", j.dump(), "application/json");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  auto replay = h.Post("/v1/transfer", j.dump(), "application/json");
  expect_problem(replay, 409, "nonce");
  EXPECT_EQ(body_of(replay)["type"], "/problems/replay");
  const Bytes replay_op = client::make_transfer_op({{&alice, bob.public_key(), 5, 0}}, false);
  auto rv = gateway::verify_gateway_answer(replay->status, replay->body, replay_op, **group);
  ASSERT_TRUE(rv) << rv.error().message;  // the rejection itself is proven
  EXPECT_EQ(rv->result.code, w::Code::replay);
  expect_problem(h.Post("/v1/transfer", leg(100000, 1).dump(), "application/json"), 422, "amount");
  atom = legs2(1, 1, 1, 5);
  expect_problem(h.Post("/v1/atomic-transfer", atom.dump(), "application/json"), 409, "legs[1].nonce");

  // The OpenAPI document is the one the server was built with.
  auto doc = h.Get("/v1/openapi.json");
  ASSERT_TRUE(doc);
  EXPECT_EQ(json::parse(doc->body), gateway::openapi_document());

  // Overload and an unavailable cluster: one cluster client, held by a request the stopped
  // cluster cannot answer; the next request finds none free (429), the first times out (503).
  GatewayProcess small(f.c, {"--tls-cert", f.cert, "--tls-key", f.key, "--clients", "1", "--queue-wait-ms", "0",
                             "--replica-timeout-ms", "300"});
  auto hs = f.https(small.port);
  ASSERT_TRUE(wait_for([&] { return static_cast<bool>(hs.Get("/v1/status")); }, 10s));
  for (uint32_t i = 0; i < 4; ++i) f.c.signal(i, SIGSTOP);
  auto held = std::async(std::launch::async, [&] { return f.https(small.port).Get("/v1/balance/" + A + "?ordered=true"); });
  ASSERT_TRUE(wait_for([&] {
    auto s = hs.Get("/v1/status");
    return s && body_of(s)["gateway"]["in_use"] == 1;
  }, 10s));
  expect_problem(hs.Get("/v1/balance/" + B + "?ordered=true"), 429, "");
  auto unavailable = held.get();
  expect_problem(unavailable, 503, "");
  // Proven reads use no cluster client: with every read server silent they end in 503 too.
  auto silent = hs.Get("/v1/balance/" + B);
  expect_problem(silent, 503, "");
  EXPECT_EQ(body_of(silent)["type"], "/problems/cluster-unavailable") << silent->body;
  for (uint32_t i = 0; i < 4; ++i) f.c.signal(i, SIGCONT);
}

// The Done-when workload through the gateway: 8 clients over HTTPS (GatewayClient builds and
// signs each operation, posts it as the gateway's JSON and verifies the proof in the answer
// itself), with replica 0 Byzantine behind the gateway: the books balance, replays are refused.
TEST(WalletGateway, ConcurrentTransfersThroughTheGatewayKeepTheBooksDespiteAByzantineReplica) {
  Fixture f(/*byzantine0=*/true);
  ASSERT_TRUE(f.c.wait_up(20s));
  GatewayProcess gw(f.c, {"--tls-cert", f.cert, "--tls-key", f.key});
  auto h = f.https(gw.port);
  ASSERT_TRUE(wait_for([&] { return static_cast<bool>(h.Get("/v1/status")); }, 10s));
  client::ClientOptions co;
  co.timeout = 1500ms;
  auto minter = client::WalletClient::create(f.c.config(), co);
  ASSERT_TRUE(minter) << minter.error().message;
  WalletWorkload wl;
  wl.connect = [&](size_t) -> Result<WalletSubmit> {
    gateway::GatewayClientOptions go;
    go.url = "https://127.0.0.1:" + std::to_string(gw.port);
    go.ca_cert = f.cert;
    auto cl = gateway::GatewayClient::create(f.c.config(), go);
    if (!cl) return cl.error();
    std::shared_ptr<gateway::GatewayClient> sp = std::move(*cl);
    return WalletSubmit([sp](const Bytes& op) { return sp->submit(op); });
  };
  run_wallet_workload(wl, **minter, *f.admin);
  expect_liar_caught(f.c, 0);
}

// `rampart cluster up` on a wallet cluster starts a gateway under a certificate it made itself
// (DIR/gateway/cert.pem, key 0600), prints its URL, and takes it down with the rest on Ctrl-C.
// The client here trusts exactly that certificate, as `curl --cacert` does in the README.
TEST(WalletGateway, ClusterUpStartsAnHttpsGatewayUnderItsOwnCertificate) {
  LocalCluster c(4, "poe", "--app wallet --admins 1");
  ClusterUp up(c, {"--gateway-port", "0"});
  ASSERT_TRUE(up.wait_ready(30s)) << up.output();
  const std::string url = up.gateway_url();
  ASSERT_EQ(url.rfind("https://127.0.0.1:", 0), 0u) << up.output();
  const auto cert = c.dir() / "gateway" / "cert.pem", key = c.dir() / "gateway" / "key.pem";
  ASSERT_TRUE(std::filesystem::exists(cert));
  EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  httplib::Client h(url.substr(0, url.size() - 1));  // without the trailing '/'
  h.set_ca_cert_path(cert.c_str());
  h.enable_server_certificate_verification(true);
  h.set_read_timeout(30, 0);
  ASSERT_TRUE(wait_for([&] { return static_cast<bool>(h.Get("/v1/status")); }, 10s)) << up.output();
  EXPECT_EQ(body_of(h.Get("/v1/status"))["app"], "wallet");
  auto page = h.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("Rampart wallet"), std::string::npos);

  // `cluster up` prints its URLs once the gateway listens, the replicas may still be starting: wait
  // until the gateway sees all four answer on their metrics ports (opened after the client ports).
  json reps;
  ASSERT_TRUE(wait_for([&] {
    auto r = h.Get("/v1/replicas");
    if (!r) return false;
    reps = body_of(r);
    if (!reps.contains("replicas")) return false;
    for (const auto& x : reps["replicas"])
      if (x["up"] != true) return false;
    return reps["replicas"].size() == 4;
  }, 30s)) << reps.dump();

  // A mint as the README's tour sends it: `wallet transfer --print-json` signs the body, an HTTP
  // client posts it (curl there), and its proof is checked here against the operation in it.
  KeyPair alice = KeyPair::generate();
  auto [rc, body] = run_cli({"wallet", "transfer", "--config", c.config_file().string(), "--key",
                             (c.dir() / "keys" / "admin-0.key").string(), "--to", to_hex(alice.public_key()), "--amount", "42",
                             "--print-json"});
  ASSERT_EQ(rc, 0) << body;
  auto mint = gateway::parse_transfer_body(body, false);
  ASSERT_TRUE(std::holds_alternative<Bytes>(mint)) << body;
  auto res = h.Post("/v1/transfer", body, "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto group = client::make_group_verifier(c.config());
  ASSERT_TRUE(group);
  auto v = gateway::verify_gateway_answer(res->status, res->body, std::get<Bytes>(mint), **group);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->result.code, w::Code::ok);
  // A proven read (a replica's read server, no consensus round) at the mint's block or later,
  // its state proof checked here too.
  const uint64_t mint_k = v->answer.k;
  auto bal = h.Get("/v1/balance/" + to_hex(alice.public_key()) + "?min_k=" + std::to_string(mint_k));
  ASSERT_TRUE(bal);
  EXPECT_EQ(body_of(bal)["result"]["entries"][0]["balance"], 42) << bal->body;
  auto proven = gateway::verify_gateway_read(bal->status, bal->body, client::balance_read(alice.public_key(), mint_k), **group);
  ASSERT_TRUE(proven) << proven.error().message;
  EXPECT_EQ(proven->entries.at(0).balance, 42u);
  EXPECT_GE(proven->k, mint_k);
  // The ordered read is still there.
  auto ordered = h.Get("/v1/balance/" + to_hex(alice.public_key()) + "?ordered=true");
  ASSERT_TRUE(ordered);
  EXPECT_EQ(body_of(ordered)["proof"]["type"], "cart-reply") << ordered->body;
  EXPECT_EQ(body_of(ordered)["result"]["entries"][0]["balance"], 42) << ordered->body;

  // A second run keeps the certificate a browser or curl was told to trust.
  const std::string pem = slurp_file(cert);
  EXPECT_EQ(up.interrupt(20s), 0) << up.output();
  EXPECT_NE(up.output().find("stopped."), std::string::npos) << up.output();
  EXPECT_FALSE(h.Get("/v1/status")) << "the gateway outlived cluster up";
  ClusterUp again(c, {"--gateway-port", "0"});
  ASSERT_TRUE(again.wait_ready(30s)) << again.output();
  EXPECT_EQ(slurp_file(cert), pem);
  EXPECT_NE(again.gateway_url(), "");
}

TEST(WalletGateway, PlainHttpOnlyWhenAskedAndOnlyForWallets) {
  LocalCluster c(4, "poe", "--app wallet");
  auto [st, out] = run_cli({"gateway", "--config", c.config_file().string(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(st, 2);
  EXPECT_NE(out.find("--plain-http"), std::string::npos) << out;
  LocalCluster kv(4, "poe");
  std::tie(st, out) = run_cli({"gateway", "--config", kv.config_file().string(), "--listen", "127.0.0.1:0", "--plain-http"});
  EXPECT_EQ(st, 2);
  EXPECT_NE(out.find("wallet"), std::string::npos) << out;
}

}  // namespace
}  // namespace rampart::test
