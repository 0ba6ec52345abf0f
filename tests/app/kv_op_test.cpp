#include <gtest/gtest.h>

#include "app/kv/op.hpp"
#include "common/codec.hpp"

using namespace rampart;
using namespace rampart::app::kv;

TEST(KvOp, RoundTrip) {
  for (const Op& op : {put("a", "1"), get("bb"), del("")}) {
    auto d = decode_op(encode_op(op));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(*d, op);
  }
  OpResult r{Code::not_found, to_bytes("x")};
  auto d = decode_result(encode_result(r));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, r);
}

TEST(KvOp, RejectsMalformed) {
  EXPECT_FALSE(decode_op({}).ok());
  Bytes unknown = encode_op(get("k"));
  unknown[0] = 9;
  EXPECT_FALSE(decode_op(unknown).ok());
  Bytes trailing = encode_op(get("k"));
  trailing.push_back(0);
  EXPECT_FALSE(decode_op(trailing).ok());
  Bytes truncated = encode_op(put("key", "value"));
  truncated.pop_back();
  EXPECT_FALSE(decode_op(truncated).ok());
  Writer w;  // key longer than the limit
  w.u8(2);
  w.bytes(Bytes(kMaxKey + 1, 'k'));
  EXPECT_FALSE(decode_op(w.data()).ok());
  Bytes bad_code = encode_result({Code::ok, {}});
  bad_code[0] = 3;
  EXPECT_FALSE(decode_result(bad_code).ok());
}
