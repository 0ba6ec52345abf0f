#include "app/wallet/op.hpp"

#include "common/codec.hpp"
#include "crypto/blake3.hpp"

namespace rampart::app::wallet {

const char* code_name(Code c) {
  switch (c) {
    case Code::ok: return "ok";
    case Code::malformed: return "malformed";
    case Code::bad_signature: return "bad_signature";
    case Code::replay: return "replay";
    case Code::nonce_gap: return "nonce_gap";
    case Code::insufficient_funds: return "insufficient_funds";
    case Code::overflow: return "overflow";
    case Code::bad_amount: return "bad_amount";
  }
  return "unknown";
}

namespace {
void put_leg(Writer& w, const Leg& l, bool with_sig) {
  w.fixed(l.from);
  w.fixed(l.to);
  w.u64(l.amount);
  w.u64(l.nonce);
  if (with_sig) w.fixed(l.sig);
}

Leg get_leg(Reader& r) {
  Leg l;
  l.from = r.fixed<32>();
  l.to = r.fixed<32>();
  l.amount = r.u64();
  l.nonce = r.u64();
  l.sig = r.fixed<64>();
  return l;
}
}  // namespace

Bytes encode_op(const Op& op) {
  Writer w;
  w.u8(static_cast<uint8_t>(op.type));
  switch (op.type) {
    case OpType::transfer:
      put_leg(w, op.legs.empty() ? Leg{} : op.legs.front(), true);
      break;
    case OpType::atomic:
      w.u16(static_cast<uint16_t>(op.legs.size()));
      for (const auto& l : op.legs) put_leg(w, l, true);
      break;
    case OpType::balance:
      w.fixed(op.account);
      break;
    case OpType::ledger:
      w.u8(op.after ? 1 : 0);
      if (op.after) w.fixed(*op.after);
      w.u32(op.limit);
      break;
  }
  return w.take();
}

Result<Op> decode_op(ByteView b) {
  Reader r(b);
  Op op;
  const uint8_t t = r.u8();
  if (r.failed()) return err("wallet operation: empty");
  switch (t) {
    case 1:
      op.type = OpType::transfer;
      op.legs.push_back(get_leg(r));
      break;
    case 2: {
      op.type = OpType::atomic;
      const uint16_t n = r.u16();
      if (!r.failed() && (n == 0 || n > kMaxLegs))
        r.fail("atomic transfer: " + std::to_string(n) + " legs (1.." + std::to_string(kMaxLegs) + ")");
      if (!r.failed() && r.remaining() < n * kLegBytes) r.fail("atomic transfer: shorter than its legs");
      for (size_t i = 0; i < n && !r.failed(); ++i) op.legs.push_back(get_leg(r));
      break;
    }
    case 3:
      op.type = OpType::balance;
      op.account = r.fixed<32>();
      break;
    case 4: {
      op.type = OpType::ledger;
      const uint8_t has = r.u8();
      if (!r.failed() && has > 1) r.fail("ledger page: has_after must be 0 or 1");
      if (has == 1) op.after = r.fixed<32>();
      op.limit = r.u32();
      if (!r.failed() && (op.limit == 0 || op.limit > kMaxPage))
        r.fail("ledger page: limit " + std::to_string(op.limit) + " (1.." + std::to_string(kMaxPage) + ")");
      break;
    }
    default:
      return err("wallet operation: unknown type " + std::to_string(t));
  }
  if (auto st = r.finish(); !st) return err("wallet operation: " + st.error().message);
  return op;
}

Bytes encode_result(const OpResult& res) {
  Writer w;
  w.u8(static_cast<uint8_t>(res.code));
  w.fixed(res.op_hash);
  w.str(res.reason.size() > kMaxReason ? res.reason.substr(0, kMaxReason) : res.reason);
  w.u32(static_cast<uint32_t>(res.entries.size()));
  for (const auto& e : res.entries) {
    w.fixed(e.account);
    w.u64(e.balance);
    w.u64(e.nonce);
  }
  w.u8(res.more ? 1 : 0);
  return w.take();
}

Result<OpResult> decode_result(ByteView b) {
  Reader r(b);
  OpResult res;
  const uint8_t c = r.u8();
  if (!r.failed() && c > kMaxCode) r.fail("unknown result code " + std::to_string(c));
  res.code = static_cast<Code>(c);
  res.op_hash = r.fixed<32>();
  res.reason = r.str(kMaxReason);
  const size_t n = r.count(kMaxEntries, 48);
  res.entries.reserve(n);
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    Entry e;
    e.account = r.fixed<32>();
    e.balance = r.u64();
    e.nonce = r.u64();
    res.entries.push_back(e);
  }
  const uint8_t more = r.u8();
  if (!r.failed() && more > 1) r.fail("more must be 0 or 1");
  res.more = more == 1;
  if (auto st = r.finish(); !st) return err("wallet result: " + st.error().message);
  return res;
}

Hash32 op_hash(ByteView op_bytes) { return crypto::blake3::derive_key("rampart/wallet/op/v1", op_bytes); }

Bytes signing_message(const std::vector<Leg>& legs) {
  Writer w;
  w.raw(as_bytes("rampart/wallet/transfer/v1"));
  w.u16(static_cast<uint16_t>(legs.size()));
  for (const auto& l : legs) put_leg(w, l, false);
  return w.take();
}

}  // namespace rampart::app::wallet
