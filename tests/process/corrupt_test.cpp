// A replica whose data folder is damaged refuses to start with a clear error (non-zero exit),
// rather than serve wrong state.
#include <gtest/gtest.h>

#include <fstream>

#include "app/kv/op.hpp"
#include "client/client.hpp"
#include "process/cluster_fixture.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Runs `rampart replica` on the given folder; expects a refusal.
void expect_refusal(LocalCluster& c, const fs::path& data, const std::string& what) {
  auto [st, out] = run_cli({"replica", "--config", c.config_file().string(), "--id", "1", "--data", data.string()}, 20s);
  EXPECT_NE(st, 0) << what << ": " << out;
  EXPECT_NE(out.find("data folder"), std::string::npos) << what << ": " << out;
}

TEST(Process, DamagedDataFolderRefusesToStart) {
  LocalCluster c(4);
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  auto cl = client::Client::create(c.config());
  ASSERT_TRUE(cl);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*cl)->call(app::kv::encode_op(app::kv::put("a" + std::to_string(i), "b"))));
  ASSERT_TRUE(c.wait_metric_at_least(1, "rampart_final_height", 1, 10s));
  c.kill(1, SIGTERM);
  fs::path good = c.data(1);

  auto copy = [&](const std::string& name) {
    fs::path p = c.dir() / name;
    fs::copy(good, p, fs::copy_options::recursive);
    return p;
  };
  {
    fs::path p = copy("no-current");
    fs::remove(p / "CURRENT");
    expect_refusal(c, p, "CURRENT deleted");
  }
  {
    fs::path p = copy("no-manifest");
    for (auto& e : fs::directory_iterator(p))
      if (e.path().filename().string().rfind("MANIFEST", 0) == 0) fs::remove(e.path());
    expect_refusal(c, p, "MANIFEST deleted");
  }
  {
    fs::path p = copy("truncated");
    for (auto& e : fs::directory_iterator(p))
      if (e.path().filename().string().rfind("MANIFEST", 0) == 0) fs::resize_file(e.path(), fs::file_size(e.path()) / 3);
    expect_refusal(c, p, "MANIFEST truncated");
  }
  {
    fs::path p = c.dir() / "foreign";
    fs::create_directories(p);
    std::ofstream(p / "notes.txt") << "not a ledger";
    expect_refusal(c, p, "non-empty folder that is not a ledger");
  }
  // The undamaged folder still starts (the refusals above were about the damage).
  c.start(1);
  EXPECT_TRUE(c.wait_up(20s));
}

}  // namespace
}  // namespace rampart::test
