// Replicas announce every final block to a local gossip module (`rampart replica --gossip`); an
// observer subscribed to the same module checks each block's proof and hash-chain link and keeps
// a ledger that `rampart ledger verify` accepts, the replicas' block for block, and serves the
// wallet's verifiable reads that `rampart wallet balance --observer` checks: the real
// processes, end to end.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "app/kv/op.hpp"
#include "client/client.hpp"
#include "client/wallet.hpp"
#include "client/wallet_keys.hpp"
#include "gossip/api_client.hpp"
#include "gossip/block_items.hpp"
#include "ledger/genesis.hpp"
#include "ledger/store.hpp"
#include "process/cluster_fixture.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// A child process with its output in a file. When it goes it gets SIGTERM and a few seconds to
// stop its own children (`cluster up` does), then SIGKILL: a SIGKILLed `cluster up` left its
// replicas running after a failed test.
struct Child {
  pid_t pid = -1;
  Child(std::vector<std::string> args, const std::filesystem::path& out) : pid(spawn_logged(std::move(args), out)) {}
  ~Child() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 750; ++i) {  // 15 s
      if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
      ::usleep(20000);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The value of `key=` in the first line of `file` that has it, once it is there (10 s).
std::string wait_for_field(const std::filesystem::path& file, const std::string& key) {
  std::string v;
  wait_for(
      [&] {
        const std::string s = slurp(file);
        auto at = s.find(" " + key + "=");
        if (at == std::string::npos) return false;
        at += key.size() + 2;
        v = s.substr(at, s.find_first_of(" \n", at) - at);
        return true;
      },
      10000ms);
  return v;
}

// One gossip module for the whole cluster; its API address, once it listens (empty if not).
std::string start_module(const std::filesystem::path& dir, std::unique_ptr<Child>& module) {
  const auto ini = dir / "gossip.ini", out = dir / "gossip.out";
  {
    std::ofstream f(ini);
    f << "hostkey = " << RAMPART_SOURCE_DIR << "/tests/gossip/keys/ed25519.pem\n\n[gossip]\ncache_size = 1000\n"
      << "degree = 1\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\npow_difficulty = 8\n";
  }
  module = std::make_unique<Child>(std::vector<std::string>{rampart_bin(), "gossip", "-c", ini.string(), "--log-level", "info"}, out);
  // The module prints its bound addresses first: "gossip api=HOST:PORT p2p=HOST:PORT ...".
  return wait_for_field(out, "api");
}

TEST(GossipProcess, ReplicasAnnounceFinalBlocksAndAnObserverKeepsAVerifiedLedger) {
  LocalCluster c(4, "poe");
  const auto mod_out = c.dir() / "gossip.out";
  std::unique_ptr<Child> module;
  const std::string api = start_module(c.dir(), module);
  ASSERT_FALSE(api.empty()) << slurp(mod_out);
  for (uint32_t i = 0; i < 4; ++i) c.set_extra_args(i, {"--gossip", api});
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  const auto obs_data = c.dir() / "observer";
  Child observer({rampart_bin(), "observer", "--config", c.config_file().string(), "--gossip", api, "--data",
                  obs_data.string(), "--log-level", "info"},
                 c.dir() / "observer.out");

  auto cl = client::Client::create(c.config(), {});
  ASSERT_TRUE(cl) << cl.error().message;
  for (int i = 0; i < 30; ++i) {
    auto p = (*cl)->call(app::kv::encode_op(app::kv::put("k" + std::to_string(i), "v" + std::to_string(i))));
    ASSERT_TRUE(p) << p.error().message;
  }
  // Blocks become final as checkpoints and proofs come; the observer keeps up through gossip.
  const double final_height = [&] {
    double h = 0;
    wait_for([&] { return (h = c.metric(0, "rampart_final_height")) >= 2; }, 20000ms);
    return h;
  }();
  ASSERT_GE(final_height, 2) << "no final blocks at replica 0";
  std::string verify;
  const bool verified = wait_for(
      [&] {
        auto [rc, out] = run_cli({"ledger", "verify", "--config", c.config_file().string(), "--data", obs_data.string()});
        verify = out;
        auto at = out.find("last_final=");
        return rc == 0 && at != std::string::npos && std::stoull(out.substr(at + 11)) >= 2;
      },
      30000ms);
  EXPECT_TRUE(verified) << "ledger verify of the observer's copy: " << verify << "\nobserver:\n"
                        << slurp(c.dir() / "observer.out") << "\nmodule:\n"
                        << slurp(mod_out);
  EXPECT_GT(c.metric(0, "rampart_final_height"), 0);
}

// `rampart cluster up --gossip` (what `make run` can show): the module, the replicas announcing
// to it and an observer whose ledger `rampart ledger verify` accepts, all started by one command
// and stopped by Ctrl-C.
TEST(GossipProcess, ClusterUpWithGossipRunsAnObserver) {
  LocalCluster c(4, "poe");  // keys and a reserved block of ports; `cluster up` finds them
  const auto out = c.dir() / "cluster-up.out";
  auto up = std::make_unique<Child>(std::vector<std::string>{rampart_bin(), "cluster", "up", "--dir", c.dir().string(), "--gossip"},
                                    out);
  ASSERT_TRUE(wait_for([&] { return slurp(out).find("Ctrl-C stops the cluster") != std::string::npos; }, 20000ms))
      << slurp(out);
  EXPECT_NE(slurp(out).find("observer data"), std::string::npos) << slurp(out);
  // `cluster up` started the replicas, not the fixture: wait for their metrics to answer.
  ASSERT_TRUE(wait_for(
      [&] {
        for (uint32_t i = 0; i < 4; ++i)
          if (c.metric(i, "rampart_replica_id") < 0) return false;
        return true;
      },
      20000ms));
  auto cl = client::Client::create(c.config(), {});
  ASSERT_TRUE(cl) << cl.error().message;
  for (int i = 0; i < 10; ++i) {
    auto p = (*cl)->call(app::kv::encode_op(app::kv::put("u" + std::to_string(i), "w")));
    ASSERT_TRUE(p) << p.error().message;
  }
  const auto obs_data = c.dir() / "data" / "observer";
  std::string verify;
  EXPECT_TRUE(wait_for(
      [&] {
        auto [rc, o] = run_cli({"ledger", "verify", "--config", c.config_file().string(), "--data", obs_data.string()});
        verify = o;
        auto at = o.find("last_final=");
        return rc == 0 && at != std::string::npos && std::stoull(o.substr(at + 11)) >= 2;
      },
      30000ms))
      << verify << "\nobserver log:\n" << slurp(c.dir() / "logs" / "observer.log");
  ::kill(up->pid, SIGINT);  // Ctrl-C: every child stops
  int status = 0;
  EXPECT_EQ(::waitpid(up->pid, &status, 0), up->pid);
  up->pid = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(out);
  EXPECT_NE(slurp(out).find("stopped."), std::string::npos) << slurp(out);
}

// A wallet cluster, one module, an observer with --serve: after transfers, `rampart wallet balance
// --observer` prints the balances the replicas hold, verified by the CLI against the group key
// alone; an observer that has not reached the height asked for is not believed; a forged block
// a rogue application announces is refused; and the observer's ledger is the replicas', block
// for block.
TEST(GossipProcess, AnObserverServesVerifiedWalletReads) {
  LocalCluster c(4, "poe", "--app wallet --admins 1");
  auto admin = client::load_wallet_key(c.dir() / "keys" / "admin-0.key");
  ASSERT_TRUE(admin) << admin.error().message;
  std::unique_ptr<Child> module;
  const std::string api = start_module(c.dir(), module);
  ASSERT_FALSE(api.empty()) << slurp(c.dir() / "gossip.out");
  for (uint32_t i = 0; i < 4; ++i) c.set_extra_args(i, {"--gossip", api});
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  const auto obs_data = c.dir() / "observer", obs_out = c.dir() / "observer.out";
  auto observer = std::make_unique<Child>(
      std::vector<std::string>{rampart_bin(), "observer", "--config", c.config_file().string(), "--gossip", api, "--data",
                               obs_data.string(), "--serve", "127.0.0.1:0", "--log-level", "info"},
      obs_out);
  const std::string serve = wait_for_field(obs_out, "serve");
  ASSERT_FALSE(serve.empty()) << slurp(obs_out);

  const auto alice = crypto::ed25519::KeyPair::generate(), bob = crypto::ed25519::KeyPair::generate();
  const std::string alice_hex = to_hex(alice.public_key()), bob_hex = to_hex(bob.public_key());
  auto wc = client::WalletClient::create(c.config(), {});
  ASSERT_TRUE(wc) << wc.error().message;
  uint64_t k = 0;  // the block of the last transfer: the observer's answer must be from it or later
  auto pay = [&](const crypto::ed25519::KeyPair& from, const crypto::ed25519::KeyPair& to, uint64_t amount, uint64_t nonce) {
    auto r = (*wc)->transfer(from, to.public_key(), amount, nonce);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->result.code, app::wallet::Code::ok) << r->result.reason;
    k = r->answer.k;
  };
  pay(*admin, alice, 1000, 0);
  pay(*admin, bob, 500, 1);
  pay(alice, bob, 250, 0);
  ASSERT_GT(k, 0u);

  auto via_observer = [&](const std::string& account, uint64_t min_height) {
    return run_cli({"wallet", "balance", "--config", c.config_file().string(), "--observer", serve, "--min-height",
                    std::to_string(min_height), account});
  };
  // Block k reaches the observer through gossip once it is final; a read for it waits there
  // (up to 5 s a try) until the observer has executed it.
  std::pair<int, std::string> out;
  ASSERT_TRUE(wait_for([&] { return (out = via_observer(alice_hex, k)).first == 0; }, 30000ms))
      << out.second << "\nobserver:\n" << slurp(obs_out);
  EXPECT_NE(out.second.find(alice_hex + " 750 (next nonce 1)"), std::string::npos) << out.second;
  EXPECT_NE(out.second.find("verified: block "), std::string::npos) << out.second;
  EXPECT_NE(out.second.find("via observer " + serve), std::string::npos) << out.second;
  out = via_observer(bob_hex, k);
  EXPECT_EQ(out.first, 0) << out.second;
  EXPECT_NE(out.second.find(bob_hex + " 750 (next nonce 0)"), std::string::npos) << out.second;
  // The replicas, asked through consensus, say the same.
  auto direct = run_cli({"wallet", "balance", "--config", c.config_file().string(), "--ordered", alice_hex});
  EXPECT_EQ(direct.first, 0) << direct.second;
  EXPECT_NE(direct.second.find(alice_hex + " 750 (next nonce 1)"), std::string::npos) << direct.second;
  // The whole ledger, page by page, from the observer: the admin and both accounts.
  auto ledger = run_cli({"wallet", "ledger", "--config", c.config_file().string(), "--observer", serve, "--min-height",
                         std::to_string(k), "--limit", "1", "--all"});
  EXPECT_EQ(ledger.first, 0) << ledger.second;
  EXPECT_NE(ledger.second.find(alice_hex + " 750"), std::string::npos) << ledger.second;
  EXPECT_NE(ledger.second.find(bob_hex + " 750"), std::string::npos) << ledger.second;
  EXPECT_NE(ledger.second.find(" (next nonce 2)"), std::string::npos) << "the admin's entry: " << ledger.second;
  // A height the observer has not reached: its older (true) state is not taken for the present.
  auto ahead = via_observer(alice_hex, k + 100000);
  EXPECT_NE(ahead.first, 0) << ahead.second;
  EXPECT_NE(ahead.second.find("below the height asked for"), std::string::npos) << ahead.second;

  const Bytes genesis = ledger::genesis_config(c.config());
  ledger::OpenOptions ro;
  ro.read_only = true;
  auto theirs = ledger::Store::open(c.data(0).string(), genesis, ro);
  ASSERT_TRUE(theirs) << theirs.error().message;

  // A rogue application on the module announces block k again with another state digest under
  // the real proof: the observer refuses it (V = 0) and goes on answering truly.
  {
    auto real = (*theirs)->block(k);
    auto batch = (*theirs)->batch(k);
    ASSERT_TRUE(real && batch);
    ledger::Block forged = *real;
    forged.state_digest[0] ^= 1;
    auto parts = gossip::encode_block_parts(forged, *batch, 77);
    ASSERT_TRUE(parts) << parts.error().message;
    asio::io_context io;
    gossip::ApiClient rogue(io);
    auto at = gossip::parse_address(api);
    ASSERT_TRUE(at && rogue.connect(*at).ok());
    for (const auto& part : *parts) ASSERT_TRUE(rogue.announce(0, gossip::kBlockDataType, part).ok());
    const std::string refused = "observer_refused k=" + std::to_string(k) + " why=\"bad proof of execution\"";
    EXPECT_TRUE(wait_for(
        [&] {
          io.poll();
          return slurp(obs_out).find(refused) != std::string::npos;
        },
        10000ms))
        << slurp(obs_out);
  }
  out = via_observer(alice_hex, k);
  EXPECT_EQ(out.first, 0) << out.second;
  EXPECT_NE(out.second.find(alice_hex + " 750 (next nonce 1)"), std::string::npos) << out.second;

  // The observer's copy is the replicas' ledger: the same block at every height it holds.
  auto mine = ledger::Store::open(obs_data.string(), genesis, ro);
  ASSERT_TRUE(mine) << mine.error().message;
  ASSERT_GE((*mine)->last_block(), k);
  const uint64_t upto = std::min((*mine)->last_block(), (*theirs)->last_final());
  ASSERT_GE(upto, k);
  for (uint64_t h = 0; h <= upto; ++h) {
    auto a = (*mine)->block(h), b = (*theirs)->block(h);
    ASSERT_TRUE(a && b) << "block " << h;
    EXPECT_EQ(ledger::block_hash(*a), ledger::block_hash(*b)) << "block " << h;
    EXPECT_EQ(*(*mine)->batch(h), *(*theirs)->batch(h)) << "batch " << h;
  }
}

}  // namespace
}  // namespace rampart::test
