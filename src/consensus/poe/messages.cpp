#include "consensus/poe/messages.hpp"

#include "common/codec.hpp"

namespace rampart::consensus::poe {
namespace {

// Smallest wire sizes of list elements, so Reader::count can reject impossible counts early.
constexpr size_t kSigEntryMin = 4 + 4;
constexpr size_t kEntryMin = 8 + 8 + 32 + 4 + 4;
constexpr size_t kRequestMin = 4;

void put_sigs(Writer& w, const std::vector<SigEntry>& sigs) {
  w.u32(static_cast<uint32_t>(sigs.size()));
  for (const auto& s : sigs) {
    w.u32(s.signer);
    w.bytes(s.sig);
  }
}

std::vector<SigEntry> get_sigs(Reader& r, const Limits& l) {
  std::vector<SigEntry> out;
  size_t n = r.count(l.n, kSigEntryMin);
  out.reserve(n);
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    SigEntry e;
    e.signer = r.u32();
    e.sig = r.bytes(l.max_sig);
    out.push_back(std::move(e));
  }
  return out;
}

// Reads the type byte and checks it.
bool expect_type(Reader& r, MsgType t) {
  if (r.u8() != static_cast<uint8_t>(t)) {
    r.fail("wrong message type");
    return false;
  }
  return true;
}

template <typename T>
Result<T> done(const Reader& r, T m) {
  Status s = r.finish();
  if (!s.ok()) return s.error();
  return m;
}

}  // namespace

Limits limits_for(const Config& cfg) {
  Limits l;
  l.n = cfg.n;
  l.window = cfg.window;
  return l;
}

Bytes support_statement(View v, Seq k, const Hash32& digest) {
  Writer w;
  w.raw(as_bytes("rampart/poe/support"));
  w.u64(v);
  w.u64(k);
  w.fixed(digest);
  return w.take();
}

Bytes certify_statement(View v, Seq k, const Hash32& digest) {
  return support_statement(v, k, digest);
}

Bytes checkpoint_statement(View v, Seq k, const Hash32& head) {
  Writer w;
  w.raw(as_bytes("rampart/poe/checkpoint/v2"));
  w.u64(v);
  w.u64(k);
  w.fixed(head);
  return w.take();
}

Bytes vc_statement(ByteView body) {
  Writer w;
  w.raw(as_bytes("rampart/poe/vc-request"));
  w.raw(body);
  return w.take();
}

std::optional<MsgType> peek_type(ByteView msg) {
  if (msg.empty()) return std::nullopt;
  return static_cast<MsgType>(msg[0]);
}

Bytes encode(const Propose& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(MsgType::propose));
  w.u64(m.v);
  w.u64(m.k);
  w.fixed(m.digest);
  w.bytes(m.batch);
  return w.take();
}

Result<Propose> decode_propose(ByteView msg, const Limits& l) {
  Reader r(msg);
  Propose m;
  expect_type(r, MsgType::propose);
  m.v = r.u64();
  m.k = r.u64();
  m.digest = r.fixed<32>();
  m.batch = r.bytes(l.max_batch);
  return done(r, std::move(m));
}

namespace {
Bytes encode_vote(MsgType t, View v, Seq k, const Hash32& d, const Bytes& sig) {
  Writer w;
  w.u8(static_cast<uint8_t>(t));
  w.u64(v);
  w.u64(k);
  w.fixed(d);
  w.bytes(sig);
  return w.take();
}
}  // namespace

Bytes encode(const Support& m) { return encode_vote(MsgType::support, m.v, m.k, m.digest, m.sig); }
Bytes encode(const Certify& m) {
  Bytes b = encode_vote(MsgType::certify, m.v, m.k, m.digest, m.group_sig);
  Writer w;
  put_sigs(w, m.sigs);
  Bytes tail = w.take();
  b.insert(b.end(), tail.begin(), tail.end());
  return b;
}

Result<Support> decode_support(ByteView msg, const Limits& l) {
  Reader r(msg);
  Support m;
  expect_type(r, MsgType::support);
  m.v = r.u64();
  m.k = r.u64();
  m.digest = r.fixed<32>();
  m.sig = r.bytes(l.max_sig);
  return done(r, std::move(m));
}

Result<Certify> decode_certify(ByteView msg, const Limits& l) {
  Reader r(msg);
  Certify m;
  expect_type(r, MsgType::certify);
  m.v = r.u64();
  m.k = r.u64();
  m.digest = r.fixed<32>();
  m.group_sig = r.bytes(l.max_sig);
  m.sigs = get_sigs(r, l);
  return done(r, std::move(m));
}

Bytes encode(const Checkpoint& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(MsgType::checkpoint));
  w.u64(m.v);
  w.u64(m.k);
  w.fixed(m.head);
  w.bytes(m.sig);
  return w.take();
}

Result<Checkpoint> decode_checkpoint(ByteView msg, const Limits& l) {
  Reader r(msg);
  Checkpoint m;
  expect_type(r, MsgType::checkpoint);
  m.v = r.u64();
  m.k = r.u64();
  m.head = r.fixed<32>();
  m.sig = r.bytes(l.max_sig);
  return done(r, std::move(m));
}

