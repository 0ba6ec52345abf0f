#pragma once
// The key-value store's operations and results: a small bounds-checked binary codec.
//   op     = type u8 (1 put, 2 get, 3 delete) | key bytes | value bytes (put only)
//   result = code u8 (0 ok, 1 not found, 2 bad operation) | value bytes (get only)
#include <cstdint>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::app::kv {

inline constexpr size_t kMaxKey = 1024;
inline constexpr size_t kMaxValue = 60 * 1024;

enum class OpType : uint8_t { put = 1, get = 2, del = 3 };
enum class Code : uint8_t { ok = 0, not_found = 1, bad_op = 2 };

struct Op {
  OpType type = OpType::get;
  Bytes key;
  Bytes value;  // put only
  bool operator==(const Op&) const = default;
};

struct OpResult {
  Code code = Code::ok;
  Bytes value;  // get only
  bool operator==(const OpResult&) const = default;
};

Bytes encode_op(const Op& op);
Result<Op> decode_op(ByteView b);
Bytes encode_result(const OpResult& r);
Result<OpResult> decode_result(ByteView b);

inline Op put(std::string_view k, std::string_view v) { return {OpType::put, to_bytes(k), to_bytes(v)}; }
inline Op get(std::string_view k) { return {OpType::get, to_bytes(k), {}}; }
inline Op del(std::string_view k) { return {OpType::del, to_bytes(k), {}}; }

}  // namespace rampart::app::kv
