#include "client/wallet_read.hpp"

#include "common/codec.hpp"

namespace rampart::client {
namespace w = app::wallet;

ReadRequest balance_read(const w::Account& a, uint64_t min_k) {
  ReadRequest r;
  r.min_k = min_k;
  r.op.type = w::OpType::balance;
  r.op.account = a;
  return r;
}

ReadRequest page_read(const std::optional<w::Account>& after, uint32_t limit, uint64_t min_k) {
  ReadRequest r;
  r.min_k = min_k;
  r.op.type = w::OpType::ledger;
  r.op.after = after;
  r.op.limit = limit;
  return r;
}

Bytes encode_read_request(const ReadRequest& r) {
  Writer wr;
  wr.u8(kReadVersion);
  wr.u64(r.min_k);
  wr.bytes(w::encode_op(r.op));
  return wr.take();
}

Result<ReadRequest> decode_read_request(ByteView b) {
  Reader r(b);
  const uint8_t version = r.u8();
  if (!r.failed() && version != kReadVersion) r.fail("unknown version " + std::to_string(version));
  ReadRequest out;
  out.min_k = r.u64();
  ByteView op = r.bytes_view(kMaxReadOp);
  if (auto st = r.finish(); !st) return err("read request: " + st.error().message);
  auto d = w::decode_op(op);
  if (!d) return err("read request: " + d.error().message);
  if (d->type != w::OpType::balance && d->type != w::OpType::ledger)
    return err("read request: only balance and ledger-page reads are served (transfers go to the replicas)");
  out.op = std::move(*d);
  return out;
}

Bytes encode_read_response(const ReadResponse& r) {
  Writer wr;
  wr.u8(kReadVersion);
  wr.u8(static_cast<uint8_t>(r.status));
  wr.u64(r.height);
  if (r.status == ReadStatus::ok) {
    wr.bytes(r.proof ? encode_state_proof(*r.proof) : Bytes{});
  } else {
    wr.str(r.reason.substr(0, kMaxReadReason));
  }
  return wr.take();
}

Result<ReadResponse> decode_read_response(ByteView b) {
  Reader r(b);
  const uint8_t version = r.u8();
  if (!r.failed() && version != kReadVersion) r.fail("unknown version " + std::to_string(version));
  const uint8_t status = r.u8();
  if (!r.failed() && status > static_cast<uint8_t>(ReadStatus::refused)) r.fail("unknown status " + std::to_string(status));
  ReadResponse out;
  out.status = static_cast<ReadStatus>(status);
  out.height = r.u64();
  ByteView body = r.bytes_view(out.status == ReadStatus::ok ? kMaxReadResponse : kMaxReadReason);
  if (auto st = r.finish(); !st) return err("read response: " + st.error().message);
  if (out.status != ReadStatus::ok) {
    out.reason.assign(reinterpret_cast<const char*>(body.data()), body.size());
    return out;
  }
  auto p = decode_state_proof(body);
  if (!p) return err("read response: " + p.error().message);
  out.proof = std::move(*p);
  return out;
}

Result<ProvenRead> verify_read(const ReadRequest& req, const ReadResponse& resp, const crypto::ThresholdVerifier& group) {
  switch (resp.status) {
    case ReadStatus::ok:
      break;
    case ReadStatus::behind:
      return err("the server's ledger ends at block " + std::to_string(resp.height) + ", below the height asked for (" +
                 std::to_string(req.min_k) + "): " + resp.reason);
    case ReadStatus::refused:
      return err("the server refused the read: " + resp.reason);
  }
  if (!resp.proof) return err("read response: ok without a proof");
  const StateProof& p = *resp.proof;
  // Checked before the proof: an old block with a valid signature is a true answer about the
  // past, and only the height tells it from a fresh one.
  if (p.k < req.min_k)
    return err("stale answer: the proof is for block " + std::to_string(p.k) + ", below the height asked for (" +
               std::to_string(req.min_k) + ")");
  ProvenRead out;
  out.k = p.k;
  out.view = p.view;
  if (req.op.type == w::OpType::balance) {
    auto e = verify_balance_proof(p, req.op.account, group);
    if (!e) return e.error();
    out.entries.push_back(*e);
  } else if (req.op.type == w::OpType::ledger) {
    auto page = verify_page_proof(p, req.op.after, req.op.limit, group);
    if (!page) return page.error();
    out.entries = std::move(page->entries);
    out.more = page->more;
  } else {
    return err("not a read");
  }
  out.proof = p;
  return out;
}

}  // namespace rampart::client
