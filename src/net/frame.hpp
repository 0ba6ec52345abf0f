#pragma once
// Length-prefixed frames: u32 little-endian payload length, then the payload. The length is
// checked against a hard maximum before anything is buffered for it, and buffers grow only
// with bytes actually received, so a peer that announces a huge frame and sends nothing costs
// nothing.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/channel.hpp"

namespace rampart::net {

constexpr size_t kFrameHeaderBytes = 4;
constexpr size_t kDefaultMaxFrame = 16u << 20;  // 16 MiB

// Appends header + payload to `out`.
void append_frame(Bytes& out, ByteView payload);
// Appends `plaintext` sealed on `ch` (its next message) as one frame; on failure (the channel's
// counter is exhausted) `out` is left as it was.
Status append_sealed_frame(crypto::Channel& ch, ByteView plaintext, Bytes& out);
// Walks whole frames laid end to end in `bytes` (a client-channel record), handing each payload
// to on_frame until it returns false. Fails on a frame above max_frame or a truncated one; the
// frames before it were handed over.
Status for_each_frame(ByteView bytes, size_t max_frame, const std::function<bool(ByteView)>& on_frame);
Bytes encode_frame(ByteView payload);
// Writes the header for a payload of `len` bytes at out[at..at+4).
void put_frame_header(Bytes& out, size_t at, uint32_t len);

class BufferBudget;  // net/limits.hpp

// Incremental decoder for a byte stream. Feed it whatever the socket returned; it yields the
// complete frames. After the first error (a length above the limit, or a partial frame that
// does not fit the budget) it stays failed.
//
// With a budget, the buffer a partial frame is assembled in is charged to it (by capacity, as
// it grows) and given back when the frame completes or the decoder goes away; a frame that
// arrives whole within one feed is never buffered and costs nothing.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_frame = kDefaultMaxFrame, std::shared_ptr<BufferBudget> budget = nullptr)
      : max_frame_(max_frame), budget_(std::move(budget)) {}
  ~FrameDecoder();
  FrameDecoder(FrameDecoder&& o) noexcept;
  FrameDecoder& operator=(FrameDecoder&& o) noexcept;
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Appends every frame completed by `data` to `frames`. Frames completed before an error in
  // the same call are still appended; the error is returned after them.
  Status feed(ByteView data, std::vector<Bytes>& frames);
  // The same, but each frame is handed to on_frame as a view, valid only during the call: a
  // frame that lies whole inside `data` is not copied at all, one split across calls is
  // assembled in the decoder's buffer first.
  Status feed(ByteView data, const std::function<void(ByteView)>& on_frame);

  // Lower (or raise) the limit for the frames that follow, e.g. after a handshake.
  void set_max_frame(size_t max_frame) { max_frame_ = max_frame; }
  size_t max_frame() const { return max_frame_; }
  bool failed() const { return failed_; }
  // The failure was the budget, not the stream.
  bool over_budget() const { return over_budget_; }
  // Bytes of an incomplete frame (header or payload) held so far.
  size_t buffered() const { return in_body_ ? kFrameHeaderBytes + body_.size() : header_fill_; }

 private:
  size_t max_frame_;
  uint8_t header_[kFrameHeaderBytes]{};
  size_t header_fill_ = 0;
  bool in_body_ = false;
  uint32_t body_len_ = 0;
  Bytes body_;
  bool failed_ = false;
  bool over_budget_ = false;
  std::shared_ptr<BufferBudget> budget_;
  size_t charged_ = 0;  // bytes of body_'s capacity taken from budget_

  // Makes room in body_ for `need` bytes (growing geometrically up to the frame's length);
  // false if the budget cannot cover it.
  bool reserve_body(size_t need);
  void release_body();

  template <class Whole, class Assembled>
  Status run(ByteView data, Whole&& whole, Assembled&& assembled);
};

}  // namespace rampart::net
