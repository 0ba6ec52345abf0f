// Fuzzes what an unauthenticated peer controls: the frame decoder (fed in input-chosen chunk
// sizes, checked against a one-shot decode), then every decoded frame as a handshake Hello
// (decode, re-encode, and a full handshake finish) and as a sealed channel message.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "crypto/channel.hpp"
#include "net/frame.hpp"
#include "net/limits.hpp"

using namespace rampart;

namespace {

struct Fixture {
  crypto::ChannelKeypair mine = *crypto::ChannelKeypair::from_seed(Bytes(32, 1));
  crypto::ChannelKeypair peer = *crypto::ChannelKeypair::from_seed(Bytes(32, 2));
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fx;
  if (size < 2) return 0;
  size_t limit = 1 + data[0] * 4;  // small limits so oversize paths are reached
  size_t chunk = 1 + data[1] % 64;
  ByteView input(data + 2, size - 2);

  net::FrameDecoder chunked(limit);
  std::vector<Bytes> frames;
  bool chunk_ok = true;
  for (size_t pos = 0; pos < input.size() && chunk_ok; pos += chunk) {
    size_t n = input.size() - pos < chunk ? input.size() - pos : chunk;
    chunk_ok = chunked.feed(input.subspan(pos, n), frames).ok();
  }
  net::FrameDecoder whole(limit);
  std::vector<Bytes> frames2;
  bool whole_ok = whole.feed(input, frames2).ok();
  if (chunk_ok != whole_ok || frames != frames2) __builtin_trap();
  // The zero-copy feed (views) must yield exactly the same frames in the same chunks.
  net::FrameDecoder viewing(limit);
  std::vector<Bytes> frames3;
  bool view_ok = true;
  for (size_t pos = 0; pos < input.size() && view_ok; pos += chunk) {
    size_t n = input.size() - pos < chunk ? input.size() - pos : chunk;
    view_ok = viewing.feed(input.subspan(pos, n), [&](ByteView f) { frames3.emplace_back(f.begin(), f.end()); }).ok();
  }
  if (view_ok != chunk_ok || frames3 != frames) __builtin_trap();

  // With a budget for partial frames: never above it, the same frames up to the point where
  // it runs out, and everything given back when the decoder goes.
  auto budget = std::make_shared<net::BufferBudget>(1 + data[1] * 3, nullptr);
  {
    net::FrameDecoder budgeted(limit, budget);
    std::vector<Bytes> frames4;
    bool ok = true;
    for (size_t pos = 0; pos < input.size() && ok; pos += chunk) {
      size_t n = input.size() - pos < chunk ? input.size() - pos : chunk;
      ok = budgeted.feed(input.subspan(pos, n), frames4).ok();
      if (budget->used() > budget->limit()) __builtin_trap();
    }
    if (ok && (frames4 != frames || !chunk_ok)) __builtin_trap();
    if (!ok && !budgeted.over_budget() && chunk_ok) __builtin_trap();
    if (frames4.size() > frames.size() || !std::equal(frames4.begin(), frames4.end(), frames.begin())) __builtin_trap();
  }
  if (budget->used() != 0) __builtin_trap();

  size_t total = chunked.buffered();
  for (auto& f : frames) {
    if (f.size() > limit) __builtin_trap();
    total += net::kFrameHeaderBytes + f.size();
  }
  if (total > input.size()) __builtin_trap();

  for (auto& f : frames) {
    auto h = crypto::decode_hello(f);
    if (h.ok() && crypto::encode_hello(*h) != f) __builtin_trap();
    crypto::Handshake hs(crypto::HandshakeRole::responder, 1, fx.mine);
    auto ch = hs.finish(f, fx.peer.pk);
    if (ch.ok()) {
      // A forged first message must not authenticate.
      if (ch->open(f).ok()) __builtin_trap();
    }
  }
  return 0;
}
