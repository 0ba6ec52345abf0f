#include "replica/batch.hpp"

#include <blake3.h>

#include <string>

#include "common/codec.hpp"

namespace rampart::replica {

Bytes encode_batch(const Batch& b) {
  Writer w;
  w.u32(static_cast<uint32_t>(b.requests.size()));
  for (const auto& r : b.requests) encode_request(w, r);
  return w.take();
}

Result<Batch> decode_batch(ByteView bytes) {
  Reader rd(bytes);
  Batch b;
  size_t n = rd.count(kMaxBatchRequests, kMinRequestSize);
  b.requests.reserve(n);
  for (size_t i = 0; i < n && !rd.failed(); ++i) b.requests.push_back(read_request(rd));
  if (auto st = rd.finish(); !st) return st.error();
  return b;
}

Hash32 batch_digest(ByteView encoded) {
  blake3_hasher h;
  blake3_hasher_init_derive_key(&h, "rampart batch digest v1");
  blake3_hasher_update(&h, encoded.data(), encoded.size());
  Hash32 out;
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}

Result<Batch> validate_batch(ByteView encoded, const ClientVerifier& v) {
  auto b = decode_batch(encoded);
  if (!b) return b.error();
  if (b->requests.empty()) return err("empty batch");
  for (size_t i = 0; i < b->requests.size(); ++i) {
    if (!verify_request(b->requests[i], v)) return err("bad signature on request " + std::to_string(i));
  }
  return b;
}

}  // namespace rampart::replica
