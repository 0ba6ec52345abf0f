#include "gateway/replica_probe.hpp"

#include <httplib.h>

#include <charconv>
#include <future>

namespace rampart::gateway {
using nlohmann::json;

std::optional<double> prometheus_value(std::string_view text, std::string_view name) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    // "name value": the name must be followed by a space (not a label set or a longer name).
    if (line.size() > name.size() && line.substr(0, name.size()) == name && line[name.size()] == ' ') {
      std::string_view v = line.substr(name.size() + 1);
      double d = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
      if (ec == std::errc()) return d;
    }
  }
  return std::nullopt;
}

json ReplicaProbe::scrape_one(const ReplicaEntry& r) const {
  json j{{"id", r.id}, {"host", r.host}, {"metrics_port", r.metrics_port}, {"up", false}, {"role", "unreachable"}};
  httplib::Client h(r.host, r.metrics_port);
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout_);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout_ - s);
  h.set_connection_timeout(s.count(), us.count());
  h.set_read_timeout(s.count(), us.count());
  auto res = h.Get("/metrics");
  if (!res || res->status != 200) return j;
  const std::string_view body = res->body;
  auto view = prometheus_value(body, "rampart_view");
  auto primary = prometheus_value(body, "rampart_is_primary");
  auto height = prometheus_value(body, "rampart_height");
  if (!view || !primary || !height) return j;  // not a replica's metrics
  j["up"] = true;
  j["view"] = static_cast<uint64_t>(*view);
  j["role"] = *primary != 0 ? "primary" : "backup";
  j["height"] = static_cast<uint64_t>(*height);
  for (const auto& [key, metric] : {std::pair{"final_height", "rampart_final_height"}, std::pair{"proven_height", "rampart_proven_height"},
                                    std::pair{"ops_executed", "rampart_ops_executed_total"}})
    if (auto v = prometheus_value(body, metric)) j[key] = static_cast<uint64_t>(*v);
  return j;
}

json ReplicaProbe::sample() {
  std::lock_guard lk(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!cached_.is_null() && now - cached_at_ < max_age_) return cached_;
  std::vector<std::future<json>> parts;
  for (const auto& r : replicas_) parts.push_back(std::async(std::launch::async, [this, &r] { return scrape_one(r); }));
  json reps = json::array();
  for (auto& p : parts) reps.push_back(p.get());
  const auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  cached_ = json{{"replicas", reps}, {"sampled_unix_ms", unix_ms}, {"source", "each replica's own /metrics (self-reported, not proven)"}};
  cached_at_ = std::chrono::steady_clock::now();
  return cached_;
}

}  // namespace rampart::gateway
