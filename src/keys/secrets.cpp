#include "keys/secrets.hpp"

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "common/config.hpp"
#include "crypto/keyfile.hpp"

namespace rampart::keys {

Status save_secrets(const NodeSecrets& s, const std::filesystem::path& file) {
  toml::table t{{"role", s.role},
                {"id", s.id},
                {"ed25519_secret", to_hex(s.ed25519_secret)},
                {"x25519_secret", to_hex(s.x25519_secret)},
                {"threshold_share", to_hex(s.threshold_share)}};
  std::ostringstream os;
  os << "# SECRET: rampart " << s.role << " " << s.id << " keys. Keep mode 0600; never share.\n" << t << "\n";
  return crypto::keyfile::write_secret(file.string(), os.str());
}

Result<NodeSecrets> load_secrets(const std::filesystem::path& file) {
  RAMPART_TRY(crypto::keyfile::check_private_permissions(file.string()));
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  toml::table t;
  try {
    t = toml::parse(ss.str());
  } catch (const toml::parse_error& e) {
    return err("key file " + file.string() + ": " + std::string(e.description()));
  }
  NodeSecrets s;
  s.role = t["role"].value_or(std::string("replica"));
  s.id = t["id"].value_or(0u);
  auto hex = [&](const char* k, Bytes& out, size_t want) -> Status {
    auto v = t[k].value<std::string>();
    if (!v || !from_hex(*v, out)) return err("key file " + file.string() + ": bad " + k);
    if (want && out.size() != want) return err("key file " + file.string() + ": " + k + " has wrong length");
    return {};
  };
  RAMPART_TRY(hex("ed25519_secret", s.ed25519_secret, 64));
  RAMPART_TRY(hex("x25519_secret", s.x25519_secret, 32));
  RAMPART_TRY(hex("threshold_share", s.threshold_share, 0));
  return s;
}

}  // namespace rampart::keys
