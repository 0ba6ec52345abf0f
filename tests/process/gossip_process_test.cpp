// Replicas announce every final block to a local gossip module (`rampart replica --gossip`); an
// observer subscribed to the same module checks each block's proof and hash-chain link and keeps
// a ledger that `rampart ledger verify` accepts: the real processes, end to end.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "app/kv/op.hpp"
#include "client/client.hpp"
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

TEST(GossipProcess, ReplicasAnnounceFinalBlocksAndAnObserverKeepsAVerifiedLedger) {
  LocalCluster c(4, "poe");
  const auto ini = c.dir() / "gossip.ini", mod_out = c.dir() / "gossip.out";
  {
    std::ofstream f(ini);
    f << "hostkey = " << RAMPART_SOURCE_DIR << "/tests/gossip/keys/ed25519.pem\n\n[gossip]\ncache_size = 1000\n"
      << "degree = 1\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\npow_difficulty = 8\n";
  }
  Child module({rampart_bin(), "gossip", "-c", ini.string(), "--log-level", "info"}, mod_out);
  // The module prints its bound addresses first: "... api=HOST:PORT p2p=HOST:PORT ...".
  std::string api;
  ASSERT_TRUE(wait_for(
      [&] {
        const std::string s = slurp(mod_out);
        auto at = s.find("api=");
        if (at == std::string::npos) return false;
        api = s.substr(at + 4, s.find_first_of(" \n", at) - at - 4);
        return true;
      },
      10000ms))
      << slurp(mod_out);
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

}  // namespace
}  // namespace rampart::test
