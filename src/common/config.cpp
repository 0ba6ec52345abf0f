#include "common/config.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace rampart {
namespace fs = std::filesystem;

fs::path ClusterConfig::resolve(const std::string& p) const {
  fs::path path(p);
  if (path.is_absolute() || base_dir.empty()) return path;
  return base_dir / path;
}

const ReplicaEntry* ClusterConfig::replica(uint32_t id) const {
  for (const auto& r : replicas)
    if (r.id == id) return &r;
  return nullptr;
}

bool ClusterConfig::is_relay(ByteView ed25519_public) const {
  for (const auto& b : brokers)
    if (ByteView(b.ed25519_public).size() == ed25519_public.size() &&
        std::equal(b.ed25519_public.begin(), b.ed25519_public.end(), ed25519_public.begin()))
      return true;
  const std::string hex = to_hex(ed25519_public);
  return std::find(relays.begin(), relays.end(), hex) != relays.end();
}

Status ClusterConfig::validate() const {
  if (replicas.empty()) return err("config: no [[replica]] entries");
  if (n() < 3 * f + 1) return err("config: " + std::to_string(n()) + " replicas cannot tolerate f = " + std::to_string(f) + " (need 3f+1)");
  if (protocol != "poe" && protocol != "poe-mac" && protocol != "pbft")
    return err("config: protocol must be poe, poe-mac or pbft, not '" + protocol + "'");
  if (crypto != "bls" && crypto != "fake") return err("config: crypto must be bls or fake");
  if (app != "kv" && app != "wallet") return err("config: app must be kv or wallet, not '" + app + "'");
  for (const auto& a : admin_accounts) {
    Bytes key;
    if (!from_hex(a, key) || key.size() != 32) return err("config: admin account '" + a + "' is not 64 hex digits (an Ed25519 public key)");
  }
  for (const auto& a : relays) {
    Bytes key;
    if (!from_hex(a, key) || key.size() != 32) return err("config: relay '" + a + "' is not 64 hex digits (an Ed25519 public key)");
    if (a != to_hex(key)) return err("config: relay '" + a + "' must be lower-case hex");
  }
  if (batch_size == 0) return err("config: batch_size must be positive");
  if (checkpoint_interval == 0 || window < checkpoint_interval) return err("config: need 0 < checkpoint_interval <= window");
  std::set<uint32_t> ids;
  for (const auto& r : replicas) {
    if (r.id >= n()) return err("config: replica id " + std::to_string(r.id) + " out of range 0.." + std::to_string(n() - 1));
    if (!ids.insert(r.id).second) return err("config: duplicate replica id " + std::to_string(r.id));
    if (r.peer_port == 0 || r.client_port == 0) return err("config: replica " + std::to_string(r.id) + " needs peer_port and client_port");
    if (r.ed25519_public.size() != 32) return err("config: replica " + std::to_string(r.id) + " ed25519_public must be 32 bytes");
    if (r.x25519_public.size() != 32) return err("config: replica " + std::to_string(r.id) + " x25519_public must be 32 bytes");
  }
  if (crypto == "bls" && group_public_key.empty()) return err("config: group_public_key missing");
  return check_ports();
}

// Two listeners on one host and port cannot both work: the second bind fails, or (with
// SO_REUSEPORT somewhere) both bind and the kernel splits the connections between them. A
// wildcard address covers every host name on the machine.
Status ClusterConfig::check_ports() const {
  struct Use {
    std::string host;
    uint16_t port;
    std::string what;
  };
  std::vector<Use> uses;
  auto add = [&](const std::string& host, uint16_t port, std::string what) {
    if (port != 0) uses.push_back({host, port, std::move(what)});  // 0: not listening
  };
  for (const auto& r : replicas) {
    const std::string who = "replica " + std::to_string(r.id) + " ";
    add(r.host, r.peer_port, who + "peer_port");
    add(r.host, r.client_port, who + "client_port");
    add(r.host, r.metrics_port, who + "metrics_port");
    add(r.host, r.read_port, who + "read_port");
  }
  for (const auto& b : brokers) add(b.host, b.port, "broker " + std::to_string(b.id) + " port");
  auto wildcard = [](const std::string& h) { return h.empty() || h == "0.0.0.0" || h == "::" || h == "[::]"; };
  for (size_t i = 0; i < uses.size(); ++i)
    for (size_t j = i + 1; j < uses.size(); ++j) {
      const Use &a = uses[i], &b = uses[j];
      if (a.port == b.port && (a.host == b.host || wildcard(a.host) || wildcard(b.host)))
        return err("config: port " + std::to_string(a.port) + " is used twice on " + a.host + ": " + a.what + " and " +
                   b.what);
    }
  return {};
}

