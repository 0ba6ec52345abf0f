#include "common/metrics_registry.hpp"

#include <stdexcept>

namespace rampart::metrics {
namespace {

struct Entry {
  const char* name;
  const char* help;
  Kind kind;
  uint64_t scale;
};

// Filled during static initialisation only (Declared objects live at namespace scope); read
// afterwards. A function-local static, so declarations in any translation unit find it built.
std::vector<Entry>& catalog() {
  static std::vector<Entry> c;
  return c;
}

}  // namespace

Declared::Declared(const char* name, const char* help, Kind kind, uint64_t scale) : index_(catalog().size()) {
  for (const auto& e : catalog())
    if (std::string(e.name) == name) throw std::logic_error(std::string("metric declared twice: ") + name);
  catalog().push_back({name, help, kind, scale == 0 ? 1 : scale});
}

Registry::Registry() : values_(new Metric[catalog().size()]), size_(catalog().size()) {}

void Registry::render(std::ostream& o) const {
  const auto& c = catalog();
  for (size_t i = 0; i < size_ && i < c.size(); ++i) {
    const Entry& e = c[i];
    o << "# HELP " << e.name << " " << e.help << "\n# TYPE " << e.name << " "
      << (e.kind == Kind::counter ? "counter" : "gauge") << "\n"
      << e.name << " " << values_[i].get() / e.scale << "\n";
  }
}

}  // namespace rampart::metrics
