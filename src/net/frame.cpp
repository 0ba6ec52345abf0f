#include "net/frame.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "net/limits.hpp"

namespace rampart::net {

void put_frame_header(Bytes& out, size_t at, uint32_t len) {
  for (size_t i = 0; i < kFrameHeaderBytes; ++i) out[at + i] = static_cast<uint8_t>(len >> (8 * i));
}

void append_frame(Bytes& out, ByteView payload) {
  size_t at = out.size();
  out.resize(at + kFrameHeaderBytes);
  put_frame_header(out, at, static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
}

Status append_sealed_frame(crypto::Channel& ch, ByteView plaintext, Bytes& out) {
  const size_t at = out.size();
  out.resize(at + kFrameHeaderBytes);
  if (auto st = ch.seal_into(plaintext, out); !st) {
    out.resize(at);
    return st;
  }
  put_frame_header(out, at, static_cast<uint32_t>(out.size() - at - kFrameHeaderBytes));
  return {};
}

Status for_each_frame(ByteView bytes, size_t max_frame, const std::function<bool(ByteView)>& on_frame) {
  size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < kFrameHeaderBytes) return err("truncated frame header in a record");
    uint32_t len = 0;
    for (size_t i = 0; i < kFrameHeaderBytes; ++i) len |= uint32_t{bytes[at + i]} << (8 * i);
    at += kFrameHeaderBytes;
    if (len > max_frame) return err("frame of " + std::to_string(len) + " bytes in a record (limit " + std::to_string(max_frame) + ")");
    if (bytes.size() - at < len) return err("truncated frame in a record");
    if (!on_frame(bytes.subspan(at, len))) return {};
    at += len;
  }
  return {};
}

Bytes encode_frame(ByteView payload) {
  Bytes out;
  out.reserve(kFrameHeaderBytes + payload.size());
  append_frame(out, payload);
  return out;
}

FrameDecoder::~FrameDecoder() { release_body(); }

FrameDecoder::FrameDecoder(FrameDecoder&& o) noexcept
    : max_frame_(o.max_frame_),
      header_fill_(o.header_fill_),
      in_body_(o.in_body_),
      body_len_(o.body_len_),
      body_(std::move(o.body_)),
      failed_(o.failed_),
      over_budget_(o.over_budget_),
      budget_(std::move(o.budget_)),
      charged_(std::exchange(o.charged_, 0)) {
  std::copy_n(o.header_, kFrameHeaderBytes, header_);
}

FrameDecoder& FrameDecoder::operator=(FrameDecoder&& o) noexcept {
  if (this == &o) return *this;
  release_body();
  max_frame_ = o.max_frame_;
  std::copy_n(o.header_, kFrameHeaderBytes, header_);
  header_fill_ = o.header_fill_;
  in_body_ = o.in_body_;
  body_len_ = o.body_len_;
  body_ = std::move(o.body_);
  failed_ = o.failed_;
  over_budget_ = o.over_budget_;
  budget_ = std::move(o.budget_);
  charged_ = std::exchange(o.charged_, 0);
  return *this;
}

bool FrameDecoder::reserve_body(size_t need) {
  if (need <= body_.capacity()) return true;
  size_t cap = std::max(need, std::min<size_t>(body_len_, 2 * body_.capacity()));
  if (budget_ && cap > charged_) {
    if (!budget_->take(cap - charged_)) return false;
    charged_ = cap;
  }
  body_.reserve(cap);
  return true;
}

void FrameDecoder::release_body() {
  body_ = Bytes();
  if (budget_ && charged_) budget_->give(charged_);
  charged_ = 0;
}

// One parser for both feeds: `whole(view)` gets a frame lying entirely inside `data`,
// `assembled(bytes&&)` one completed in body_ from several calls.
template <class Whole, class Assembled>
Status FrameDecoder::run(ByteView data, Whole&& whole, Assembled&& assembled) {
  if (failed_) return err("frame stream already failed");
  size_t pos = 0;
  while (pos < data.size()) {
    if (!in_body_) {
      size_t take = std::min(kFrameHeaderBytes - header_fill_, data.size() - pos);
      std::copy_n(data.begin() + pos, take, header_ + header_fill_);
      header_fill_ += take;
      pos += take;
      if (header_fill_ < kFrameHeaderBytes) break;
      uint32_t len = 0;
      for (size_t i = 0; i < kFrameHeaderBytes; ++i) len |= static_cast<uint32_t>(header_[i]) << (8 * i);
      header_fill_ = 0;
      if (len > max_frame_) {
        failed_ = true;
        return err("frame length " + std::to_string(len) + " above limit " + std::to_string(max_frame_));
      }
      if (data.size() - pos >= len) {
        whole(data.subspan(pos, len));
        pos += len;
        continue;
      }
      body_len_ = len;
      in_body_ = true;
      body_.clear();
    }
    size_t take = std::min<size_t>(body_len_ - body_.size(), data.size() - pos);
    // Room only for what is already here: the announced length is not trusted for allocation.
    if (!reserve_body(body_.size() + take)) {
      failed_ = over_budget_ = true;
      release_body();
      return err("partial frames of this listener hold their whole buffer budget");
    }
    body_.insert(body_.end(), data.begin() + pos, data.begin() + pos + take);
    pos += take;
    if (body_.size() == body_len_) {
      in_body_ = false;
      Bytes frame = std::move(body_);
      release_body();
      assembled(std::move(frame));
    }
  }
  return {};
}

Status FrameDecoder::feed(ByteView data, std::vector<Bytes>& frames) {
  return run(
      data, [&](ByteView f) { frames.emplace_back(f.begin(), f.end()); },
      [&](Bytes&& f) { frames.push_back(std::move(f)); });
}

Status FrameDecoder::feed(ByteView data, const std::function<void(ByteView)>& on_frame) {
  return run(data, on_frame, [&](Bytes&& f) { on_frame(f); });
}

}  // namespace rampart::net
