// Fuzzes what replicas read from brokers (distilled batches) and brokers from replicas
// (delivery certificates): a decoded message re-encodes to exactly the input, and the
// server-side check of a decoded batch never crashes (and, with keys nobody here holds for the
// aggregate, never accepts a batch with a reducing entry).
#include <cstddef>
#include <cstdint>

#include "broker/replica_wire.hpp"
#include "broker/verify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  using namespace rampart::broker;
  static MemoryDirectory dir = [] {
    MemoryDirectory d;
    for (uint32_t i = 0; i < 4; ++i) {
      auto ed = *crypto::ed25519::KeyPair::from_seed(Bytes(32, static_cast<uint8_t>(i + 1)));
      auto bls = *crypto::bls::SecretKey::from_seed(Bytes(32, static_cast<uint8_t>(i + 9)));
      d.add_trusted(i, {ed.public_key(), crypto::bls::public_key(bls)});
    }
    return d;
  }();
  ByteView in(data, size);
  auto m = decode_replica_message(in);
  if (!m.ok()) return 0;
  Bytes again = std::visit([](const auto& x) { return encode(x); }, *m);
  if (again != Bytes(in.begin(), in.end())) __builtin_trap();
  if (auto* b = std::get_if<DistilledBatch>(&*m)) {
    (void)batch_roots(*b);
    auto v = verify_distilled(*b, dir);
    if (v.ok() && b->stragglers.size() != b->entries.size()) __builtin_trap();
  }
  return 0;
}
