// The metrics registry: a metric declared once at namespace scope is in every registry from the
// start (at 0), counted by index, and rendered in Prometheus text with its help and type.
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

#include "common/metrics_registry.hpp"

using namespace rampart;

namespace {
const metrics::Declared kThings{"test_things_total", "things counted"};
const metrics::Declared kLevel{"test_level", "a level", metrics::Kind::gauge};
const metrics::Declared kNanos{"test_time_microseconds_total", "time, counted in ns", metrics::Kind::counter, 1000};

std::string text(const metrics::Registry& r) {
  std::ostringstream o;
  r.render(o);
  return o.str();
}
}  // namespace

TEST(MetricsRegistry, DeclaredMetricsAreExportedFromZero) {
  metrics::Registry r;
  const std::string t = text(r);
  EXPECT_NE(t.find("# HELP test_things_total things counted\n# TYPE test_things_total counter\ntest_things_total 0\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("# TYPE test_level gauge\ntest_level 0\n"), std::string::npos) << t;
}

TEST(MetricsRegistry, CountsSetsAndScales) {
  metrics::Registry a, b;
  a[kThings]++;
  ++a[kThings];
  a[kThings] += 5;
  a[kLevel].set(42);
  a[kNanos] += 2'500'000;
  EXPECT_EQ(a[kThings].get(), 7u);
  EXPECT_EQ(b[kThings].get(), 0u);  // registries are independent
  const std::string t = text(a);
  EXPECT_NE(t.find("test_things_total 7\n"), std::string::npos) << t;
  EXPECT_NE(t.find("test_level 42\n"), std::string::npos) << t;
  EXPECT_NE(t.find("test_time_microseconds_total 2500\n"), std::string::npos) << t;
}

TEST(MetricsRegistry, ANameIsDeclaredOnce) {
  EXPECT_THROW(metrics::Declared("test_things_total", "again"), std::logic_error);
}
