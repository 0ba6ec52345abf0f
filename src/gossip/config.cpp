#include "gossip/config.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace rampart::gossip {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

template <class T>
Result<T> parse_number(std::string_view key, std::string_view v, T lo, T hi) {
  T out{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < lo || out > hi)
    return err("gossip config: " + std::string(key) + " = \"" + std::string(v) + "\" is not a number in " +
               std::to_string(lo) + ".." + std::to_string(hi));
  return out;
}

}  // namespace

std::string Address::str() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<Address> parse_address(std::string_view s) {
  s = trim(s);
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return err("address \"" + std::string(s) + "\" is not host:port");
  std::string_view host = s.substr(0, colon), port = s.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return err("address \"" + std::string(s) + "\": bad [IPv6] host");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return err("address \"" + std::string(s) + "\": an IPv6 host needs [brackets]");
  }
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p > 65535)
    return err("address \"" + std::string(s) + "\": bad port");
  return Address{std::string(host), static_cast<uint16_t>(p)};
}

Result<GossipConfig> parse_gossip_config(std::string_view text, const std::string& base_dir) {
  // section -> key -> value; "" is the top level.
  std::map<std::string, std::map<std::string, std::string>> ini;
  std::string section;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    line = trim(line);
    if (line.empty() || line.front() == ';' || line.front() == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return err("gossip config line " + std::to_string(line_no) + ": unterminated [section]");
      section = std::string(trim(line.substr(1, line.size() - 2)));
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      return err("gossip config line " + std::to_string(line_no) + ": expected key = value");
    std::string key(trim(line.substr(0, eq)));
    std::string_view value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    ini[section][key] = std::string(value);
  }

  auto& top = ini[""];
  auto& g = ini["gossip"];
  auto need = [](std::map<std::string, std::string>& sec, const char* where, const char* key) -> Result<std::string> {
    auto it = sec.find(key);
    if (it == sec.end() || it->second.empty())
      return err(std::string("gossip config: missing required key '") + key + "'" + where);
    return it->second;
  };

  GossipConfig c;
  auto hostkey = need(top, " (top level, before any [section])", "hostkey");
  if (!hostkey) return hostkey.error();
  std::filesystem::path hk(*hostkey);
  if (hk.is_relative() && !base_dir.empty()) hk = std::filesystem::path(base_dir) / hk;
  c.hostkey = hk.string();

  for (const char* key : {"cache_size", "degree", "p2p_address", "api_address"})
    if (auto v = need(g, " in [gossip]", key); !v) return v.error();
  auto cache = parse_number<size_t>("cache_size", g["cache_size"], 1, 10'000'000);
  if (!cache) return cache.error();
  c.cache_size = *cache;
  auto degree = parse_number<size_t>("degree", g["degree"], 1, 1000);
  if (!degree) return degree.error();
  c.degree = *degree;
  auto p2p = parse_address(g["p2p_address"]);
  if (!p2p) return err("gossip config: p2p_address: " + p2p.error().message);
  c.p2p_address = *p2p;
  auto api = parse_address(g["api_address"]);
  if (!api) return err("gossip config: api_address: " + api.error().message);
  c.api_address = *api;
  if (auto it = g.find("bootstrapper"); it != g.end() && !it->second.empty()) {
    auto b = parse_address(it->second);
    if (!b) return err("gossip config: bootstrapper: " + b.error().message);
    c.bootstrapper = b->str();
  }
  if (auto it = g.find("pow_difficulty"); it != g.end()) {
    auto d = parse_number<unsigned>("pow_difficulty", it->second, 0, 32);
    if (!d) return d.error();
    c.pow_difficulty = *d;
  }
  if (auto it = g.find("max_peers"); it != g.end()) {
    auto m = parse_number<size_t>("max_peers", it->second, c.degree, 10000);
    if (!m) return m.error();
    c.max_peers = *m;
  }
  for (auto [key, dst] : {std::pair{"item_rate", &c.item_rate}, std::pair{"item_burst", &c.item_burst}}) {
    if (auto it = g.find(key); it != g.end()) {
      auto v = parse_number<unsigned>(key, it->second, 1, 10'000'000);
      if (!v) return v.error();
      *dst = *v;
    }
  }
  return c;
}

Result<GossipConfig> load_gossip_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return err("cannot read gossip config " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = parse_gossip_config(ss.str(), std::filesystem::path(path).parent_path().string());
  if (!c) return err(path + ": " + c.error().message);
  return c;
}

}  // namespace rampart::gossip
