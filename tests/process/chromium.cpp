#include "process/chromium.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace rampart::test {
namespace fs = std::filesystem;
using nlohmann::json;

std::string find_chromium() {
  if (const char* e = std::getenv("RAMPART_CHROMIUM"); e && *e) return ::access(e, X_OK) == 0 ? e : "";
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    for (const char* name : {"chromium", "chromium-browser"}) {
      fs::path cand = fs::path(p.substr(start, end - start)) / name;
      if (::access(cand.c_str(), X_OK) == 0) return cand.string();
    }
    start = end + 1;
  }
  return "";
}

Result<std::unique_ptr<Chromium>> Chromium::launch(const fs::path& profile, const fs::path& log, const std::vector<std::string>& extra) {
  const std::string bin = find_chromium();
  if (bin.empty())
    return err("chromium not found (Debian package `chromium`; scripts/setup.sh installs it, or set RAMPART_CHROMIUM)");
  std::vector<std::string> args = {bin,
                                   "--headless",
                                   "--remote-debugging-pipe",
                                   "--user-data-dir=" + profile.string(),
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--disable-gpu",
                                   "--disable-dev-shm-usage",
                                   "--disable-extensions",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync"};
  // The sandbox needs user namespaces, which root and many containers do not get.
  if (::geteuid() == 0) args.push_back("--no-sandbox");
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("about:blank");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int in[2], out[2];  // in: us -> browser (its fd 3); out: browser -> us (its fd 4)
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return err("chromium: pipe failed");
  const int logfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_t pid = ::fork();
  if (pid < 0) return err("chromium: fork failed");
  if (pid == 0) {  // only async-signal-safe calls from here: the test process has threads
    // Move the pipe ends clear of 3 and 4 first, then into place (dup2 clears O_CLOEXEC).
    int r = ::fcntl(in[0], F_DUPFD, 10), w = ::fcntl(out[1], F_DUPFD, 10);
    if (r < 0 || w < 0 || ::dup2(r, 3) < 0 || ::dup2(w, 4) < 0) ::_exit(126);
    if (logfd >= 0) {
      ::dup2(logfd, 1);
      ::dup2(logfd, 2);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  if (logfd >= 0) ::close(logfd);
  auto c = std::unique_ptr<Chromium>(new Chromium());
  c->pid_ = pid;
  c->to_browser_ = in[1];
  c->from_browser_ = out[0];
  // The first command answers once the browser is up: proof that the pipe works.
  auto v = c->call("Browser.getVersion", json::object(), "", std::chrono::seconds(60));
  if (!v) return err("chromium did not answer on its DevTools pipe: " + v.error().message + " (log: " + log.string() + ")");
  return c;
}

Chromium::~Chromium() {
  if (pid_ <= 0) return;
  (void)call("Browser.close", json::object(), "", std::chrono::seconds(5));
  for (int i = 0; i < 100; ++i) {  // up to 5 s to exit by itself
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    ::usleep(50000);
  }
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::close(to_browser_);
  ::close(from_browser_);
}

Result<json> Chromium::call(const std::string& method, const json& params, const std::string& session, std::chrono::milliseconds timeout) {
  const int id = next_id_++;
  json msg{{"id", id}, {"method", method}, {"params", params}};
  if (!session.empty()) msg["sessionId"] = session;
  std::string wire = msg.dump();
  wire.push_back('\0');
  for (size_t off = 0; off < wire.size();) {
    ssize_t n = ::write(to_browser_, wire.data() + off, wire.size() - off);
    if (n <= 0) return err("chromium: cannot write to its pipe (did it exit?)");
    off += static_cast<size_t>(n);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    // Answers and events arrive interleaved; events (no "id") are not needed here.
    for (size_t z; (z = inbox_.find('\0')) != std::string::npos;) {
      json m = json::parse(inbox_.substr(0, z), nullptr, false);
      inbox_.erase(0, z + 1);
      if (m.is_discarded() || !m.contains("id") || m["id"] != id) continue;
      if (m.contains("error")) return err("chromium: " + method + ": " + m["error"].dump());
      return m.value("result", json::object());
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return err("chromium: no answer to " + method + " in time");
    pollfd p{from_browser_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    ssize_t n = ::read(from_browser_, buf, sizeof buf);
    if (n <= 0) return err("chromium: its pipe closed (the browser exited)");
    inbox_.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> Chromium::open(const std::string& url) {
  auto t = call("Target.createTarget", {{"url", "about:blank"}});
  if (!t) return t.error();
  auto a = call("Target.attachToTarget", {{"targetId", (*t)["targetId"]}, {"flatten", true}});
  if (!a) return a.error();
  const std::string session = (*a)["sessionId"].get<std::string>();
  auto n = call("Page.navigate", {{"url", url}}, session);
  if (!n) return n.error();
  if (n->contains("errorText") && !(*n)["errorText"].get<std::string>().empty())
    return err("chromium: loading " + url + " failed: " + (*n)["errorText"].get<std::string>());
  return session;
}

Result<json> Chromium::eval(const std::string& session, const std::string& expression) {
  auto r = call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}}, session);
  if (!r) return r.error();
  if (r->contains("exceptionDetails")) return err("chromium: script threw: " + (*r)["exceptionDetails"].dump());
  return (*r)["result"].value("value", json());
}

}  // namespace rampart::test
