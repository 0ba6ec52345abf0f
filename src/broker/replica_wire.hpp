#pragma once
// Broker <-> replica messages.
//
//   DistilledBatch  broker -> replica  the batch as DESIGN §3.1 puts it on the wire: ids
//                                      bit-packed at the width of the largest id, payloads,
//                                      raise, one aggregate BLS signature, stragglers
//   Delivered       replica -> broker  a delivery certificate (group signature over
//                                      delivery_statement) for one of the broker's batches
//
// The decoder enforces the batch's shape, so a replica never looks at a malformed one: ids
// strictly increasing, the packing width exactly that of the largest id with zero padding bits,
// every straggler an id of the batch (strictly increasing too), an aggregate present unless
// every entry is a straggler. Signatures stay raw bytes here; verify.hpp decodes and checks
// them. A decoded batch re-encodes to exactly its input (fuzz/broker_replica_fuzz).
#include <array>
#include <variant>
#include <vector>

#include "broker/client_wire.hpp"
#include "broker/entries.hpp"
#include "common/result.hpp"

namespace rampart::broker {

enum class ReplicaKind : uint8_t { distilled = 16, delivered = 17 };

struct DistilledBatch {
  uint32_t broker = 0;
  uint64_t number = 0;
  uint64_t raise = 0;
  Entries entries;
  bool has_aggregate = false;
  std::array<uint8_t, 96> aggregate{};  // BLS over reduce_statement(root of the raise tree)
  std::vector<Straggler> stragglers;    // ids strictly increasing, each an entry's id
  bool operator==(const DistilledBatch&) const = default;
};

struct Delivered {
  DeliveryCert cert;
  bool operator==(const Delivered&) const = default;
};

using ReplicaMessage = std::variant<DistilledBatch, Delivered>;

Bytes encode(const DistilledBatch& b);
Bytes encode(const Delivered& m);
Result<ReplicaMessage> decode_replica_message(ByteView wire);

// Bit packing of ids, exposed for tests: width = bit width of the largest id (at least 1);
// id i occupies stream bits [i * width, (i + 1) * width), least significant bit first.
uint8_t id_width(std::span<const ClientId> ids);
void pack_ids(Writer& w, std::span<const ClientId> ids, uint8_t width);

}  // namespace rampart::broker
