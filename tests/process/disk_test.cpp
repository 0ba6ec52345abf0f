// Disk trouble, on real file systems: replica 3's data folder on a small tmpfs that fills up
// under load (the replica must stop with event=storage_failed and exit status 4, not abort
// inside RocksDB, and come back without loss once the file system is grown), and a data folder
// on a read-only mount (reported as read-only, not as damaged). Mounting needs CAP_SYS_ADMIN;
// without it these tests are skipped, and say so.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/kv/op.hpp"
#include "client/client.hpp"
#include "process/cluster_fixture.hpp"
#include "process/load.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A tmpfs of `size` mounted on `dir` for the test's lifetime (lazily detached at the end, so
// a replica still running cannot keep it busy).
class TmpfsMount {
 public:
  TmpfsMount(fs::path dir, const std::string& size) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    const std::string opts = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) == 0) mounted_ = true;
    else error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  bool remount(const std::string& opts) {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()) == 0;
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
  std::string error_;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Process, FullDiskStopsTheReplicaCleanlyAndItResumesWithoutLoss) {
  LocalCluster c(4);
  TmpfsMount disk(c.data(3), "1m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << disk.error() << "): needs CAP_SYS_ADMIN";
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));

  // Large values fill replica 3's 1 MiB quickly; replicas 0..2 have room.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<std::string, std::string> acked;
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      client::ClientOptions o;
      o.first_replica = static_cast<uint32_t>(t);  // never through replica 3
      o.attempts = 30;
      o.timeout = 1500ms;
      auto cl = client::Client::create(c.config(), o);
      if (!cl) return;
      for (int i = 0; !stop; ++i) {
        std::string k = "w" + std::to_string(t) + "-" + std::to_string(i), v(2000, static_cast<char>('a' + i % 26));
        if ((*cl)->call(app::kv::encode_op(app::kv::put(k, v)))) {
          std::lock_guard<std::mutex> l(mu);
          acked[k] = v;
        }
      }
    });
  }
  const int status = c.wait_exit(3, 180s);
  const size_t acked_at_failure = [&] {
    std::lock_guard<std::mutex> l(mu);
    return acked.size();
  }();
  EXPECT_EQ(status, 4) << "replica 3 should stop with exit status 4 on a full disk; log:\n" << read_file(c.log(3));
  const std::string log = read_file(c.log(3));
  EXPECT_NE(log.find("event=storage_failed reason=disk_full"), std::string::npos) << log;
  EXPECT_EQ(log.find("Assertion"), std::string::npos) << log;

  // The others keep serving; then the disk grows and replica 3 comes back and catches up.
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard<std::mutex> l(mu);
    return acked.size() >= acked_at_failure + 20;
  }, 60s));
  ASSERT_TRUE(disk.remount("size=256m"));
  c.start(3);
  ASSERT_TRUE(c.wait_up(30s));
  stop = true;
  for (auto& w : writers) w.join();
  const double target = c.metric(0, "rampart_final_height");
  ASSERT_GT(target, 0);
  EXPECT_TRUE(c.wait_metric_at_least(3, "rampart_final_height", target, 60s))
      << c.metric(3, "rampart_final_height") << " < " << target << "\n" << read_file(c.log(3));

  // Every acknowledged write reads back through replica 3 itself (it executes and proves).
  client::ClientOptions ro;
  ro.first_replica = 3;
  ro.attempts = 20;
  auto cl = client::Client::create(c.config(), ro);
  ASSERT_TRUE(cl);
  std::lock_guard<std::mutex> l(mu);
  ASSERT_GT(acked.size(), acked_at_failure);
  int n = 0;
  for (auto& [k, v] : acked) {
    if (n++ % 7 != 0) continue;  // a spread sample: each read is a consensus round
    auto g = (*cl)->call(app::kv::encode_op(app::kv::get(k)));
    ASSERT_TRUE(g) << k << ": " << g.error().message;
    auto r = app::kv::decode_result(g->result);
    ASSERT_TRUE(r);
    EXPECT_EQ(to_string(r->value), v) << k;
  }
  expect_ledgers_verify_and_agree(c);
}

TEST(Process, ReadOnlyDataFolderIsReportedAsReadOnly) {
  LocalCluster c(4);
  TmpfsMount disk(c.data(0), "16m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << disk.error() << "): needs CAP_SYS_ADMIN";
  c.start(0);
  ASSERT_TRUE(c.wait_up(20s));  // the ledger exists now
  c.kill(0, SIGTERM);
  ASSERT_TRUE(disk.remount("ro"));
  auto [st, out] = run_cli({"replica", "--config", c.config_file().string(), "--id", "0"}, 15s);
  EXPECT_EQ(st, 3) << out;
  EXPECT_NE(out.find("read-only"), std::string::npos) << out;
  EXPECT_EQ(out.find("damaged"), std::string::npos) << out;
}

}  // namespace
}  // namespace rampart::test
