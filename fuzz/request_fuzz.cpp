// Client requests, batches, kv operations and executor snapshots are decoded from untrusted
// bytes: the decoders must never read out of bounds, never allocate from an unchecked length,
// and a decoded value must re-encode to exactly the input.
#include <cstddef>
#include <cstdint>

#include "app/kv/kv_store.hpp"
#include "app/kv/op.hpp"
#include "replica/batch.hpp"
#include "replica/executor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  ByteView in(data, size);
  if (auto r = replica::decode_request(in); r.ok()) {
    if (replica::encode_request(*r) != Bytes(in.begin(), in.end())) __builtin_trap();
  }
  // Replicas check batches in place; that reader must accept exactly what decode_batch does.
  size_t visited = 0;
  const bool in_place_ok = replica::for_each_request(in, [&](const replica::RequestView&) -> Status {
                             ++visited;
                             return {};
                           }).ok();
  if (in_place_ok != replica::decode_batch(in).ok()) __builtin_trap();
  if (auto b = replica::decode_batch(in); b.ok()) {
    if (visited != b->requests.size()) __builtin_trap();
    // A bundle re-encodes from its parts; a plain batch from its requests.
    if (replica::is_bundle(in)) {
      auto parts = replica::batch_parts(in);
      if (!parts.ok()) __builtin_trap();  // decode_batch accepted it
      std::vector<Bytes> copies;
      for (ByteView p : *parts) copies.emplace_back(p.begin(), p.end());
      if (replica::encode_bundle(copies) != Bytes(in.begin(), in.end())) __builtin_trap();
    } else if (replica::encode_batch(*b) != Bytes(in.begin(), in.end())) {
      __builtin_trap();
    }
    // Executing any decodable batch must not crash (malformed ops yield error results).
    app::kv::KvStore s;
    replica::Executor ex(s);
    ex.execute(1, in);
    ex.rollback(0);
  }
  if (auto op = app::kv::decode_op(in); op.ok()) {
    if (app::kv::encode_op(*op) != Bytes(in.begin(), in.end())) __builtin_trap();
  }
  (void)app::kv::decode_result(in);
  app::kv::KvStore s;
  replica::Executor ex(s);
  (void)ex.restore(in);
  return 0;
}
