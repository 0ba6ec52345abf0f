#include "broker/replica_wire.hpp"

#include <bit>

#include "common/codec.hpp"

namespace rampart::broker {
namespace {

constexpr size_t kStragglerWire = 4 + 8 + 64;

// Reads `count` ids of `width` bits; fails unless they are strictly increasing, the largest
// has exactly that width and the padding bits of the last byte are zero (one encoding per
// batch, so decode -> encode is exact).
std::vector<ClientId> unpack_ids(Reader& r, size_t count, uint8_t width) {
  std::vector<ClientId> ids;
  const size_t bytes = (count * width + 7) / 8;
  ByteView v = r.raw(bytes);
  if (r.failed()) return ids;
  ids.reserve(count);
  uint64_t acc = 0;
  unsigned have = 0;
  size_t pos = 0;
  for (size_t i = 0; i < count; ++i) {
    while (have < width) {
      acc |= uint64_t(v[pos++]) << have;
      have += 8;
    }
    const ClientId id = static_cast<ClientId>(acc & ((uint64_t(1) << width) - 1));
    acc >>= width;
    have -= width;
    if (!ids.empty() && id <= ids.back()) {
      r.fail("broker: batch ids not strictly increasing at entry " + std::to_string(i));
      return ids;
    }
    ids.push_back(id);
  }
  if (acc != 0) r.fail("broker: nonzero padding bits after the packed ids");
  else if (!ids.empty() && id_width(ids) != width) r.fail("broker: id width is not that of the largest id");
  return ids;
}

}  // namespace

uint8_t id_width(std::span<const ClientId> ids) {
  ClientId max = ids.empty() ? 0 : ids.back();  // ids are sorted
  for (ClientId id : ids) max = std::max(max, id);
  return static_cast<uint8_t>(std::max<int>(1, static_cast<int>(std::bit_width(max))));
}

void pack_ids(Writer& w, std::span<const ClientId> ids, uint8_t width) {
  uint64_t acc = 0;
  unsigned have = 0;
  for (ClientId id : ids) {
    acc |= uint64_t(id) << have;
    have += width;
    while (have >= 8) {
      w.u8(static_cast<uint8_t>(acc));
      acc >>= 8;
      have -= 8;
    }
  }
  if (have > 0) w.u8(static_cast<uint8_t>(acc));
}

Bytes encode(const DistilledBatch& b) {
  Writer w;
  const auto& e = b.entries;
  w.reserve(64 + e.size() * 6 + e.payloads.size() + b.stragglers.size() * kStragglerWire);
  w.u8(static_cast<uint8_t>(ReplicaKind::distilled));
  w.u32(b.broker);
  w.u64(b.number);
  w.u64(b.raise);
  w.u32(static_cast<uint32_t>(e.size()));
  const uint8_t width = id_width(e.ids);
  w.u8(width);
  pack_ids(w, e.ids, width);
  for (size_t i = 0; i < e.size(); ++i) {
    w.u16(static_cast<uint16_t>(e.payload(i).size()));
    w.raw(e.payload(i));
  }
  w.boolean(b.has_aggregate);
  if (b.has_aggregate) w.fixed(b.aggregate);
  w.u32(static_cast<uint32_t>(b.stragglers.size()));
  for (const auto& s : b.stragglers) {
    w.u32(s.id);
    w.u64(s.seq);
    w.fixed(s.sig);
  }
  return w.take();
}

Bytes encode(const Delivered& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(ReplicaKind::delivered));
  write_cert(w, m.cert);
  return w.take();
}

namespace {

DistilledBatch read_batch(Reader& r) {
  DistilledBatch b;
  b.broker = r.u32();
  b.number = r.u64();
  b.raise = r.u64();
  // Each entry takes at least its 2-byte payload length on the wire.
  const size_t count = r.count(kMaxBatchEntries, 2);
  if (!r.failed() && count == 0) r.fail("broker: empty batch");
  const uint8_t width = r.u8();
  if (!r.failed() && (width < 1 || width > 32)) r.fail("broker: id width must be 1..32 bits");
  if (r.failed()) return b;
  b.entries.ids = unpack_ids(r, count, width);
  if (r.failed()) return b;
  b.entries.at.reserve(count + 1);
  for (size_t i = 0; i < count && !r.failed(); ++i) {
    const size_t n = r.u16();
    if (n > kMaxPayload) r.fail("broker: payload of entry " + std::to_string(i) + " too long");
    ByteView p = r.raw(n);
    b.entries.payloads.insert(b.entries.payloads.end(), p.begin(), p.end());
    b.entries.at.push_back(static_cast<uint32_t>(b.entries.payloads.size()));
  }
  const uint8_t agg = r.u8();
  if (agg > 1) r.fail("broker: aggregate flag must be 0 or 1");
  b.has_aggregate = agg == 1;
  if (b.has_aggregate) b.aggregate = r.fixed<96>();
  const size_t k = r.count(count, kStragglerWire);
  if (r.failed()) return b;
  b.stragglers.reserve(k);
  for (size_t i = 0; i < k && !r.failed(); ++i) {
    Straggler s;
    s.id = r.u32();
    s.seq = r.u64();
    s.sig = r.fixed<64>();
    if (!b.stragglers.empty() && s.id <= b.stragglers.back().id) r.fail("broker: straggler ids not strictly increasing");
    else if (b.entries.find(s.id) < 0) r.fail("broker: straggler " + std::to_string(s.id) + " is not in the batch");
    b.stragglers.push_back(s);
  }
  if (!r.failed() && b.has_aggregate == (k == count))
    r.fail(b.has_aggregate ? "broker: aggregate present though every entry is a straggler"
                           : "broker: no aggregate though some entries are not stragglers");
  return b;
}

}  // namespace

Result<ReplicaMessage> decode_replica_message(ByteView wire) {
  Reader r(wire);
  const uint8_t kind = r.u8();
  ReplicaMessage out;
  switch (static_cast<ReplicaKind>(kind)) {
    case ReplicaKind::distilled:
      out = read_batch(r);
      break;
    case ReplicaKind::delivered:
      out = Delivered{read_cert(r)};
      break;
    default:
      if (!r.failed()) return err("broker: unknown replica message kind " + std::to_string(kind));
  }
  RAMPART_TRY(r.finish());
  return out;
}

}  // namespace rampart::broker