namespace {

Result<Bytes> hex_field(const toml::table& t, const char* key, bool required) {
  auto v = t[key].value<std::string>();
  if (!v) {
    if (required) return err(std::string("config: missing ") + key);
    return Bytes{};
  }
  Bytes out;
  if (!from_hex(*v, out)) return err(std::string("config: ") + key + " is not hex");
  return out;
}

template <typename T>
Result<T> int_field(const toml::table& t, const char* key, T dflt, int64_t lo, int64_t hi) {
  auto node = t[key];
  if (!node) return dflt;
  auto v = node.value<int64_t>();
  if (!v || *v < lo || *v > hi) return err(std::string("config: ") + key + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<T>(*v);
}

// Every key optional; unknown keys are refused (a typo must not silently keep a default).
Status parse_limits(const toml::table& t, ListenerLimits& l) {
  constexpr int64_t kMaxMs = 24 * 3600 * 1000;
  struct U32 {
    const char* key;
    uint32_t* v;
    int64_t lo, hi;
  };
  struct U64 {
    const char* key;
    uint64_t* v;
    int64_t lo, hi;
  };
  const U32 u32s[] = {{"client_max_connections", &l.client_max_connections, 1, 1 << 20},
                      {"client_max_per_source", &l.client_max_per_source, 1, 1 << 20},
                      {"peer_max_pending_handshakes", &l.peer_max_pending_handshakes, 1, 1 << 16},
                      {"peer_max_pending_per_source", &l.peer_max_pending_per_source, 1, 1 << 16},
                      {"metrics_threads", &l.metrics_threads, 1, 1024}};
  const U64 u64s[] = {{"client_idle_timeout_ms", &l.client_idle_timeout_ms, 0, kMaxMs},
                      {"client_frame_timeout_ms", &l.client_frame_timeout_ms, 0, kMaxMs},
                      {"client_buffer_bytes", &l.client_buffer_bytes, 1 << 20, int64_t(1) << 40},
                      {"client_handshake_timeout_ms", &l.client_handshake_timeout_ms, 10, kMaxMs},
                      {"peer_handshake_timeout_ms", &l.peer_handshake_timeout_ms, 10, kMaxMs},
                      {"metrics_timeout_ms", &l.metrics_timeout_ms, 10, kMaxMs}};
  for (auto& [k, v] : t) {
    bool known = false;
    for (auto& f : u32s) known |= k.str() == f.key;
    for (auto& f : u64s) known |= k.str() == f.key;
    if (!known) return err("config: unknown key limits." + std::string(k.str()));
  }
  for (auto& f : u32s) {
    auto r = int_field<uint32_t>(t, f.key, *f.v, f.lo, f.hi);
    if (!r) return err(r.error().message + " (in [limits])");
    *f.v = *r;
  }
  for (auto& f : u64s) {
    auto r = int_field<uint64_t>(t, f.key, *f.v, f.lo, f.hi);
    if (!r) return err(r.error().message + " (in [limits])");
    *f.v = *r;
  }
  return {};
}

toml::table limits_table(const ListenerLimits& l) {
  return toml::table{{"client_max_connections", l.client_max_connections},
                     {"client_max_per_source", l.client_max_per_source},
                     {"client_idle_timeout_ms", static_cast<int64_t>(l.client_idle_timeout_ms)},
                     {"client_frame_timeout_ms", static_cast<int64_t>(l.client_frame_timeout_ms)},
                     {"client_buffer_bytes", static_cast<int64_t>(l.client_buffer_bytes)},
                     {"client_handshake_timeout_ms", static_cast<int64_t>(l.client_handshake_timeout_ms)},
                     {"peer_handshake_timeout_ms", static_cast<int64_t>(l.peer_handshake_timeout_ms)},
                     {"peer_max_pending_handshakes", l.peer_max_pending_handshakes},
                     {"peer_max_pending_per_source", l.peer_max_pending_per_source},
                     {"metrics_threads", l.metrics_threads},
                     {"metrics_timeout_ms", static_cast<int64_t>(l.metrics_timeout_ms)}};
}

}  // namespace

Result<ClusterConfig> parse_config(std::string_view text, const fs::path& base_dir) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "config: " << e.description() << " at line " << e.source().begin.line;
    return err(os.str());
  }
  ClusterConfig c;
  c.base_dir = base_dir;
  const toml::table* cl = root["cluster"].as_table();
  if (!cl) return err("config: missing [cluster] table");
  auto f = int_field<uint32_t>(*cl, "f", 1, 0, 1000);
  if (!f) return f.error();
  c.f = *f;
  c.protocol = (*cl)["protocol"].value_or(std::string("poe"));
  c.crypto = (*cl)["crypto"].value_or(std::string("bls"));
  c.app = (*cl)["app"].value_or(std::string("kv"));
  c.clients = (*cl)["clients"].value_or(std::string());
  auto bs = int_field<uint32_t>(*cl, "batch_size", 100, 1, 65536);
  if (!bs) return bs.error();
  c.batch_size = *bs;
  auto bt = int_field<uint32_t>(*cl, "batch_timeout_ms", 2, 0, 60000);
  if (!bt) return bt.error();
  c.batch_timeout_ms = *bt;
  auto vt = int_field<uint64_t>(*cl, "view_timeout_ms", 1000, 1, 3600000);
  if (!vt) return vt.error();
  c.view_timeout_ms = *vt;
  auto ci = int_field<uint64_t>(*cl, "checkpoint_interval", 64, 1, 1 << 20);
  if (!ci) return ci.error();
  c.checkpoint_interval = *ci;
  auto w = int_field<uint64_t>(*cl, "window", 256, 1, 1 << 22);
  if (!w) return w.error();
  c.window = *w;
  auto seed = int_field<uint64_t>(*cl, "fake_seed", 0, 0, INT64_MAX);
  if (!seed) return seed.error();
  c.fake_seed = *seed;
  if (auto* admins = (*cl)["admin_accounts"].as_array()) {
    for (auto& a : *admins) {
      auto s = a.value<std::string>();
      if (!s) return err("config: admin_accounts must be strings");
      c.admin_accounts.push_back(*s);
    }
  }
  if (auto* relays = (*cl)["relays"].as_array()) {
    for (auto& a : *relays) {
      auto s = a.value<std::string>();
      if (!s) return err("config: relays must be strings");
      c.relays.push_back(*s);
    }
  }
  auto gpk = hex_field(*cl, "group_public_key", false);
  if (!gpk) return gpk.error();
  c.group_public_key = std::move(*gpk);

  if (auto* reps = root["replica"].as_array()) {
    for (auto& node : *reps) {
      auto* t = node.as_table();
      if (!t) return err("config: [[replica]] must be tables");
      ReplicaEntry r;
      auto id = int_field<uint32_t>(*t, "id", 0, 0, 100000);
      if (!id) return id.error();
      r.id = *id;
      r.host = (*t)["host"].value_or(std::string("127.0.0.1"));
      auto pp = int_field<uint16_t>(*t, "peer_port", 0, 1, 65535);
      if (!pp) return pp.error();
      r.peer_port = *pp;
      auto cp = int_field<uint16_t>(*t, "client_port", 0, 1, 65535);
      if (!cp) return cp.error();
      r.client_port = *cp;
      auto mp = int_field<uint16_t>(*t, "metrics_port", 0, 0, 65535);
      if (!mp) return mp.error();
      r.metrics_port = *mp;
      auto rp = int_field<uint16_t>(*t, "read_port", 0, 0, 65535);
      if (!rp) return rp.error();
      r.read_port = *rp;
      auto ed = hex_field(*t, "ed25519_public", true);
      if (!ed) return ed.error();
      r.ed25519_public = std::move(*ed);
      auto x = hex_field(*t, "x25519_public", true);
      if (!x) return x.error();
      r.x25519_public = std::move(*x);
      auto tp = hex_field(*t, "threshold_public", false);
      if (!tp) return tp.error();
      r.threshold_public = std::move(*tp);
      r.key_file = (*t)["key_file"].value_or(std::string());
      r.data_dir = (*t)["data_dir"].value_or(std::string());
      c.replicas.push_back(std::move(r));
    }
  }
  std::sort(c.replicas.begin(), c.replicas.end(), [](auto& a, auto& b) { return a.id < b.id; });
  if (auto* lt = root["limits"].as_table()) RAMPART_TRY(parse_limits(*lt, c.limits));
  if (auto* brs = root["broker"].as_array()) {
    for (auto& node : *brs) {
      auto* t = node.as_table();
      if (!t) return err("config: [[broker]] must be tables");
      BrokerEntry b;
      auto id = int_field<uint32_t>(*t, "id", 0, 0, 100000);
      if (!id) return id.error();
      b.id = *id;
      b.host = (*t)["host"].value_or(std::string("127.0.0.1"));
      auto p = int_field<uint16_t>(*t, "port", 0, 0, 65535);
      if (!p) return p.error();
      b.port = *p;
      auto ed = hex_field(*t, "ed25519_public", false);
      if (!ed) return ed.error();
      b.ed25519_public = std::move(*ed);
      auto x = hex_field(*t, "x25519_public", false);
      if (!x) return x.error();
      b.x25519_public = std::move(*x);
      b.key_file = (*t)["key_file"].value_or(std::string());
      c.brokers.push_back(std::move(b));
    }
  }
  RAMPART_TRY(c.validate());
  return c;
}

