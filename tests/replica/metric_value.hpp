#pragma once
// A metric's value as the registry exports it (Prometheus text), for tests of the parts that
// count into a registry.
#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "common/metrics_registry.hpp"

namespace rampart::replica::testing {

inline uint64_t metric_value(const metrics::Registry& reg, const std::string& name) {
  std::ostringstream o;
  reg.render(o);
  std::istringstream in(o.str());
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name + " ", 0) == 0) return std::stoull(line.substr(name.size() + 1));
  ADD_FAILURE() << name << " not exported";
  return 0;
}

}  // namespace rampart::replica::testing