Bytes vc_body(const VcRequest& m) {
  Writer w;
  w.u64(m.new_view);
  w.u32(m.sender);
  w.u64(m.ckpt);
  w.u64(m.ckpt_view);
  w.fixed(m.ckpt_head);
  put_sigs(w, m.ckpt_proof);
  w.u32(static_cast<uint32_t>(m.entries.size()));
  for (const auto& e : m.entries) {
    w.u64(e.v);
    w.u64(e.k);
    w.fixed(e.digest);  // the batch by digest only: see VcRequest
    w.bytes(e.cert.group_sig);
    put_sigs(w, e.cert.sigs);
  }
  return w.take();
}

Bytes encode(const VcRequest& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(MsgType::vc_request));
  w.raw(vc_body(m));
  w.bytes(m.sig);
  return w.take();
}

Result<VcRequest> decode_vc_request(ByteView msg, const Limits& l) {
  Reader r(msg);
  VcRequest m;
  expect_type(r, MsgType::vc_request);
  size_t body_start = r.position();
  m.new_view = r.u64();
  m.sender = r.u32();
  m.ckpt = r.u64();
  m.ckpt_view = r.u64();
  m.ckpt_head = r.fixed<32>();
  m.ckpt_proof = get_sigs(r, l);
  size_t n = r.count(l.window, kEntryMin);
  m.entries.reserve(n);
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    CommittedEntry e;
    e.v = r.u64();
    e.k = r.u64();
    e.digest = r.fixed<32>();
    e.cert.group_sig = r.bytes(l.max_sig);
    e.cert.sigs = get_sigs(r, l);
    m.entries.push_back(std::move(e));
  }
  if (!r.failed()) {
    ByteView body = msg.subspan(body_start, r.position() - body_start);
    m.body.assign(body.begin(), body.end());
  }
  m.sig = r.bytes(l.max_sig);
  return done(r, std::move(m));
}

Bytes encode(const NvPropose& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(MsgType::nv_propose));
  w.u64(m.v);
  w.u32(static_cast<uint32_t>(m.requests.size()));
  for (const auto& q : m.requests) w.bytes(q);
  return w.take();
}

Result<NvPropose> decode_nv_propose(ByteView msg, const Limits& l) {
  Reader r(msg);
  NvPropose m;
  expect_type(r, MsgType::nv_propose);
  m.v = r.u64();
  size_t n = r.count(l.n, kRequestMin);
  m.requests.reserve(n);
  // One request: a header with the checkpoint proof, then at most `window` entries, each a
  // digest and a certificate (a group signature, or n signatures in the MAC variant).
  const size_t sig_list = 4 + l.n * (kSigEntryMin + l.max_sig);
  const size_t max_req = 1 + 72 + sig_list + (l.window + 1) * (48 + 4 + l.max_sig + sig_list) + 4 + l.max_sig;
  for (size_t i = 0; i < n && !r.failed(); ++i) m.requests.push_back(r.bytes(max_req));
  return done(r, std::move(m));
}

Bytes encode(const Forward& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(MsgType::forward));
  w.bytes(m.batch);
  return w.take();
}

Result<Forward> decode_forward(ByteView msg, const Limits& l) {
  Reader r(msg);
  Forward m;
  expect_type(r, MsgType::forward);
  m.batch = r.bytes(l.max_batch);
  return done(r, std::move(m));
}

Bytes encode(const Want& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(MsgType::want));
  w.u32(static_cast<uint32_t>(m.digests.size()));
  for (const auto& d : m.digests) w.fixed(d);
  return w.take();
}

Result<Want> decode_want(ByteView msg, const Limits& l) {
  Reader r(msg);
  Want m;
  expect_type(r, MsgType::want);
  size_t n = r.count(l.window, 32);
  m.digests.reserve(n);
  for (size_t i = 0; i < n && !r.failed(); ++i) m.digests.push_back(r.fixed<32>());
  return done(r, std::move(m));
}

Bytes encode(const Fetch& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(MsgType::fetch));
  w.u64(m.v);
  w.u64(m.from);
  return w.take();
}

Result<Fetch> decode_fetch(ByteView msg, const Limits&) {
  Reader r(msg);
  Fetch m;
  expect_type(r, MsgType::fetch);
  m.v = r.u64();
  m.from = r.u64();
  return done(r, std::move(m));
}

Bytes encode(const Stable& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(MsgType::stable));
  w.u64(m.k);
  w.u64(m.v);
  w.fixed(m.head);
  put_sigs(w, m.proof);
  return w.take();
}

Result<Stable> decode_stable(ByteView msg, const Limits& l) {
  Reader r(msg);
  Stable m;
  expect_type(r, MsgType::stable);
  m.k = r.u64();
  m.v = r.u64();
  m.head = r.fixed<32>();
  m.proof = get_sigs(r, l);
  return done(r, std::move(m));
}

}  // namespace rampart::consensus::poe
