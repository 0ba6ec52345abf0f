#include "client/wire.hpp"

#include "common/codec.hpp"
#include "crypto/blake3.hpp"
#include "replica/executor.hpp"

namespace rampart::client {

replica::ClientId client_id_of(ByteView pk) {
  Hash32 h = crypto::blake3::hash(pk);
  uint64_t id = 0;
  for (int i = 7; i >= 0; --i) id = (id << 8) | h[static_cast<size_t>(i)];
  return id;
}

Bytes reply_leaf(replica::ClientId client, uint64_t seq, uint8_t kind, ByteView result) {
  return replica::reply_leaf(client, seq, kind, result);
}

Bytes encode_request_frame(const replica::Request& r) {
  Writer w;
  w.u8(kTagRequest);
  replica::encode_request(w, r);
  return w.take();
}

Bytes encode_reply(const Reply& r) {
  Writer w;
  w.u8(kTagReply);
  w.u64(r.k);
  w.u64(r.client);
  w.u64(r.seq);
  w.u8(r.kind);
  w.bytes(r.result);
  w.bytes(r.proof);
  w.fixed(r.results_root);
  w.bytes(r.group_sig);
  return w.take();
}

Bytes encode_reject(const Reject& r) {
  Writer w;
  w.u8(kTagReject);
  w.u64(r.client);
  w.u64(r.seq);
  w.str(r.reason);
  return w.take();
}

Result<Message> decode_message(ByteView frame) {
  Reader rd(frame);
  Message m;
  m.tag = rd.u8();
  switch (m.tag) {
    case kTagRequest:
      m.request = replica::read_request(rd);
      break;
    case kTagReply:
      m.reply.k = rd.u64();
      m.reply.client = rd.u64();
      m.reply.seq = rd.u64();
      m.reply.kind = rd.u8();
      m.reply.result = rd.bytes(kMaxResult);
      m.reply.proof = rd.bytes(8 + 1 + 32 * 32 + 1);
      m.reply.results_root = rd.fixed<32>();
      m.reply.group_sig = rd.bytes(kMaxGroupSig);
      break;
    case kTagReject:
      m.reject.client = rd.u64();
      m.reject.seq = rd.u64();
      m.reject.reason = rd.str(1024);
      break;
    default:
      rd.fail("unknown client message tag");
  }
  RAMPART_TRY(rd.finish());
  return m;
}

}  // namespace rampart::client
