#include "process/cluster_up.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace rampart::test {

std::string slurp_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

namespace {
// Each run its own output file: a second run in the same folder must not read the first's URL.
std::filesystem::path next_out(const LocalCluster& c) {
  static int runs = 0;
  return c.dir() / ("cluster-up-" + std::to_string(++runs) + ".out");
}
}  // namespace

ClusterUp::ClusterUp(const LocalCluster& c, std::vector<std::string> extra) : out_(next_out(c)) {
  std::vector<std::string> args = {rampart_bin(), "cluster", "up", "--dir", c.dir().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = spawn_logged(std::move(args), out_);
}

ClusterUp::~ClusterUp() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 750; ++i) {  // 15 s
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    ::usleep(20000);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

bool ClusterUp::wait_ready(std::chrono::milliseconds d) const {
  return wait_for([&] { return output().find("Ctrl-C stops the cluster") != std::string::npos; }, d);
}

std::string ClusterUp::gateway_url() const {
  const std::string s = output(), tag = "  gateway  ";
  const auto at = s.find(tag);
  if (at == std::string::npos) return "";
  const auto start = at + tag.size();
  return s.substr(start, s.find(' ', start) - start);
}

int ClusterUp::interrupt(std::chrono::milliseconds d) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGINT);
  int status = 0;
  const bool gone = wait_for([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, d);
  if (!gone) return -1;
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace rampart::test
