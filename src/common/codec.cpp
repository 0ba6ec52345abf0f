#include "common/codec.hpp"

namespace rampart {

void Writer::patch_u16(size_t at, uint16_t v) {
  if (at + 2 > len_) return;
  if (endian_ == Endian::big) {
    buf_[at] = static_cast<uint8_t>(v >> 8);
    buf_[at + 1] = static_cast<uint8_t>(v);
  } else {
    buf_[at] = static_cast<uint8_t>(v);
    buf_[at + 1] = static_cast<uint8_t>(v >> 8);
  }
}

void Reader::fail(std::string why) {
  if (!failed_) {
    failed_ = true;
    why_ = std::move(why) + " at offset " + std::to_string(pos_);
  }
}

uint64_t Reader::get_int(int width) {
  if (failed_) return 0;
  if (buf_.size() - pos_ < static_cast<size_t>(width)) {
    fail("truncated integer");
    return 0;
  }
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) {
    int shift = endian_ == Endian::little ? 8 * i : 8 * (width - 1 - i);
    v |= static_cast<uint64_t>(buf_[pos_ + i]) << shift;
  }
  pos_ += width;
  return v;
}

bool Reader::boolean() {
  uint8_t b = u8();
  if (b > 1) fail("bad boolean");
  return b == 1;
}

ByteView Reader::raw(size_t n) {
  if (failed_) return {};
  if (buf_.size() - pos_ < n) {
    fail("truncated field of " + std::to_string(n) + " bytes");
    return {};
  }
  ByteView v = buf_.subspan(pos_, n);
  pos_ += n;
  return v;
}

ByteView Reader::bytes_view(size_t max_len) {
  uint32_t n = u32();
  if (failed_) return {};
  if (n > max_len) {
    fail("length " + std::to_string(n) + " above limit " + std::to_string(max_len));
    return {};
  }
  return raw(n);
}

Bytes Reader::bytes(size_t max_len) {
  ByteView v = bytes_view(max_len);
  return Bytes(v.begin(), v.end());
}

std::string Reader::str(size_t max_len) { return to_string(bytes_view(max_len)); }

size_t Reader::count(size_t max_count, size_t min_elem_size) {
  uint32_t n = u32();
  if (failed_) return 0;
  if (n > max_count) {
    fail("count " + std::to_string(n) + " above limit " + std::to_string(max_count));
    return 0;
  }
  if (min_elem_size && n > (buf_.size() - pos_) / min_elem_size) {
    fail("count " + std::to_string(n) + " exceeds remaining input");
    return 0;
  }
  return n;
}

Status Reader::status() const {
  if (failed_) return err(why_);
  return {};
}

Status Reader::finish() const {
  if (failed_) return err(why_);
  if (pos_ != buf_.size()) return err(std::to_string(buf_.size() - pos_) + " trailing bytes");
  return {};
}

}  // namespace rampart
