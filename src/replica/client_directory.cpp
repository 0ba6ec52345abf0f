#include "replica/client_directory.hpp"

#include <blake3.h>

#include <limits>
#include <string>

namespace rampart::replica {

namespace {
using broker::ClientId;
using broker::ClientKeys;
constexpr uint64_t kMaxIds = uint64_t{std::numeric_limits<ClientId>::max()};  // ids stay below it
constexpr size_t kEntryBytes = crypto::ed25519::kPublicKeySize + crypto::bls::kPublicKeySize + 8;

Hash32 chain_step(const Hash32& prev, uint64_t id, const ClientKeys& keys, uint64_t height) {
  Writer w;
  w.fixed(prev);
  w.u64(id);
  w.fixed(keys.ed25519);
  w.fixed(keys.bls.to_bytes());
  w.u64(height);
  blake3_hasher h;
  blake3_hasher_init_derive_key(&h, "rampart client directory sign-ups v1");
  blake3_hasher_update(&h, w.data().data(), w.data().size());
  Hash32 out;
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}

Bytes refused(std::string why) {
  broker::SignupResult r;
  r.reason = std::move(why);
  return broker::encode_signup_result(r);
}
}  // namespace

void ClientDirectory::append(const ClientKeys& keys, uint64_t height) {
  const uint64_t id = base() + entries_.size();
  const Hash32 prev = entries_.empty() ? Hash32{} : entries_.back().chain;
  entries_.push_back(Entry{keys, height, chain_step(prev, id, keys, height)});
  entries_.back().keys.principal = broker::principal_of(keys.ed25519);
  by_ed_[keys.ed25519] = static_cast<ClientId>(id);
}

Bytes ClientDirectory::sign_up(uint64_t k, ByteView payload) {
  if (payload.size() < crypto::ed25519::kPublicKeySize) return refused("sign-up: the request carries no Ed25519 key");
  crypto::ed25519::PublicKey ed;
  std::copy_n(payload.begin(), ed.size(), ed.begin());
  auto op = broker::decode_signup_op(payload.subspan(ed.size()));
  if (!op) return refused(op.error().message);
  // Every key the directory holds came with a valid proof: aggregation relies on it.
  if (!crypto::bls::verify_possession(op->bls, op->pop))
    return refused("sign-up: the BLS proof of possession does not verify");
  broker::SignupResult r;
  r.ok = true;
  r.ed25519 = ed;
  if (auto id = id_of(ed)) {
    r.id = *id;
    r.bls = find(*id)->bls;  // the key it signed up with first stays
    return broker::encode_signup_result(r);
  }
  if (end() >= kMaxIds) return refused("sign-up: the directory is full");
  r.id = static_cast<ClientId>(end());
  r.bls = op->bls;
  append(ClientKeys{ed, op->bls}, k);
  return broker::encode_signup_result(r);
}

void ClientDirectory::rollback(uint64_t k) {
  while (entries_.size() > final_count_ && entries_.back().height > k) {
    by_ed_.erase(entries_.back().keys.ed25519);
    entries_.pop_back();
  }
}

void ClientDirectory::make_final(uint64_t k) {
  while (final_count_ < entries_.size() && entries_[final_count_].height <= k) ++final_count_;
}

const ClientKeys* ClientDirectory::find(ClientId id) const {
  const uint64_t b = base();
  if (id < b) return genesis_->find(id);
  const uint64_t i = id - b;
  return i < entries_.size() ? &entries_[i].keys : nullptr;
}

std::optional<ClientId> ClientDirectory::id_of(const crypto::ed25519::PublicKey& ed) const {
  if (genesis_) {
    if (auto id = genesis_->id_of(ed)) return id;
  }
  auto it = by_ed_.find(ed);
  if (it == by_ed_.end()) return std::nullopt;
  return it->second;
}

uint64_t ClientDirectory::end() const { return base() + entries_.size(); }

const ClientKeys* ClientDirectory::FinalView::find(ClientId id) const {
  const uint64_t b = d_.base();
  if (id < b) return d_.genesis_->find(id);
  const uint64_t i = id - b;
  return i < d_.final_count_ ? &d_.entries_[i].keys : nullptr;
}

std::optional<ClientId> ClientDirectory::FinalView::id_of(const crypto::ed25519::PublicKey& ed) const {
  auto id = d_.id_of(ed);
  if (id && find(*id) == nullptr) return std::nullopt;
  return id;
}

uint64_t ClientDirectory::FinalView::end() const { return d_.base() + d_.final_count_; }

void ClientDirectory::encode(Writer& w) const {
  w.u32(static_cast<uint32_t>(entries_.size()));
  for (const auto& e : entries_) {
    w.fixed(e.keys.ed25519);
    w.fixed(e.keys.bls.to_bytes());
    w.u64(e.height);
  }
}

Result<ClientDirectory::Decoded> ClientDirectory::decode(Reader& r, uint64_t last) const {
  const size_t n = r.count(kMaxIds - base(), kEntryBytes);
  Decoded d;
  auto& entries = d.entries;
  auto& by_ed = d.by_ed;
  entries.reserve(n);
  Hash32 chain{};
  uint64_t prev_height = 0;
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    Entry e;
    e.keys.ed25519 = r.fixed<crypto::ed25519::kPublicKeySize>();
    e.keys.principal = broker::principal_of(e.keys.ed25519);
    ByteView bls = r.raw(crypto::bls::kPublicKeySize);
    e.height = r.u64();
    if (r.failed()) break;
    auto pk = crypto::bls::PublicKey::from_bytes(bls);
    if (!pk) return err("client directory: sign-up " + std::to_string(i) + ": " + pk.error().message);
    e.keys.bls = *pk;
    if (e.height < prev_height || e.height > last || e.height == 0)
      return err("client directory: sign-up heights out of order");
    prev_height = e.height;
    const uint64_t id = base() + i;
    if ((genesis_ && genesis_->id_of(e.keys.ed25519)) || !by_ed.emplace(e.keys.ed25519, ClientId(id)).second)
      return err("client directory: an Ed25519 key signed up twice");
    e.chain = chain = chain_step(chain, id, e.keys, e.height);
    entries.push_back(std::move(e));
  }
  if (r.failed()) return r.status().error();
  return d;
}

void ClientDirectory::install(Decoded d) {
  entries_ = std::move(d.entries);
  by_ed_ = std::move(d.by_ed);
  final_count_ = entries_.size();
}

}  // namespace rampart::replica
