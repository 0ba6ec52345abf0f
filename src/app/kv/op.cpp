#include "app/kv/op.hpp"

#include "common/codec.hpp"

namespace rampart::app::kv {

Bytes encode_op(const Op& op) {
  Writer w;
  w.u8(static_cast<uint8_t>(op.type));
  w.bytes(op.key);
  if (op.type == OpType::put) w.bytes(op.value);
  return w.take();
}

Result<Op> decode_op(ByteView b) {
  Reader r(b);
  Op op;
  uint8_t t = r.u8();
  if (!r.failed() && (t < 1 || t > 3)) r.fail("unknown kv operation");
  op.type = static_cast<OpType>(t);
  op.key = r.bytes(kMaxKey);
  if (op.type == OpType::put) op.value = r.bytes(kMaxValue);
  if (auto st = r.finish(); !st) return st.error();
  return op;
}

Bytes encode_result(const OpResult& res) {
  Writer w;
  w.u8(static_cast<uint8_t>(res.code));
  w.bytes(res.value);
  return w.take();
}

Result<OpResult> decode_result(ByteView b) {
  Reader r(b);
  OpResult res;
  uint8_t c = r.u8();
  if (!r.failed() && c > 2) r.fail("unknown kv result code");
  res.code = static_cast<Code>(c);
  res.value = r.bytes(kMaxValue);
  if (auto st = r.finish(); !st) return st.error();
  return res;
}

}  // namespace rampart::app::kv
