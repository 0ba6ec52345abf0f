// Codecs of the broker path: round trips, and each malformed shape rejected with its reason.
#include <gtest/gtest.h>

#include "broker/client_wire.hpp"
#include "broker/replica_wire.hpp"
#include "common/codec.hpp"

namespace rampart::broker {
namespace {

DistilledBatch sample_batch() {
  DistilledBatch b;
  b.broker = 2;
  b.number = 77;
  b.raise = 1234;
  for (ClientId id : {1u, 5u, 6u, 300u, 70000u}) b.entries.push(id, to_bytes("p" + std::to_string(id)));
  b.has_aggregate = true;
  b.aggregate.fill(0xab);
  b.stragglers.push_back({6, 99, {}});
  b.stragglers.push_back({70000, 3, {}});
  b.stragglers[0].sig.fill(1);
  return b;
}

std::string decode_error(const Bytes& wire) {
  auto m = decode_replica_message(wire);
  return m ? "" : m.error().message;
}

TEST(BrokerWire, ClientMessagesRoundTrip) {
  Submit s{7, 42, to_bytes("eight!!!"), {}};
  s.sig.fill(9);
  Inclusion inc;
  inc.broker = 1;
  inc.number = 3;
  inc.root.fill(4);
  inc.raise = 5;
  inc.proof = {1, 3, {Hash32{}, Hash32{}}};
  inc.left = Neighbour{2, to_bytes("x"), {0, 3, {Hash32{}}}};
  inc.legitimacy = DeliveryCert{1, 2, 3, Hash32{}, Bytes(48, 6)};
  Reduction r{7, 3, Hash32{}, {}};
  Delivery d{DeliveryCert{1, 3, 9, Hash32{}, Bytes(48, 1)}, 5, {2, 3, {Hash32{}}}};
  for (const ClientMessage& m : {ClientMessage(s), ClientMessage(inc), ClientMessage(r), ClientMessage(d)}) {
    Bytes wire = encode(m);
    auto back = decode_client_message(wire);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(*back == m);
    // Every strict prefix is rejected, and so is a trailing byte.
    for (size_t n = 0; n < wire.size(); ++n) EXPECT_FALSE(decode_client_message(ByteView(wire).first(n)).ok());
    wire.push_back(0);
    EXPECT_FALSE(decode_client_message(wire).ok());
  }
}

TEST(BrokerWire, ClientMessageBounds) {
  Submit s{7, 42, Bytes(kMaxPayload + 1, 1), {}};
  EXPECT_NE(decode_client_message(encode(s)).error().message.find("payload longer"), std::string::npos);
  EXPECT_NE(decode_client_message(Bytes{99}).error().message.find("unknown client message kind"), std::string::npos);
  Inclusion inc;
  inc.proof = {0, 1, {}};
  Bytes wire = encode(inc);
  wire[wire.size() - 3] = 2;  // left-neighbour presence flag of 2
  EXPECT_FALSE(decode_client_message(wire).ok());
}

TEST(BrokerWire, DistilledBatchRoundTripsWithBitPackedIds) {
  DistilledBatch b = sample_batch();
  Bytes wire = encode(b);
  auto m = decode_replica_message(wire);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(std::get<DistilledBatch>(*m) == b);
  EXPECT_EQ(id_width(b.entries.ids), 17);  // 70000 < 2^17
  // 1 + 4 + 8 + 8 + 4 + 1 header, ceil(5 * 17 / 8) = 11 bytes of ids.
  EXPECT_EQ(wire[25], 17);
  for (size_t n = 0; n < wire.size(); ++n) EXPECT_FALSE(decode_replica_message(ByteView(wire).first(n)).ok());
}

TEST(BrokerWire, DistilledBatchShapeIsEnforced) {
  {
    DistilledBatch b = sample_batch();
    b.entries = {};
    for (ClientId id : {1u, 6u, 5u, 300u, 70000u}) b.entries.push(id, to_bytes("p"));
    EXPECT_NE(decode_error(encode(b)).find("not strictly increasing"), std::string::npos);
  }
  {
    DistilledBatch b = sample_batch();
    b.entries = {};
    for (ClientId id : {1u, 5u, 5u, 300u, 70000u}) b.entries.push(id, to_bytes("p"));
    EXPECT_NE(decode_error(encode(b)).find("not strictly increasing"), std::string::npos);  // duplicate
  }
  {
    Bytes wire = encode(sample_batch());
    wire[25] = 18;  // wider than the largest id needs
    EXPECT_FALSE(decode_error(wire).empty());
    wire[25] = 0;
    EXPECT_NE(decode_error(wire).find("width"), std::string::npos);
  }
  {
    DistilledBatch b = sample_batch();
    b.stragglers[1].id = 7;  // not in the batch
    EXPECT_NE(decode_error(encode(b)).find("not in the batch"), std::string::npos);
  }
  {
    DistilledBatch b = sample_batch();
    std::swap(b.stragglers[0], b.stragglers[1]);
    EXPECT_NE(decode_error(encode(b)).find("straggler ids not strictly increasing"), std::string::npos);
  }
  {
    DistilledBatch b = sample_batch();
    b.has_aggregate = false;
    EXPECT_NE(decode_error(encode(b)).find("no aggregate"), std::string::npos);
  }
  {
    DistilledBatch b;
    b.entries.push(4, to_bytes("only"));
    b.has_aggregate = true;
    b.stragglers.push_back({4, 1, {}});
    EXPECT_NE(decode_error(encode(b)).find("every entry is a straggler"), std::string::npos);
  }
  {
    // Nonzero padding bits after the last id: 3 ids of 3 bits leave 7 padding bits.
    DistilledBatch b;
    for (ClientId id : {1u, 2u, 4u}) b.entries.push(id, {});
    b.has_aggregate = true;
    Bytes wire = encode(b);
    ASSERT_EQ(decode_error(wire), "");
    wire[27] |= 0x80;
    EXPECT_NE(decode_error(wire).find("padding"), std::string::npos);
  }
}

TEST(BrokerWire, BitPackingMatchesTheLayout) {
  // Width 3: ids 1, 2, 4 -> bits 001 010 100 (LSB first) = 0b100'010'001 -> bytes 0x11, 0x01.
  Writer w;
  std::vector<ClientId> ids = {1, 2, 4};
  pack_ids(w, ids, 3);
  EXPECT_EQ(Bytes(w.data().begin(), w.data().end()), (Bytes{0x11, 0x01}));
}

}  // namespace
}  // namespace rampart::broker
