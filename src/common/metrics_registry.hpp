#pragma once
// Counters and gauges of a process, declared where they are counted. A metric is declared once,
// at namespace scope next to the code that counts it:
//
//   const metrics::Declared kReplayed{"rampart_replayed_requests_total", "requests refused as replays"};
//   ...
//   reg[kReplayed]++;
//
// and every Registry (one per replica) holds it from construction, at 0, and exports it: no
// struct field, snapshot copy or rendering line to add. Declarations register themselves in a
// catalog during static initialisation; a Registry sizes itself from the catalog, so lookups are
// an index. Values are atomics: counted on one thread, rendered on another.
#include <atomic>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace rampart::metrics {

enum class Kind : uint8_t { counter, gauge };

class Declared {
 public:
  // `scale`: the exported value is the stored one divided by it (a time counted in ns and
  // exported in µs).
  Declared(const char* name, const char* help, Kind kind = Kind::counter, uint64_t scale = 1);
  size_t index() const { return index_; }

 private:
  size_t index_;
};

class Metric {
 public:
  void add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  void set(uint64_t v) { v_.store(v, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }
  void operator++(int) { add(); }
  Metric& operator++() {
    add();
    return *this;
  }
  Metric& operator+=(uint64_t n) {
    add(n);
    return *this;
  }

 private:
  std::atomic<uint64_t> v_{0};
};

class Registry {
 public:
  Registry();
  Metric& operator[](const Declared& d) { return values_[d.index()]; }
  const Metric& operator[](const Declared& d) const { return values_[d.index()]; }
  // Prometheus text format (HELP, TYPE, value) of every declared metric, in declaration order.
  void render(std::ostream& o) const;

 private:
  std::unique_ptr<Metric[]> values_;
  size_t size_;
};

}  // namespace rampart::metrics
