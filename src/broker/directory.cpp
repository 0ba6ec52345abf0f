#include "broker/directory.hpp"

#include "crypto/blake3.hpp"

namespace rampart::broker {

uint64_t principal_of(ByteView ed25519) {
  const Hash32 h = crypto::blake3::hash(ed25519);
  uint64_t id = 0;
  for (int i = 7; i >= 0; --i) id = (id << 8) | h[static_cast<size_t>(i)];
  return id;
}

Status MemoryDirectory::add(ClientId id, const crypto::ed25519::PublicKey& ed, const crypto::bls::PublicKey& bls,
                            const crypto::bls::Signature& pop) {
  if (!crypto::bls::verify_possession(bls, pop)) return err("directory: BLS proof of possession does not verify");
  add_trusted(id, ClientKeys{ed, bls});
  return {};
}

void MemoryDirectory::add_trusted(ClientId id, const ClientKeys& keys) {
  if (id >= keys_.size()) keys_.resize(size_t(id) + 1);
  if (keys_[id]) by_ed_.erase(keys_[id]->ed25519);
  keys_[id] = keys;
  keys_[id]->principal = principal_of(keys.ed25519);
  by_ed_[keys.ed25519] = id;
}

std::optional<ClientId> MemoryDirectory::id_of(const crypto::ed25519::PublicKey& ed) const {
  auto it = by_ed_.find(ed);
  if (it == by_ed_.end()) return std::nullopt;
  return it->second;
}

const ClientKeys* MemoryDirectory::find(ClientId id) const {
  if (id >= keys_.size() || !keys_[id]) return nullptr;
  return &*keys_[id];
}

}  // namespace rampart::broker
