// Verifiable reads from a replica itself (`rampart replica --serve-reads`, node/read_endpoint.hpp):
// no consensus round, an answer proven against the replica's latest final block, which the
// client checks itself; a height the replica has not reached is refused, not answered from the
// past.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "client/wallet.hpp"
#include "client/wallet_keys.hpp"
#include "process/cluster_fixture.hpp"

namespace rampart::test {
namespace {
using namespace std::chrono_literals;

// The address a replica bound for reads, from its log (empty until it says).
std::string serving_at(const std::filesystem::path& log) {
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    const auto p = line.find("event=serving_reads at=");
    if (p == std::string::npos) continue;
    std::istringstream rest(line.substr(p + 23));
    std::string at;
    rest >> at;
    return at;
  }
  return {};
}

TEST(WalletReads, AReplicaServesVerifiedReadsFromItsFinalBlocks) {
  LocalCluster c(4, "poe", "--app wallet --admins 1");
  auto admin = client::load_wallet_key(c.dir() / "keys" / "admin-0.key");
  ASSERT_TRUE(admin) << admin.error().message;
  c.set_extra_args(2, {"--serve-reads", "127.0.0.1:0"});
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  std::string at;
  ASSERT_TRUE(wait_for([&] { return !(at = serving_at(c.log(2))).empty(); }, 10s));

  const auto alice = crypto::ed25519::KeyPair::generate(), bob = crypto::ed25519::KeyPair::generate();
  const std::string alice_hex = to_hex(alice.public_key()), bob_hex = to_hex(bob.public_key());
  auto wc = client::WalletClient::create(c.config(), {});
  ASSERT_TRUE(wc) << wc.error().message;
  uint64_t k = 0;
  auto pay = [&](const crypto::ed25519::KeyPair& from, const crypto::ed25519::KeyPair& to, uint64_t amount, uint64_t nonce) {
    auto r = (*wc)->transfer(from, to.public_key(), amount, nonce);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->result.code, app::wallet::Code::ok) << r->result.reason;
    k = r->answer.k;
  };
  pay(*admin, alice, 1000, 0);
  pay(alice, bob, 250, 0);
  ASSERT_GT(k, 0u);
  auto read = [&](const std::string& account, uint64_t min_height) {
    return run_cli({"wallet", "balance", "--config", c.config_file().string(), "--observer", at, "--min-height",
                    std::to_string(min_height), account});
  };
  // Block k is final at replica 2 soon after the client's answer; a read for it waits there.
  std::pair<int, std::string> out;
  ASSERT_TRUE(wait_for([&] { return (out = read(alice_hex, k)).first == 0; }, 20s)) << out.second;
  EXPECT_NE(out.second.find(alice_hex + " 750 (next nonce 1)"), std::string::npos) << out.second;
  EXPECT_NE(out.second.find("verified: block "), std::string::npos) << out.second;
  out = read(bob_hex, k);
  EXPECT_EQ(out.first, 0) << out.second;
  EXPECT_NE(out.second.find(bob_hex + " 250 (next nonce 0)"), std::string::npos) << out.second;
  auto ahead = read(alice_hex, k + 100000);
  EXPECT_NE(ahead.first, 0) << ahead.second;
  EXPECT_NE(ahead.second.find("below the height asked for"), std::string::npos) << ahead.second;
}

}  // namespace
}  // namespace rampart::test
