#include "broker/client_keys.hpp"

#include <fstream>
#include <sstream>

#include "common/config.hpp"
#include "crypto/keyfile.hpp"

namespace rampart::broker {
namespace {

constexpr std::string_view kFormat = "rampart-broker-clients-secret-v1";
constexpr size_t kMaxClients = size_t(kMaxBatchEntries) * 64;  // as directory_file.cpp bounds ids

Result<Bytes> hex32(std::string_view s) {
  Bytes b;
  if (s.size() != 64 || !from_hex(s, b) || b.size() != 32) return err("expected 32 bytes of hex");
  return b;
}

}  // namespace

std::vector<ClientSecrets> generate_clients(uint32_t n) {
  std::vector<ClientSecrets> out;
  out.reserve(n);
  for (uint32_t i = 0; i < n; ++i) out.push_back({i, crypto::ed25519::KeyPair::generate(), crypto::bls::SecretKey::random()});
  return out;
}

std::vector<ClientRecord> public_records(const std::vector<ClientSecrets>& clients) {
  std::vector<ClientRecord> out;
  out.reserve(clients.size());
  for (const auto& c : clients)
    out.push_back({c.id, c.ed25519.public_key(), crypto::bls::public_key(c.bls), crypto::bls::prove_possession(c.bls)});
  return out;
}

Status save_client_secrets(const std::filesystem::path& file, const std::vector<ClientSecrets>& clients) {
  std::ostringstream os;
  os << kFormat << "\n";
  for (const auto& c : clients) os << c.id << ' ' << to_hex(c.ed25519.seed()) << ' ' << to_hex(c.bls.to_bytes()) << "\n";
  return crypto::keyfile::write_secret(file.string(), os.str());
}

Result<std::vector<ClientSecrets>> load_client_secrets(const std::filesystem::path& file) {
  RAMPART_TRY(crypto::keyfile::check_private_permissions(file.string()));
  std::ifstream in(file);
  if (!in) return err("broker clients: cannot read " + file.string());
  std::string line;
  if (!std::getline(in, line) || line != kFormat)
    return err("broker clients: " + file.string() + ": first line must be " + std::string(kFormat));
  std::vector<ClientSecrets> out;
  for (size_t no = 2; std::getline(in, line); ++no) {
    auto bad = [&](const std::string& why) { return err("broker clients: " + file.string() + ":" + std::to_string(no) + ": " + why); };
    if (out.size() >= kMaxClients) return bad("too many clients");
    const size_t a = line.find(' '), b = a == std::string::npos ? a : line.find(' ', a + 1);
    if (b == std::string::npos || a == 0 || a > 10) return bad("expected: id ed25519-seed bls-secret");
    uint64_t id = 0;
    for (size_t i = 0; i < a; ++i) {
      if (line[i] < '0' || line[i] > '9') return bad("id is not a number");
      id = id * 10 + uint64_t(line[i] - '0');
    }
    if (id >= kMaxClients || (!out.empty() && id <= out.back().id)) return bad("ids must increase and stay below " + std::to_string(kMaxClients));
    auto seed = hex32(std::string_view(line).substr(a + 1, b - a - 1));
    if (!seed) return bad("ed25519 seed: " + seed.error().message);
    auto blsb = hex32(std::string_view(line).substr(b + 1));
    if (!blsb) return bad("bls secret: " + blsb.error().message);
    auto kp = crypto::ed25519::KeyPair::from_seed(*seed);
    if (!kp) return bad(kp.error().message);
    auto sk = crypto::bls::SecretKey::from_bytes(*blsb);
    if (!sk) return bad(sk.error().message);
    out.push_back({static_cast<ClientId>(id), *kp, *sk});
  }
  return out;
}

Result<std::string> write_client_set(const std::filesystem::path& dir, uint32_t n) {
  const auto clients = generate_clients(n);
  RAMPART_TRY(save_client_secrets(dir / kClientSecretsFile, clients));
  RAMPART_TRY(save_directory(dir / kClientDirectoryFile, public_records(clients)));
  return std::string(kClientDirectoryFile);
}

Status add_client_set_to_cluster(const std::filesystem::path& dir, uint32_t n) {
  auto cfg = load_config(dir / "cluster.toml");
  if (!cfg) return cfg.error();
  auto name = write_client_set(dir, n);
  if (!name) return name.error();
  cfg->clients = *name;
  return save_config(*cfg, dir / "cluster.toml");
}

}  // namespace rampart::broker
