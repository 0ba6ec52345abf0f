#include "broker/directory_file.hpp"

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace rampart::broker {
namespace {

constexpr std::string_view kFormat = "rampart-clients-v1";

Result<Bytes> hex_field(const toml::table& t, const char* key, size_t len, size_t index) {
  auto s = t[key].value<std::string>();
  Bytes b;
  if (!s || !from_hex(*s, b) || b.size() != len)
    return err("clients: client #" + std::to_string(index) + ": " + key + " must be " + std::to_string(len) +
               " bytes of hex");
  return b;
}

}  // namespace

Status save_directory(const std::filesystem::path& file, const std::vector<ClientRecord>& clients) {
  std::ostringstream out;
  out << "# rampart client directory (public keys; see docs/brokers.md)\nformat = \"" << kFormat << "\"\n";
  for (const auto& c : clients) {
    out << "\n[[client]]\nid = " << c.id << "\ned25519 = \"" << to_hex(c.ed25519) << "\"\nbls = \""
        << to_hex(c.bls.to_bytes()) << "\"\npop = \"" << to_hex(c.pop.to_bytes()) << "\"\n";
  }
  std::ofstream f(file);
  f << out.str();
  if (!f) return err("clients: cannot write " + file.string());
  return {};
}

Result<std::unique_ptr<MemoryDirectory>> load_directory(const std::filesystem::path& file, bool check_proofs) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return err("clients: " + file.string() + ": " + std::string(e.description()));
  }
  if (root["format"].value<std::string>() != std::string(kFormat))
    return err("clients: " + file.string() + ": format must be \"" + std::string(kFormat) + "\"");
  auto dir = std::make_unique<MemoryDirectory>();
  const toml::array* arr = root["client"].as_array();
  if (!arr) return dir;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    if (!t) return err("clients: [[client]] entries must be tables");
    auto id = (*t)["id"].value<int64_t>();
    if (!id || *id < 0 || *id >= int64_t(kMaxBatchEntries) * 64)
      return err("clients: client #" + std::to_string(i) + ": id missing or out of range");
    auto ed = hex_field(*t, "ed25519", 32, i);
    RAMPART_TRY(ed);
    auto blsb = hex_field(*t, "bls", crypto::bls::kPublicKeySize, i);
    RAMPART_TRY(blsb);
    auto popb = hex_field(*t, "pop", crypto::bls::kSignatureSize, i);
    RAMPART_TRY(popb);
    crypto::ed25519::PublicKey edk;
    std::copy(ed->begin(), ed->end(), edk.begin());
    if (dir->find(static_cast<ClientId>(*id))) return err("clients: client id " + std::to_string(*id) + " appears twice");
    if (!check_proofs) {
      // Keys our own keygen made: on the curve is checked (a typo'd file fails), the subgroup
      // check and the proof (~0.2 ms and ~1.6 ms a client) are skipped.
      auto p = crypto::bls::decode_g1_on_curve(*blsb);
      if (!p) return err("clients: client " + std::to_string(*id) + ": " + p.error().message);
      dir->add_trusted(static_cast<ClientId>(*id), {edk, crypto::bls::PublicKey{*p}});
      continue;
    }
    auto pk = crypto::bls::PublicKey::from_bytes(*blsb);
    if (!pk) return err("clients: client " + std::to_string(*id) + ": " + pk.error().message);
    auto pop = crypto::bls::Signature::from_bytes(*popb);
    if (!pop) return err("clients: client " + std::to_string(*id) + ": " + pop.error().message);
    auto st = dir->add(static_cast<ClientId>(*id), edk, *pk, *pop);
    if (!st) return err("clients: client " + std::to_string(*id) + ": " + st.error().message);
  }
  return dir;
}

}  // namespace rampart::broker
