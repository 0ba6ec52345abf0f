#pragma once
// The GOSSIP API messages of the VoidPhone specification (DESIGN.md §3.5), byte for byte.
// Every message starts with `size u16 | type u16`, big-endian, where size counts the whole
// message including these 4 bytes:
//   500 ANNOUNCE      ttl u8 | reserved u8 | data type u16 | data
//   501 NOTIFY        reserved u16 | data type u16
//   502 NOTIFICATION  message id u16 | data type u16 | data
//   503 VALIDATION    message id u16 | reserved 15 bits | V bit (least significant)
// Reserved fields are written as zero and ignored when read (the specification reserves them).
#include <cstdint>
#include <functional>
#include <variant>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::gossip {

inline constexpr uint16_t kAnnounce = 500;
inline constexpr uint16_t kNotify = 501;
inline constexpr uint16_t kNotification = 502;
inline constexpr uint16_t kValidation = 503;

inline constexpr size_t kApiHeaderBytes = 4;
inline constexpr size_t kMaxApiMessage = 65535;  // what a u16 size can say
// ANNOUNCE and NOTIFICATION both spend 8 bytes before the data.
inline constexpr size_t kMaxData = kMaxApiMessage - 8;

struct Announce {
  uint8_t ttl = 0;
  uint16_t data_type = 0;
  Bytes data;
  bool operator==(const Announce&) const = default;
};
struct Notify {
  uint16_t data_type = 0;
  bool operator==(const Notify&) const = default;
};
struct Notification {
  uint16_t message_id = 0;
  uint16_t data_type = 0;
  Bytes data;
  bool operator==(const Notification&) const = default;
};
struct Validation {
  uint16_t message_id = 0;
  bool valid = false;
  bool operator==(const Validation&) const = default;
};
using ApiMessage = std::variant<Announce, Notify, Notification, Validation>;

// Encoders fail only when the data does not fit a u16 size (above kMaxData bytes).
Result<Bytes> encode_api(const ApiMessage& m);

// One whole message, header included. Strict: the size field must equal the bytes given, the
// type must be one of 500-503, and NOTIFY and VALIDATION must be exactly 8 bytes. The error
// says what was wrong.
Result<ApiMessage> decode_api(ByteView message);

// Splits a TCP byte stream into whole messages by their size field. A size below the 4-byte
// header is an error (the stream cannot be resynchronised); the decoder then stays failed.
// Buffers at most one message (<= 65535 bytes).
class ApiStreamDecoder {
 public:
  // Hands every message completed by `data` to on_message (a view valid during the call);
  // stops at the first error, or as soon as on_message returns false.
  Status feed(ByteView data, const std::function<bool(ByteView message)>& on_message);
  bool failed() const { return failed_; }
  size_t buffered() const { return buf_.size(); }

 private:
  Bytes buf_;
  bool failed_ = false;
};

}  // namespace rampart::gossip
