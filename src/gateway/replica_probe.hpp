#pragma once
// What each replica says about itself, for the dashboard: view, role and heights scraped from
// its Prometheus /metrics port (plain HTTP on loopback or the operator's network). These are
// self-reported and unauthenticated, unlike the blocks the gateway serves; the dashboard labels
// them so. Samples are cached briefly so that many open dashboards cost the replicas one scrape
// per interval, not one per browser.
#include <chrono>
#include <mutex>
#include <optional>
#include <vector>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/config.hpp"

namespace rampart::gateway {

// The value of an unlabelled sample `name` in a Prometheus text exposition, if present.
std::optional<double> prometheus_value(std::string_view text, std::string_view name);

class ReplicaProbe {
 public:
  ReplicaProbe(std::vector<ReplicaEntry> replicas, std::chrono::milliseconds timeout, std::chrono::milliseconds max_age)
      : replicas_(std::move(replicas)), timeout_(timeout), max_age_(max_age) {}
  // {"replicas": [{id, host, metrics_port, up, view, role, height, final_height, proven_height,
  // ops_executed}], "sampled_unix_ms"}; scrapes the replicas in parallel when the cache is stale.
  nlohmann::json sample();

 private:
  nlohmann::json scrape_one(const ReplicaEntry& r) const;

  std::vector<ReplicaEntry> replicas_;
  std::chrono::milliseconds timeout_, max_age_;
  std::mutex mu_;  // held across a scrape: concurrent callers wait for it instead of scraping too
  nlohmann::json cached_;
  std::chrono::steady_clock::time_point cached_at_{};
};

}  // namespace rampart::gateway
