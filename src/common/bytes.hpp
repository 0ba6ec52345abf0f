#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rampart {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using Hash32 = std::array<uint8_t, 32>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string to_string(ByteView b) { return std::string(b.begin(), b.end()); }

std::string to_hex(ByteView b);
// Returns false (and leaves out unspecified) on odd length or a non-hex digit.
bool from_hex(std::string_view hex, Bytes& out);

// Constant-time comparison for secrets and MACs.
bool equal_ct(ByteView a, ByteView b);

}  // namespace rampart
