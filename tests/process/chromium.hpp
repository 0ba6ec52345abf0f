#pragma once
// Headless Chromium driven through the DevTools protocol over --remote-debugging-pipe (fd 3:
// our commands, fd 4: its answers, each a JSON message ended by a NUL byte), so a test can load
// a page and poll what the page shows, with a deadline, instead of sleeping and hoping. No
// WebSocket or extra library: a pipe and nlohmann json.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace rampart::test {

// The browser binary: $RAMPART_CHROMIUM, else `chromium` on PATH (Debian's package, installed by
// scripts/setup.sh); empty if neither exists.
std::string find_chromium();

class Chromium {
 public:
  // Starts a headless browser with a fresh profile in `profile` (its output goes to `log`).
  static Result<std::unique_ptr<Chromium>> launch(const std::filesystem::path& profile, const std::filesystem::path& log,
                                                  const std::vector<std::string>& extra_flags);
  ~Chromium();  // asks the browser to close, then SIGKILLs it if it lingers

  // One DevTools command (on a page's session if `session` is set); its "result", or the error.
  Result<nlohmann::json> call(const std::string& method, const nlohmann::json& params, const std::string& session = "",
                              std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Opens `url` in a new tab; the tab's session id. Fails if navigation itself fails (a TLS
  // error, a refused connection): Page.navigate reports it.
  Result<std::string> open(const std::string& url);
  // Evaluates a JavaScript expression in the tab; its value (returned by value).
  Result<nlohmann::json> eval(const std::string& session, const std::string& expression);

 private:
  Chromium() = default;
  pid_t pid_ = -1;
  int to_browser_ = -1, from_browser_ = -1;
  int next_id_ = 1;
  std::string inbox_;  // bytes read but not yet split into messages
};

}  // namespace rampart::test
