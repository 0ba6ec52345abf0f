#include "ledger/genesis.hpp"

#include <algorithm>

#include "common/codec.hpp"

namespace rampart::ledger {

Bytes genesis_config(const ClusterConfig& c) {
  Writer w;
  w.str("rampart/genesis-config/v1");
  w.u32(c.f);
  w.str(c.protocol);
  w.str(c.crypto);
  w.bytes(c.group_public_key);
  w.u64(c.crypto == "fake" ? c.fake_seed : 0);
  w.u64(c.checkpoint_interval);
  w.u64(c.window);
  w.u32(static_cast<uint32_t>(c.admin_accounts.size()));
  for (const auto& a : c.admin_accounts) w.str(a);
  std::vector<const ReplicaEntry*> rs;
  for (const auto& r : c.replicas) rs.push_back(&r);
  std::sort(rs.begin(), rs.end(), [](auto* a, auto* b) { return a->id < b->id; });
  w.u32(static_cast<uint32_t>(rs.size()));
  for (const auto* r : rs) {
    w.u32(r->id);
    w.bytes(r->ed25519_public);
    w.bytes(r->threshold_public);
  }
  // The app, last and only when it is not the default, so every existing kv ledger keeps its genesis.
  if (c.app != "kv") w.str("app=" + c.app);
  return w.take();
}

}  // namespace rampart::ledger
