#include "replica/client_wire.hpp"

#include "common/codec.hpp"
#include "broker/directory.hpp"
#include "ledger/block.hpp"
#include "replica/executor.hpp"

namespace rampart::client {

replica::ClientId client_id_of(ByteView pk) { return broker::principal_of(pk); }

Bytes reply_leaf(replica::ClientId client, uint64_t seq, uint8_t kind, ByteView result) {
  return replica::reply_leaf(client, seq, kind, result);
}

void append_reply_leaf(Writer& w, replica::ClientId client, uint64_t seq, uint8_t kind, ByteView result) {
  replica::append_reply_leaf(w, client, seq, kind, result);
}

Bytes encode_request_frame(const replica::Request& r) {
  Writer w;
  w.u8(kTagRequest);
  replica::encode_request(w, r);
  return w.take();
}

Hash32 reply_block_hash(uint64_t k, const Hash32& batch_digest, const Hash32& prev_hash, const Hash32& state_digest,
                        const Hash32& results_root) {
  ledger::Block b;
  b.k = k;
  b.batch_digest = batch_digest;
  b.prev_hash = prev_hash;
  b.state_digest = state_digest;
  b.results_root = results_root;
  return ledger::block_hash(b);
}

Bytes encode_reply(const Reply& r) {
  Writer w;
  w.u8(kTagReply);
  w.u64(r.k);
  w.u64(r.view);
  w.u64(r.client);
  w.u64(r.seq);
  w.u8(r.kind);
  w.bytes(r.result);
  w.bytes(r.proof);
  w.fixed(r.results_root);
  w.fixed(r.batch_digest);
  w.fixed(r.prev_hash);
  w.fixed(r.state_digest);
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

namespace {
// The body of a REPLY after its tag; failures are left in rd.
ReplyView read_reply(Reader& rd) {
  ReplyView v;
  v.k = rd.u64();
  v.view = rd.u64();
  v.client = rd.u64();
  v.seq = rd.u64();
  v.kind = rd.u8();
  v.result = rd.bytes_view(kMaxResult);
  v.proof = rd.bytes_view(8 + 1 + 32 * 32 + 1);
  v.results_root = rd.fixed<32>();
  v.batch_digest = rd.fixed<32>();
  v.prev_hash = rd.fixed<32>();
  v.state_digest = rd.fixed<32>();
  v.group_sig = rd.bytes_view(kMaxGroupSig);
  return v;
}
}  // namespace

Result<ReplyView> decode_reply_view(ByteView frame) {
  Reader rd(frame);
  if (rd.u8() != kTagReply) rd.fail("not a reply");
  ReplyView v = read_reply(rd);
  RAMPART_TRY(rd.finish());
  return v;
}

Result<Message> decode_message(ByteView frame) {
  Reader rd(frame);
  Message m;
  m.tag = rd.u8();
  switch (m.tag) {
    case kTagRequest:
      m.request = replica::read_request(rd);
      break;
    case kTagReply: {
      const ReplyView v = read_reply(rd);
      m.reply.k = v.k;
      m.reply.view = v.view;
      m.reply.client = v.client;
      m.reply.seq = v.seq;
      m.reply.kind = v.kind;
      m.reply.result.assign(v.result.begin(), v.result.end());
      m.reply.proof.assign(v.proof.begin(), v.proof.end());
      m.reply.results_root = v.results_root;
      m.reply.batch_digest = v.batch_digest;
      m.reply.prev_hash = v.prev_hash;
      m.reply.state_digest = v.state_digest;
      m.reply.group_sig.assign(v.group_sig.begin(), v.group_sig.end());
      break;
    }
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
