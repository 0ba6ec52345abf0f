#include "replica/request.hpp"

#include <string_view>

namespace rampart::replica {

namespace {
constexpr std::string_view kDomain = "rampart/request/v1";
}

Bytes request_signing_bytes(ClientId client, uint64_t seq, ByteView payload) {
  Writer w;
  w.raw(as_bytes(kDomain));
  w.u64(client);
  w.u64(seq);
  w.bytes(payload);
  return w.take();
}

Request make_request(ClientId client, uint64_t seq, Bytes payload, const ClientSigner& signer) {
  Request r{client, seq, std::move(payload), {}};
  r.sig = signer.sign(request_signing_bytes(client, seq, r.payload));
  return r;
}

bool verify_request(const Request& r, const ClientVerifier& v) {
  return v.verify(r.client, request_signing_bytes(r.client, r.seq, r.payload), r.sig);
}

void encode_request(Writer& w, const Request& r) {
  w.u64(r.client);
  w.u64(r.seq);
  w.bytes(r.payload);
  w.bytes(r.sig);
}

Bytes encode_request(const Request& r) {
  Writer w;
  encode_request(w, r);
  return w.take();
}

RequestView read_request_view(Reader& rd) {
  RequestView r;
  r.client = rd.u64();
  r.seq = rd.u64();
  r.payload = rd.bytes_view(kMaxPayload);
  r.sig = rd.bytes_view(kMaxSignature);
  return r;
}

Request read_request(Reader& rd) {
  const RequestView v = read_request_view(rd);
  return Request{v.client, v.seq, Bytes(v.payload.begin(), v.payload.end()), Bytes(v.sig.begin(), v.sig.end())};
}

Result<Request> decode_request(ByteView b) {
  Reader rd(b);
  Request r = read_request(rd);
  if (auto st = rd.finish(); !st) return st.error();
  return r;
}

}  // namespace rampart::replica
