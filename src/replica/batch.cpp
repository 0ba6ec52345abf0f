#include "replica/batch.hpp"

#include <string>

#include "common/codec.hpp"
#include "replica/distilled.hpp"

namespace rampart::replica {

Bytes encode_batch(const Batch& b) {
  Writer w;
  w.u32(static_cast<uint32_t>(b.requests.size()));
  for (const auto& r : b.requests) encode_request(w, r);
  return w.take();
}

namespace {
Result<Batch> decode_plain(ByteView bytes) {
  Reader rd(bytes);
  Batch b;
  size_t n = rd.count(kMaxBatchRequests, kMinRequestSize);
  b.requests.reserve(n);
  for (size_t i = 0; i < n && !rd.failed(); ++i) b.requests.push_back(read_request(rd));
  if (auto st = rd.finish(); !st) return st.error();
  return b;
}
}  // namespace

size_t claimed_requests(ByteView plain) {
  if (is_distilled(plain)) return distilled_entries(plain);
  Reader rd(plain);
  return rd.u32();
}

bool is_bundle(ByteView encoded) {
  Reader rd(encoded);
  const uint32_t m = rd.u32();
  return !rd.failed() && (m == kBundleMarker || m == kSaltedBundleMarker);
}

Bytes encode_bundle(const std::vector<Bytes>& parts, uint64_t salt) {
  Writer w;
  w.u32(salt ? kSaltedBundleMarker : kBundleMarker);
  if (salt) w.u64(salt);
  w.u32(static_cast<uint32_t>(parts.size()));
  for (const auto& p : parts) w.bytes(p);
  return w.take();
}

Result<std::vector<ByteView>> batch_parts(ByteView encoded) {
  if (!is_bundle(encoded)) return std::vector<ByteView>{encoded};
  Reader rd(encoded);
  if (rd.u32() == kSaltedBundleMarker) rd.u64();
  const uint32_t n = rd.u32();
  if (!rd.failed() && (n == 0 || n > kMaxBundleParts)) rd.fail("bundle part count out of range");
  std::vector<ByteView> parts;
  size_t requests = 0;
  for (uint32_t i = 0; i < n && !rd.failed(); ++i) {
    ByteView part = rd.bytes_view(encoded.size());
    if (rd.failed()) break;
    if (is_bundle(part)) return err("bundle inside a bundle");
    requests += claimed_requests(part);
    if (requests > kMaxBatchRequests) return err("bundle holds more than kMaxBatchRequests requests");
    parts.push_back(part);
  }
  if (auto st = rd.finish(); !st) return st.error();
  return parts;
}

namespace {
Status for_each_plain(ByteView bytes, const std::function<Status(const RequestView&)>& fn) {
  Reader rd(bytes);
  size_t n = rd.count(kMaxBatchRequests, kMinRequestSize);
  for (size_t i = 0; i < n && !rd.failed(); ++i) {
    RequestView r = read_request_view(rd);
    if (rd.failed()) break;
    RAMPART_TRY(fn(r));
  }
  return rd.finish();
}
}  // namespace

Status for_each_request(ByteView encoded, const std::function<Status(const RequestView&)>& fn) {
  auto parts = batch_parts(encoded);
  if (!parts) return parts.error();
  if (parts->size() == 1 && parts->front().data() == encoded.data()) return for_each_plain(encoded, fn);
  for (ByteView p : *parts) {
    if (auto st = for_each_plain(p, fn); !st) return err("bundle part: " + st.error().message);
  }
  return {};
}

Result<Batch> decode_batch(ByteView bytes) {
  auto parts = batch_parts(bytes);
  if (!parts) return parts.error();
  if (parts->size() == 1 && parts->front().data() == bytes.data()) return decode_plain(bytes);
  Batch all;
  for (ByteView p : *parts) {
    auto b = decode_plain(p);
    if (!b) return err("bundle part: " + b.error().message);
    for (auto& r : b->requests) all.requests.push_back(std::move(r));
  }
  return all;
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
