#include "gossip/api_message.hpp"

#include <string>

#include "common/codec.hpp"

namespace rampart::gossip {
namespace {

Result<Bytes> finish(Writer& w) {
  if (w.size() > kMaxApiMessage) return err("gossip API message of " + std::to_string(w.size()) + " bytes exceeds 65535");
  w.patch_u16(0, static_cast<uint16_t>(w.size()));
  return w.take();
}

}  // namespace

Result<Bytes> encode_api(const ApiMessage& m) {
  Writer w(Endian::big);
  w.u16(0);  // size, patched below
  if (auto* a = std::get_if<Announce>(&m)) {
    w.u16(kAnnounce);
    w.u8(a->ttl);
    w.u8(0);
    w.u16(a->data_type);
    w.raw(a->data);
  } else if (auto* n = std::get_if<Notify>(&m)) {
    w.u16(kNotify);
    w.u16(0);
    w.u16(n->data_type);
  } else if (auto* n = std::get_if<Notification>(&m)) {
    w.u16(kNotification);
    w.u16(n->message_id);
    w.u16(n->data_type);
    w.raw(n->data);
  } else {
    auto& v = std::get<Validation>(m);
    w.u16(kValidation);
    w.u16(v.message_id);
    w.u16(v.valid ? 1 : 0);
  }
  return finish(w);
}

Result<ApiMessage> decode_api(ByteView message) {
  if (message.size() < kApiHeaderBytes)
    return err("gossip API message truncated: " + std::to_string(message.size()) + " bytes, header needs 4");
  Reader r(message, Endian::big);
  uint16_t size = r.u16();
  uint16_t type = r.u16();
  if (size != message.size())
    return err("gossip API size field says " + std::to_string(size) + " bytes, message has " +
               std::to_string(message.size()));
  auto exact = [&](const char* name) -> Status {
    if (size != 8) return err(std::string("gossip API ") + name + " must be 8 bytes, size says " + std::to_string(size));
    return {};
  };
  switch (type) {
    case kAnnounce: {
      if (size < 8) return err("gossip API ANNOUNCE truncated: " + std::to_string(size) + " bytes, needs at least 8");
      Announce a;
      a.ttl = r.u8();
      r.u8();  // reserved
      a.data_type = r.u16();
      ByteView d = r.raw(r.remaining());
      a.data.assign(d.begin(), d.end());
      return ApiMessage(std::move(a));
    }
    case kNotify: {
      RAMPART_TRY(exact("NOTIFY"));
      r.u16();  // reserved
      return ApiMessage(Notify{r.u16()});
    }
    case kNotification: {
      if (size < 8) return err("gossip API NOTIFICATION truncated: " + std::to_string(size) + " bytes, needs at least 8");
      Notification n;
      n.message_id = r.u16();
      n.data_type = r.u16();
      ByteView d = r.raw(r.remaining());
      n.data.assign(d.begin(), d.end());
      return ApiMessage(std::move(n));
    }
    case kValidation: {
      RAMPART_TRY(exact("VALIDATION"));
      Validation v;
      v.message_id = r.u16();
      v.valid = (r.u16() & 1) != 0;  // the upper 15 bits are reserved
      return ApiMessage(v);
    }
    default:
      return err("gossip API message of unknown type " + std::to_string(type));
  }
}

Status ApiStreamDecoder::feed(ByteView data, const std::function<bool(ByteView)>& on_message) {
  if (failed_) return err("gossip API stream already failed");
  while (!data.empty()) {
    // Messages lying whole in `data` are handed over in place; only a split one is buffered.
    if (buf_.empty() && data.size() >= kApiHeaderBytes) {
      size_t size = (size_t(data[0]) << 8) | data[1];
      if (size < kApiHeaderBytes) {
        failed_ = true;
        return err("gossip API size field " + std::to_string(size) + " is below the 4-byte header");
      }
      if (data.size() >= size) {
        if (!on_message(data.first(size))) return {};
        data = data.subspan(size);
        continue;
      }
    }
    // Assemble the header first, then the body, never past the message's end.
    size_t want = kApiHeaderBytes;
    if (buf_.size() >= kApiHeaderBytes) want = (size_t(buf_[0]) << 8) | buf_[1];
    size_t take = std::min(want - buf_.size(), data.size());
    buf_.insert(buf_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (buf_.size() == kApiHeaderBytes) {
      size_t size = (size_t(buf_[0]) << 8) | buf_[1];
      if (size < kApiHeaderBytes) {
        failed_ = true;
        return err("gossip API size field " + std::to_string(size) + " is below the 4-byte header");
      }
    }
    if (buf_.size() >= kApiHeaderBytes && buf_.size() == ((size_t(buf_[0]) << 8) | buf_[1])) {
      Bytes msg = std::move(buf_);
      buf_.clear();
      if (!on_message(msg)) return {};
    }
  }
  return {};
}

}  // namespace rampart::gossip
