#pragma once
// Bounds-checked binary codec used by every wire message.
//
// Writer appends fixed-width integers (little-endian by default, big-endian for the
// VoidPhone gossip API) and length-prefixed byte strings.
//
// Reader never reads past its buffer and never allocates from a length it has not checked
// against the bytes that remain. Errors are sticky: after the first failure every read
// returns a zero value and the error is reported once by finish(), so decoders stay
// straight-line code without a check after each field.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart {

enum class Endian { little, big };

class Writer {
 public:
  explicit Writer(Endian e = Endian::little) : endian_(e) {}

  void u8(uint8_t v) { *grow(1) = v; }
  void u16(uint16_t v) { put_int(v, 2); }
  void u32(uint32_t v) { put_int(v, 4); }
  void u64(uint64_t v) { put_int(v, 8); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void raw(ByteView b) {
    if (b.empty()) return;
    std::memcpy(grow(b.size()), b.data(), b.size());
  }
  template <size_t N>
  void fixed(const std::array<uint8_t, N>& a) { raw(ByteView(a)); }
  // u32 length prefix, then the bytes.
  void bytes(ByteView b) {
    u32(static_cast<uint32_t>(b.size()));
    raw(b);
  }
  void str(std::string_view s) { bytes(as_bytes(s)); }

  size_t size() const { return len_; }
  // Room for n bytes in all (allocated and zero-filled now), so appends up to n do not grow.
  void reserve(size_t n) {
    if (n > buf_.size()) buf_.resize(n);
  }
  ByteView data() const { return ByteView(buf_.data(), len_); }
  // Empty again, keeping the room (one Writer reused for many small encodings).
  void clear() { len_ = 0; }
  Bytes take() {
    buf_.resize(len_);
    len_ = 0;
    return std::move(buf_);
  }
  // Overwrite a u16 written earlier (for size fields that count the whole message).
  void patch_u16(size_t at, uint16_t v);

 private:
  // Room for n more bytes at the end; returns where they go. buf_ is kept at least len_ long
  // and grows by doubling, so appending is a compare and a store, not a vector::resize call
  // per field (that call and its zero fill were ~20% of encoding-heavy paths, by callgrind).
  uint8_t* grow(size_t n) {
    if (buf_.size() - len_ < n) buf_.resize(std::max(len_ + n, 2 * buf_.size() + 64));
    uint8_t* p = buf_.data() + len_;
    len_ += n;
    return p;
  }
  void put_int(uint64_t v, int width) {
    uint8_t* p = grow(static_cast<size_t>(width));
    if (endian_ == Endian::little) {
      for (int i = 0; i < width; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
    } else {
      for (int i = 0; i < width; ++i) p[i] = static_cast<uint8_t>(v >> (8 * (width - 1 - i)));
    }
  }
  Bytes buf_;  // [0, len_) written; the rest is room
  size_t len_ = 0;
  Endian endian_;
};

class Reader {
 public:
  explicit Reader(ByteView b, Endian e = Endian::little) : buf_(b), endian_(e) {}

  uint8_t u8() { return get<uint8_t>(); }
  uint16_t u16() { return get<uint16_t>(); }
  uint32_t u32() { return get<uint32_t>(); }
  uint64_t u64() { return get<uint64_t>(); }
  bool boolean();
  // A view into the buffer; valid as long as the buffer is.
  ByteView raw(size_t n);
  template <size_t N>
  std::array<uint8_t, N> fixed() {
    std::array<uint8_t, N> a{};
    ByteView v = raw(N);
    if (!v.empty()) std::memcpy(a.data(), v.data(), N);
    return a;
  }
  // u32 length prefix (at most max_len), then the bytes, copied.
  Bytes bytes(size_t max_len);
  ByteView bytes_view(size_t max_len);
  std::string str(size_t max_len);
  // A u32 element count for a list whose elements take at least min_elem_size bytes each on
  // the wire: rejects counts above max_count or above what the remaining bytes can hold, so a
  // caller may reserve() the result safely.
  size_t count(size_t max_count, size_t min_elem_size);

  size_t remaining() const { return failed_ ? 0 : buf_.size() - pos_; }
  size_t position() const { return pos_; }
  bool failed() const { return failed_; }
  // Mark the input bad with a reason of the decoder's own (the first reason is kept).
  void fail(std::string why);
  // Ok when no read failed and the whole buffer was consumed.
  Status finish() const;
  // Ok when no read failed; trailing bytes allowed.
  Status status() const;

 private:
  // Inline fast path for the common case (room left, no earlier error): decoders read several
  // integers per request, and the out-of-line byte loop was ~6% of a replica's execute path.
  template <class T>
  T get() {
    if (!failed_ && buf_.size() - pos_ >= sizeof(T)) [[likely]] {
      T v;
      std::memcpy(&v, buf_.data() + pos_, sizeof(T));
      pos_ += sizeof(T);
      if constexpr (sizeof(T) > 1) {
        if ((endian_ == Endian::little) != (std::endian::native == std::endian::little)) v = swap(v);
      }
      return v;
    }
    return static_cast<T>(get_int(static_cast<int>(sizeof(T))));
  }
  template <class T>
  static T swap(T v) {
    if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(v));
    if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(v));
    if constexpr (sizeof(T) == 8) return static_cast<T>(__builtin_bswap64(v));
  }
  uint64_t get_int(int width);
  ByteView buf_;
  size_t pos_ = 0;
  Endian endian_;
  bool failed_ = false;
  std::string why_;
};

}  // namespace rampart
