// crypto = "fake" writes fake_seed into cluster.toml, and from it anyone derives every replica's
// signing keys: a replica must refuse such a config unless it is told this is a test.
#include <gtest/gtest.h>

#include "process/cluster_fixture.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

TEST(Process, FakeCryptoIsRefusedUnlessAskedFor) {
  LocalCluster c(4, "poe", "--crypto fake");
  ASSERT_EQ(c.config().crypto, "fake");
  auto [st, out] = run_cli({"replica", "--config", c.config_file().string(), "--id", "1"}, 20s);
  EXPECT_EQ(st, 3) << out;
  EXPECT_NE(out.find("crypto = \"fake\""), std::string::npos) << out;
  EXPECT_NE(out.find("--insecure-fake-crypto"), std::string::npos) << out;
}

}  // namespace
}  // namespace rampart::test