Result<ClusterConfig> load_config(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return err("config: cannot read " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  std::error_code ec;
  fs::path abs = fs::absolute(file, ec);
  return parse_config(ss.str(), abs.parent_path());
}

std::string to_toml(const ClusterConfig& c) {
  toml::table cl{{"f", c.f},
                 {"protocol", c.protocol},
                 {"crypto", c.crypto},
                 {"app", c.app},
                 {"batch_size", c.batch_size},
                 {"batch_timeout_ms", c.batch_timeout_ms},
                 {"view_timeout_ms", static_cast<int64_t>(c.view_timeout_ms)},
                 {"checkpoint_interval", static_cast<int64_t>(c.checkpoint_interval)},
                 {"window", static_cast<int64_t>(c.window)},
                 {"group_public_key", to_hex(c.group_public_key)}};
  if (c.crypto == "fake") cl.insert("fake_seed", static_cast<int64_t>(c.fake_seed));
  toml::array admins;
  for (auto& a : c.admin_accounts) admins.push_back(a);
  cl.insert("admin_accounts", admins);
  if (!c.clients.empty()) cl.insert("clients", c.clients);
  if (!c.relays.empty()) {
    toml::array relays;
    for (auto& a : c.relays) relays.push_back(a);
    cl.insert("relays", relays);
  }
  toml::array reps;
  for (auto& r : c.replicas) {
    toml::table t{{"id", r.id},
                  {"host", r.host},
                  {"peer_port", r.peer_port},
                  {"client_port", r.client_port},
                  {"metrics_port", r.metrics_port},
                  {"ed25519_public", to_hex(r.ed25519_public)},
                  {"x25519_public", to_hex(r.x25519_public)},
                  {"threshold_public", to_hex(r.threshold_public)},
                  {"key_file", r.key_file},
                  {"data_dir", r.data_dir}};
    if (r.read_port != 0) t.insert("read_port", r.read_port);  // absent: no read server (older files stay as they were)
    reps.push_back(std::move(t));
  }
  toml::array brs;
  for (auto& b : c.brokers) {
    brs.push_back(toml::table{{"id", b.id},
                              {"host", b.host},
                              {"port", b.port},
                              {"ed25519_public", to_hex(b.ed25519_public)},
                              {"x25519_public", to_hex(b.x25519_public)},
                              {"key_file", b.key_file}});
  }
  toml::table root{{"cluster", cl}, {"replica", reps}};
  if (!brs.empty()) root.insert("broker", brs);
  if (!(c.limits == ListenerLimits{})) root.insert("limits", limits_table(c.limits));  // defaults stay implicit
  std::ostringstream os;
  os << "# Rampart cluster configuration, written by `rampart keygen`. Public: share it with clients.\n";
  os << root << "\n";
  return os.str();
}

Status save_config(const ClusterConfig& c, const fs::path& file) {
  std::ofstream out(file, std::ios::trunc);
  if (!out) return err("config: cannot write " + file.string());
  out << to_toml(c);
  if (!out) return err("config: write failed for " + file.string());
  return {};
}

}  // namespace rampart
