// The dashboard end to end, in headless Chromium (Debian's `chromium`, installed by
// scripts/setup.sh; a missing browser fails this test, it does not skip): `rampart cluster up`
// runs a 4-replica wallet cluster and its HTTPS gateway under a self-signed certificate; the
// browser trusts that one key (pinned by its SPKI hash, not "ignore all certificate errors"),
// loads the page and must show four replicas, then a block that only exists after a transfer
// this test makes, labelled as verified by the gateway, and an account looked up through the form.
#include <gtest/gtest.h>

#include <functional>

#include "client/group_key.hpp"
#include "client/wallet.hpp"
#include "client/wallet_keys.hpp"
#include "gateway/gateway_client.hpp"
#include "gateway/self_signed.hpp"
#include "process/chromium.hpp"
#include "process/cluster_up.hpp"

namespace rampart::test {
namespace {
using namespace std::chrono_literals;
using crypto::ed25519::KeyPair;
using nlohmann::json;

// Polls a JavaScript expression in the page until `ok` holds for its value or the deadline
// passes; the last value (for the failure message).
json poll_page(Chromium& b, const std::string& session, const std::string& expr, const std::function<bool(const json&)>& ok,
               std::chrono::milliseconds d) {
  json last;
  wait_for(
      [&] {
        auto v = b.eval(session, expr);
        last = v ? *v : json(v.error().message);
        return v && ok(*v);
      },
      d);
  return last;
}

TEST(WalletDashboard, ChromiumShowsFourReplicasAndANewBlockOverHttps) {
  LocalCluster c(4, "poe", "--app wallet --admins 1");
  ClusterUp up(c, {"--gateway-port", "0"});
  ASSERT_TRUE(up.wait_ready(30s)) << up.output();
  const std::string url = up.gateway_url();
  ASSERT_EQ(url.rfind("https://", 0), 0u) << up.output();
  auto spki = gateway::certificate_spki_sha256_base64(c.dir() / "gateway" / "cert.pem");
  ASSERT_TRUE(spki) << spki.error().message;

  auto browser = Chromium::launch(c.dir() / "chromium-profile", c.dir() / "chromium.log",
                                  {"--ignore-certificate-errors-spki-list=" + *spki});
  ASSERT_TRUE(browser) << browser.error().message;
  Chromium& b = **browser;
  auto tab = b.open(url);
  ASSERT_TRUE(tab) << tab.error().message;
  const std::string& s = *tab;

  // Loaded over HTTPS, from the gateway, with the four replicas it scraped: all up, one primary.
  json title = poll_page(b, s, "location.protocol + ' ' + document.title",
                         [](const json& v) { return v == "https: Rampart wallet dashboard"; }, 30s);
  EXPECT_EQ(title, "https: Rampart wallet dashboard");
  const std::string replicas_js =
      "({up: document.querySelectorAll('#replicas tbody tr[data-up=\"true\"]').length,"
      " rows: document.querySelectorAll('#replicas tbody tr').length,"
      " primaries: document.querySelectorAll('#replicas tbody tr[data-role=\"primary\"]').length})";
  json reps = poll_page(b, s, replicas_js, [](const json& v) { return v.is_object() && v["up"] == 4 && v["primaries"] == 1; }, 30s);
  EXPECT_EQ(reps["up"], 4) << reps.dump() << "\n" << up.output();
  EXPECT_EQ(reps["rows"], 4) << reps.dump();
  EXPECT_EQ(reps["primaries"], 1) << reps.dump();

  // No block yet: the gateway has answered nothing, and blocks come from its verified replies.
  auto none = b.eval(s, "document.querySelectorAll('#blocks tbody tr').length");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(*none, 0);

  // A transfer through the gateway (its proof checked here); its block must appear on the page.
  gateway::GatewayClientOptions go;
  go.url = url.substr(0, url.size() - 1);
  go.ca_cert = (c.dir() / "gateway" / "cert.pem").string();
  auto gc = gateway::GatewayClient::create(c.config(), go);
  ASSERT_TRUE(gc) << gc.error().message;
  auto admin = client::load_wallet_key(c.dir() / "keys" / "admin-0.key");
  ASSERT_TRUE(admin) << admin.error().message;
  KeyPair alice = KeyPair::generate();
  auto mint = (*gc)->submit(client::make_transfer_op({{&*admin, alice.public_key(), 777, 0}}, false));
  ASSERT_TRUE(mint) << mint.error().message;
  ASSERT_EQ(mint->result.code, app::wallet::Code::ok) << mint->result.reason;
  const uint64_t k = mint->answer.reply.k;
  const std::string block_js = "(() => { const r = document.querySelector('#blocks tbody tr[data-k=\"" + std::to_string(k) +
                               "\"]'); return r ? r.textContent : ''; })()";
  json row = poll_page(b, s, block_js, [](const json& v) { return v.is_string() && !v.get<std::string>().empty(); }, 30s);
  ASSERT_TRUE(row.is_string() && !row.get<std::string>().empty()) << "block " << k << " never shown: " << row.dump();
  EXPECT_NE(row.get<std::string>().find("verified by gateway"), std::string::npos) << row.dump();

  // Account lookup through the page's form: the balance the mint made.
  auto typed = b.eval(s, "document.querySelector('#account').value = '" + to_hex(alice.public_key()) +
                             "'; document.querySelector('#lookup').requestSubmit(); true");
  ASSERT_TRUE(typed) << typed.error().message;
  json bal = poll_page(b, s, "document.querySelector('#account-result').dataset.balance || ''",
                       [](const json& v) { return v == "777"; }, 30s);
  EXPECT_EQ(bal, "777") << poll_page(b, s, "document.querySelector('#account-result').textContent", [](const json&) { return true; }, 1s);
  auto lookup_text = b.eval(s, "document.querySelector('#account-result').textContent");
  ASSERT_TRUE(lookup_text);
  EXPECT_NE(lookup_text->get<std::string>().find("verified by gateway"), std::string::npos) << lookup_text->dump();
}

}  // namespace
}  // namespace rampart::test
