#pragma once
// `rampart cluster up` as a child of the test, on a LocalCluster's keys and ports (the fixture
// makes the keys, `cluster up` finds them and starts everything itself). When it goes it gets
// SIGTERM and time to stop its own children, then SIGKILL.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "process/cluster_fixture.hpp"

namespace rampart::test {

std::string slurp_file(const std::filesystem::path& p);

class ClusterUp {
 public:
  ClusterUp(const LocalCluster& c, std::vector<std::string> extra);
  ~ClusterUp();
  // Waits until it printed "Ctrl-C stops the cluster"; false at the deadline.
  bool wait_ready(std::chrono::milliseconds d) const;
  // The gateway URL it printed ("  gateway  https://HOST:PORT/ ..."), or "".
  std::string gateway_url() const;
  std::string output() const { return slurp_file(out_); }
  // SIGINT (Ctrl-C) and wait for it to exit: its exit status, or -1 at the deadline.
  int interrupt(std::chrono::milliseconds d);

 private:
  pid_t pid_ = -1;
  std::filesystem::path out_;
};

}  // namespace rampart::test
