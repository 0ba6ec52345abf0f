#include "replica/peer_msg.hpp"

#include "common/codec.hpp"

namespace rampart::replica {

const metrics::Declared kBadPeerMsgs{"rampart_bad_peer_messages_total", "malformed node-level peer messages"};

Bytes wrap(PeerTag tag, ByteView body) {
  Bytes out;
  out.reserve(body.size() + 1);
  out.push_back(static_cast<uint8_t>(tag));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes encode_share(const ShareMsg& s, PeerTag tag) {
  Writer w;
  w.u8(static_cast<uint8_t>(tag));
  w.u64(s.k);
  w.u64(s.view);
  w.fixed(s.hash);
  w.bytes(s.share);
  return w.take();
}

Result<ShareMsg> decode_share(ByteView body) {
  Reader r(body);
  ShareMsg s;
  s.k = r.u64();
  s.view = r.u64();
  s.hash = r.fixed<32>();
  s.share = r.bytes(1024);
  RAMPART_TRY(r.finish());
  return s;
}

Bytes encode_state_req(uint64_t from, uint64_t want_k) {
  Writer w;
  w.u8(static_cast<uint8_t>(PeerTag::state_req));
  w.u64(from);
  w.u64(want_k);
  return w.take();
}

Result<std::pair<uint64_t, uint64_t>> decode_state_req(ByteView body) {
  Reader r(body);
  uint64_t from = r.u64();
  uint64_t want = r.u64();
  RAMPART_TRY(r.finish());
  return std::make_pair(from, want);
}

Bytes encode_state_resp(const StateResp& s) {
  Writer w;
  w.u8(static_cast<uint8_t>(PeerTag::state_resp));
  w.bytes(ledger::encode_checkpoint(s.checkpoint));
  w.bytes(s.snapshot);
  w.u32(static_cast<uint32_t>(s.blocks.size()));
  for (size_t i = 0; i < s.blocks.size(); ++i) {
    w.bytes(ledger::encode_block(s.blocks[i]));
    w.bytes(s.batches[i]);
  }
  return w.take();
}

Result<StateResp> decode_state_resp(ByteView body) {
  Reader r(body);
  StateResp s;
  ByteView cp = r.bytes_view(1 << 20);
  s.snapshot = r.bytes(kMaxSnapshot);
  size_t n = r.count(kMaxStateBlocks, 8);
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    auto b = ledger::decode_block(r.bytes_view(1 << 20));
    if (!b) return err("state response: " + b.error().message);
    s.blocks.push_back(std::move(*b));
    s.batches.push_back(r.bytes(64u << 20));
  }
  RAMPART_TRY(r.finish());
  auto c = ledger::decode_checkpoint(cp);
  if (!c) return err("state response: " + c.error().message);
  s.checkpoint = std::move(*c);
  return s;
}

namespace {
constexpr uint8_t kDurableChecked = 1, kDurableAsk = 2;
}

Bytes encode_durable(const DurableMsg& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(PeerTag::durable));
  w.u64(m.k);
  w.fixed(m.head);
  w.fixed(m.proof);
  w.u8(static_cast<uint8_t>((m.checked ? kDurableChecked : 0) | (m.ask ? kDurableAsk : 0)));
  return w.take();
}

Result<DurableMsg> decode_durable(ByteView body) {
  Reader r(body);
  DurableMsg m;
  m.k = r.u64();
  m.head = r.fixed<32>();
  m.proof = r.fixed<32>();
  const uint8_t flags = r.u8();
  RAMPART_TRY(r.finish());
  if (flags & ~(kDurableChecked | kDurableAsk)) return err("durable: unknown flags");
  m.checked = flags & kDurableChecked;
  m.ask = flags & kDurableAsk;
  return m;
}

Bytes encode_witness(const WitnessMsg& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(PeerTag::witness));
  w.u32(m.origin);
  w.fixed(m.digest);
  w.bytes(m.sig);
  return w.take();
}

Result<WitnessMsg> decode_witness(ByteView body) {
  Reader r(body);
  WitnessMsg m;
  m.origin = r.u32();
  m.digest = r.fixed<32>();
  m.sig = r.bytes(kMaxWitnessSig);
  RAMPART_TRY(r.finish());
  return m;
}

}  // namespace rampart::replica
