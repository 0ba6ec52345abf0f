#pragma once
// A fresh folder under the system's temporary directory (TMPDIR, else /tmp), for tests.
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace rampart::testing {

inline std::filesystem::path make_temp_dir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  const char* p = ::mkdtemp(tmpl.data());
  return p ? std::filesystem::path(p) : std::filesystem::path();
}

}  // namespace rampart::testing
