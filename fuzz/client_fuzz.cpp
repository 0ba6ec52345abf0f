// Fuzzes what a replica's client port and a client read from the network: client-port
// messages (request, reply, reject). A decoded message must re-encode to exactly the input,
// and the in-place reply reader must accept exactly the replies decode_message accepts, with
// the same fields.
#include <cstddef>
#include <cstdint>

#include "replica/client_wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  ByteView in(data, size);
  auto m = client::decode_message(in);
  auto v = client::decode_reply_view(in);
  if (v.ok() != (m.ok() && m->tag == client::kTagReply)) __builtin_trap();
  if (!m.ok()) return 0;
  Bytes again;
  switch (m->tag) {
    case client::kTagRequest:
      again = client::encode_request_frame(m->request);
      break;
    case client::kTagReply: {
      again = client::encode_reply(m->reply);
      const auto& r = m->reply;
      if (v->k != r.k || v->client != r.client || v->seq != r.seq || v->kind != r.kind ||
          Bytes(v->result.begin(), v->result.end()) != r.result || Bytes(v->proof.begin(), v->proof.end()) != r.proof ||
          v->results_root != r.results_root || Bytes(v->group_sig.begin(), v->group_sig.end()) != r.group_sig)
        __builtin_trap();
      break;
    }
    case client::kTagReject:
      again = client::encode_reject(m->reject);
      break;
    default:
      __builtin_trap();  // decode_message accepts only the three tags
  }
  if (again != Bytes(in.begin(), in.end())) __builtin_trap();
  return 0;
}
