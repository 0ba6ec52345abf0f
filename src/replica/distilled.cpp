#include "replica/distilled.hpp"

#include <string>

#include "broker/verify.hpp"
#include "common/codec.hpp"
#include "replica/client_wire.hpp"

namespace rampart::replica {

bool is_distilled(ByteView part) {
  Reader rd(part);
  return rd.u32() == kDistilledMarker && !rd.failed();
}

Bytes distilled_part(ByteView wire) {
  Writer w;
  w.u32(kDistilledMarker);
  w.raw(wire);
  return w.take();
}

Result<broker::DistilledBatch> decode_distilled(ByteView part) {
  if (!is_distilled(part)) return err("not a distilled part");
  auto m = broker::decode_replica_message(part.subspan(4));
  if (!m) return m.error();
  auto* b = std::get_if<broker::DistilledBatch>(&*m);
  if (!b) return err("distilled part holds no distilled batch");
  return std::move(*b);
}

size_t distilled_entries(ByteView part) {
  // marker u32 | kind u8 | broker u32 | number u64 | raise u64 | count u32
  Reader rd(part);
  if (rd.u32() != kDistilledMarker) return 0;
  rd.u8();
  rd.u32();
  rd.u64();
  rd.u64();
  const uint32_t n = rd.u32();
  return rd.failed() ? 0 : n;
}

Status check_distilled(ByteView part, const broker::Directory& dir) {
  auto b = decode_distilled(part);
  if (!b) return b.error();
  auto v = broker::verify_distilled(*b, dir);
  if (!v) return v.error();
  return {};
}

namespace {
Status expand(ByteView part, const broker::Directory& dir, Batch& out, std::vector<DistilledRef>* refs,
              size_t* skipped) {
  auto b = decode_distilled(part);
  if (!b) return b.error();
  const auto& e = b->entries;
  out.requests.reserve(out.requests.size() + e.size());
  size_t s = 0;  // stragglers are strictly increasing ids of the batch, as entries are
  for (size_t i = 0; i < e.size(); ++i) {
    uint64_t seq = b->raise;
    if (s < b->stragglers.size() && b->stragglers[s].id == e.ids[i]) seq = b->stragglers[s++].seq;
    const broker::ClientKeys* keys = dir.find(e.ids[i]);
    if (!keys) {
      // Signed up in a block final at its checkers but not executed before this one
      // (replica/client_directory.hpp, SAFETY): skipped, the same way at every replica.
      if (skipped) ++*skipped;
      continue;
    }
    Request r;
    r.client = keys->principal;  // client::client_id_of(keys->ed25519), kept by the directory
    r.seq = seq;
    const ByteView payload = e.payload(i);
    r.payload.reserve(keys->ed25519.size() + payload.size());
    r.payload.insert(r.payload.end(), keys->ed25519.begin(), keys->ed25519.end());
    r.payload.insert(r.payload.end(), payload.begin(), payload.end());
    out.requests.push_back(std::move(r));
  }
  out.brokered.resize(out.requests.size(), 1);
  if (refs) refs->push_back({b->broker, b->number, broker::batch_roots(*b).amended_root});
  return {};
}
}  // namespace

Result<std::vector<DistilledRef>> distilled_refs(ByteView slot) {
  auto parts = batch_parts(slot);
  if (!parts) return parts.error();
  std::vector<DistilledRef> refs;
  for (ByteView p : *parts) {
    if (!is_distilled(p)) continue;
    auto b = decode_distilled(p);
    if (!b) return b.error();
    refs.push_back({b->broker, b->number, broker::batch_roots(*b).amended_root});
  }
  return refs;
}

Result<Batch> decode_slot(ByteView bytes, const broker::Directory* dir, std::vector<DistilledRef>* refs,
                          size_t* skipped) {
  auto parts = batch_parts(bytes);
  if (!parts) return parts.error();
  bool any = false;
  for (ByteView p : *parts) any = any || is_distilled(p);
  if (!any) return decode_batch(bytes);
  if (!dir) return err("a distilled part, but no client directory");
  Batch all;
  for (ByteView p : *parts) {
    if (is_distilled(p)) {
      RAMPART_TRY(expand(p, *dir, all, refs, skipped));
      continue;
    }
    auto b = decode_batch(p);
    if (!b) return err("bundle part: " + b.error().message);
    for (auto& r : b->requests) all.requests.push_back(std::move(r));
    all.brokered.resize(all.requests.size(), 0);
  }
  if (all.brokered.size() < all.requests.size()) all.brokered.resize(all.requests.size(), 0);
  return all;
}

}  // namespace rampart::replica
