// PoE wire messages (src/consensus/poe/messages.hpp) as any peer may send them: every decoder
// gets the input under small limits (so the batch, signature, signer-count and window bounds
// are reached), may not read out of bounds or allocate from an unchecked length, and whatever
// it accepts must respect those limits and re-encode to exactly the input. A VC-REQUEST's
// signed body must be the bytes on the wire after the type byte, and vc_body() of the decoded
// fields; the requests inside an NV-PROPOSE get the same checks. The type byte picks at most
// one decoder, and looser limits never reject what tighter ones accept.
//
// A maximal VC-REQUEST is larger than random inputs get, so an input starting with 0xFF (no
// message type) instead builds one from input-chosen counts and lengths up to the limits: it
// must decode, and an NV-PROPOSE of up to n of them must fit decode_nv_propose's size bound.
// One length or count pushed past its limit must make the VC-REQUEST fail to decode.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "common/codec.hpp"
#include "consensus/poe/messages.hpp"

using namespace rampart;
using namespace rampart::consensus;
using namespace rampart::consensus::poe;

namespace {

Limits small() {
  Limits l;
  l.n = 4;
  l.window = 16;
  l.max_batch = 4096;
  l.max_sig = 256;
  return l;
}

bool same(const Bytes& a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void require(bool ok) {
  if (!ok) __builtin_trap();
}

bool sigs_ok(const std::vector<SigEntry>& sigs, const Limits& l) {
  if (sigs.size() > l.n) return false;
  for (const auto& s : sigs)
    if (s.sig.size() > l.max_sig) return false;
  return true;
}

// The decoded message's type byte must be the input's, and peek_type must say so.
void typed(ByteView in, MsgType t) {
  auto p = peek_type(in);
  require(!in.empty() && in[0] == static_cast<uint8_t>(t) && p && *p == t);
}

// Checks a VC-REQUEST; returns whether it decoded.
bool check_vc_request(ByteView in, const Limits& l) {
  auto m = decode_vc_request(in, l);
  if (!m.ok()) return false;
  typed(in, MsgType::vc_request);
  require(sigs_ok(m->ckpt_proof, l) && m->entries.size() <= l.window && m->sig.size() <= l.max_sig);
  for (const auto& e : m->entries) {
    require(e.batch.size() <= l.max_batch && e.cert.group_sig.size() <= l.max_sig &&
            sigs_ok(e.cert.sigs, l));
  }
  // The signed body is what came on the wire, and what the fields encode to.
  require(m->body.size() < in.size() && same(m->body, in.subspan(1, m->body.size())));
  require(m->body == vc_body(*m));
  require(same(encode(*m), in));
  return true;
}

// Runs every decoder on `in` under `l`; returns how many accepted it.
int decode_all(ByteView in, const Limits& l) {
  int accepted = 0;
  if (auto m = decode_propose(in, l); m.ok()) {
    ++accepted;
    typed(in, MsgType::propose);
    require(m->batch.size() <= l.max_batch);
    require(same(encode(*m), in));
  }
  if (auto m = decode_support(in, l); m.ok()) {
    ++accepted;
    typed(in, MsgType::support);
    require(m->sig.size() <= l.max_sig);
    require(same(encode(*m), in));
  }
  if (auto m = decode_certify(in, l); m.ok()) {
    ++accepted;
    typed(in, MsgType::certify);
    require(m->group_sig.size() <= l.max_sig && sigs_ok(m->sigs, l));
    require(same(encode(*m), in));
  }
  if (auto m = decode_checkpoint(in, l); m.ok()) {
    ++accepted;
    typed(in, MsgType::checkpoint);
    require(m->sig.size() <= l.max_sig);
    require(same(encode(*m), in));
  }
  if (check_vc_request(in, l)) ++accepted;
  if (auto m = decode_nv_propose(in, l); m.ok()) {
    ++accepted;
    typed(in, MsgType::nv_propose);
    require(m->requests.size() <= l.n);
    require(same(encode(*m), in));
    // The protocol decodes each request as a VC-REQUEST (view_change.cpp, on_nv_propose).
    for (const auto& q : m->requests) (void)check_vc_request(q, l);
  }
  if (auto m = decode_forward(in, l); m.ok()) {
    ++accepted;
    typed(in, MsgType::forward);
    require(m->batch.size() <= l.max_batch);
    require(same(encode(*m), in));
  }
  if (auto m = decode_want(in, l); m.ok()) {
    ++accepted;
    typed(in, MsgType::want);
    require(m->digests.size() <= l.window);
    require(same(encode(*m), in));
  }
  if (auto m = decode_fetch(in, l); m.ok()) {
    ++accepted;
    typed(in, MsgType::fetch);
    require(same(encode(*m), in));
  }
  if (auto m = decode_stable(in, l); m.ok()) {
    ++accepted;
    typed(in, MsgType::stable);
    require(sigs_ok(m->proof, l));
    require(same(encode(*m), in));
  }
  return accepted;
}

// Which length or count of a built VC-REQUEST goes one past its limit (at < 0: none).
struct Push {
  int at = -1;
  bool fired = false;
  bool hit() {
    if (at-- != 0) return false;
    fired = true;
    return true;
  }
  void apply(Bytes& b, size_t max) {
    if (hit()) b.assign(max + 1, 0);
  }
};

std::vector<SigEntry> make_sigs(Reader& in, const Limits& l, Push& push) {
  std::vector<SigEntry> sigs(push.hit() ? l.n + 1 : in.u8() % (l.n + 1));
  for (auto& s : sigs) {
    s.signer = in.u8();
    s.sig.assign(in.u16() % (l.max_sig + 1), 0x5a);
    push.apply(s.sig, l.max_sig);
  }
  return sigs;
}

void structured(ByteView data) {
  const Limits l = small();
  Reader in(data);
  Push push;
  if (uint8_t p = in.u8(); p < 128) push.at = p;  // most inputs: none
  VcRequest m;
  m.new_view = in.u64();
  m.sender = in.u8() % l.n;
  m.ckpt = in.u64();
  m.ckpt_view = in.u64();
  m.ckpt_head = in.fixed<32>();
  m.ckpt_proof = make_sigs(in, l, push);
  m.entries.resize(push.hit() ? l.window + 1 : in.u8() % (l.window + 1));
  for (auto& e : m.entries) {
    e.v = in.u8();
    e.k = in.u8();
    e.digest[0] = in.u8();
    e.cert.group_sig.assign(in.u16() % (l.max_sig + 1), 0xa5);
    push.apply(e.cert.group_sig, l.max_sig);
    e.cert.sigs = make_sigs(in, l, push);
  }
  m.sig.assign(in.u16() % (l.max_sig + 1), 0x3c);
  push.apply(m.sig, l.max_sig);
  Bytes wire = encode(m);
  if (push.fired) {
    require(!decode_vc_request(wire, l).ok());
    return;
  }
  require(check_vc_request(wire, l));
  NvPropose nv{m.new_view, std::vector<Bytes>(1 + in.u8() % l.n, wire)};
  Bytes nvw = encode(nv);
  auto d = decode_nv_propose(nvw, l);
  require(d.ok() && same(encode(*d), nvw));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  if (size > 0 && data[0] == 0xFF) {
    structured(in.subspan(1));
    return 0;
  }
  const int tight = decode_all(in, small());
  require(tight <= 1);  // one type byte, one decoder
  if (tight == 1) {
    // The deployed limits (limits_for: only n and window from the config) are looser.
    Limits loose;
    loose.n = 64;
    loose.window = 256;
    require(decode_all(in, loose) == 1);
  }
  return 0;
}
