#include "consensus/pbft/messages.hpp"

#include "common/codec.hpp"

namespace rampart::consensus::pbft {
namespace {

constexpr uint32_t kMagic = 0x54464250;  // "PBFT" little-endian

void header(Writer& w, MsgType t) {
  w.u32(kMagic);
  w.u8(static_cast<uint8_t>(t));
}

// Reads the header and fails the reader unless it names `t`.
void expect(Reader& r, MsgType t) {
  if (r.u32() != kMagic) r.fail("bad magic");
  if (r.u8() != static_cast<uint8_t>(t)) r.fail("wrong message type");
}

void put_sigs(Writer& w, const std::vector<SigOf>& sigs) {
  w.u32(static_cast<uint32_t>(sigs.size()));
  for (const auto& s : sigs) {
    w.u32(s.id);
    w.bytes(s.sig);
  }
}

std::vector<SigOf> get_sigs(Reader& r) {
  size_t k = r.count(kMaxReplicas, 8);
  std::vector<SigOf> out;
  out.reserve(k);
  for (size_t i = 0; i < k && !r.failed(); ++i) {
    SigOf s;
    s.id = r.u32();
    s.sig = r.bytes(kMaxSig);
    out.push_back(std::move(s));
  }
  return out;
}

void put_proof(Writer& w, const CheckpointProof& p) {
  w.u64(p.seq);
  w.fixed(p.state);
  put_sigs(w, p.sigs);
}

CheckpointProof get_proof(Reader& r) {
  CheckpointProof p;
  p.seq = r.u64();
  p.state = r.fixed<32>();
  p.sigs = get_sigs(r);
  return p;
}

template <typename T>
Result<T> done(const Reader& r, T value) {
  if (auto st = r.finish(); !st.ok()) return st.error();
  return value;
}

// Appends the signature over everything written so far.
Bytes sign_and_take(Writer& w, const crypto::Signer& signer) {
  Bytes sig = signer.sign(w.data());
  w.bytes(sig);
  return w.take();
}

}  // namespace

Bytes pre_prepare_body(View v, Seq n, const Hash32& d) {
  Writer w;
  header(w, MsgType::pre_prepare);
  w.u64(v);
  w.u64(n);
  w.fixed(d);
  return w.take();
}

Bytes vote_body(MsgType type, View v, Seq n, const Hash32& d, NodeId replica) {
  Writer w;
  header(w, type);
  w.u64(v);
  w.u64(n);
  w.fixed(d);
  w.u32(replica);
  return w.take();
}

Bytes checkpoint_body(Seq n, const Hash32& state, NodeId replica) {
  Writer w;
  header(w, MsgType::checkpoint);
  w.u64(n);
  w.fixed(state);
  w.u32(replica);
  return w.take();
}

Bytes encode_pre_prepare(const PrePrepare& m) {
  Writer w;
  w.raw(pre_prepare_body(m.view, m.seq, m.digest));
  w.bytes(m.sig);
  w.bytes(m.batch);
  return w.take();
}

Bytes encode_vote(const Vote& m) {
  Writer w;
  w.raw(vote_body(m.type, m.view, m.seq, m.digest, m.replica));
  w.bytes(m.sig);
  return w.take();
}

Bytes encode_checkpoint(const Checkpoint& m) {
  Writer w;
  w.raw(checkpoint_body(m.seq, m.state, m.replica));
  w.bytes(m.sig);
  return w.take();
}

Bytes encode_view_change(const ViewChange& m, const crypto::Signer& signer) {
  Writer w;
  header(w, MsgType::view_change);
  w.u64(m.new_view);
  w.u32(m.replica);
  put_proof(w, m.stable);
  w.u32(static_cast<uint32_t>(m.prepared.size()));
  for (const auto& c : m.prepared) {
    w.u64(c.view);
    w.u64(c.seq);
    w.fixed(c.digest);  // the batch by digest only (see PreparedCert)
    w.bytes(c.pp_sig);
    put_sigs(w, c.prepares);
  }
  return sign_and_take(w, signer);
}

Bytes encode_new_view(const NewView& m, const crypto::Signer& signer) {
  Writer w;
  header(w, MsgType::new_view);
  w.u64(m.view);
  w.u32(static_cast<uint32_t>(m.view_changes.size()));
  for (const auto& vc : m.view_changes) w.bytes(vc);
  w.u32(static_cast<uint32_t>(m.entries.size()));
  for (const auto& e : m.entries) {
    w.u64(e.seq);
    w.fixed(e.digest);
    w.bytes(e.pp_sig);
  }
  return sign_and_take(w, signer);
}

Bytes encode_status(const StatusMsg& m, const crypto::Signer& signer) {
  Writer w;
  header(w, MsgType::status);
  w.u64(m.view);
  w.boolean(m.in_view_change);
  w.u64(m.target);
  w.u64(m.stable);
  w.u64(m.last_executed);
  w.u32(m.replica);
  return sign_and_take(w, signer);
}

Bytes encode_catchup(const Catchup& m, const crypto::Signer& signer) {
  Writer w;
  header(w, MsgType::catchup);
  w.u32(m.replica);
  w.u64(m.cert.view);
  w.u64(m.cert.seq);
  w.fixed(m.cert.digest);
  w.bytes(m.cert.pp_sig);
  put_sigs(w, m.cert.commits);
  w.bytes(m.cert.batch);
  return sign_and_take(w, signer);
}

Bytes encode_stable_proof(const StableProof& m, const crypto::Signer& signer) {
  Writer w;
  header(w, MsgType::stable_proof);
  w.u32(m.replica);
  put_proof(w, m.proof);
  return sign_and_take(w, signer);
}

Result<MsgType> peek_type(ByteView msg) {
  Reader r(msg);
  uint32_t magic = r.u32();
  uint8_t t = r.u8();
  if (!r.status().ok()) return err("message too short");
  if (magic != kMagic) return err("bad magic");
  if (t < 1 || t > static_cast<uint8_t>(MsgType::stable_proof)) return err("unknown message type");
  return static_cast<MsgType>(t);
}

Result<PrePrepare> decode_pre_prepare(ByteView msg) {
  Reader r(msg);
  expect(r, MsgType::pre_prepare);
  PrePrepare m;
  m.view = r.u64();
  m.seq = r.u64();
  m.digest = r.fixed<32>();
  m.sig = r.bytes(kMaxSig);
  m.batch = r.bytes(kMaxBatch);
  return done(r, std::move(m));
}

Result<Vote> decode_vote(ByteView msg) {
  auto t = peek_type(msg);
  if (!t.ok()) return t.error();
  if (*t != MsgType::prepare && *t != MsgType::commit) return err("not a vote");
  Reader r(msg);
  expect(r, *t);
  Vote m;
  m.type = *t;
  m.view = r.u64();
  m.seq = r.u64();
  m.digest = r.fixed<32>();
  m.replica = r.u32();
  m.sig = r.bytes(kMaxSig);
  return done(r, std::move(m));
}

Result<Checkpoint> decode_checkpoint(ByteView msg) {
  Reader r(msg);
  expect(r, MsgType::checkpoint);
  Checkpoint m;
  m.seq = r.u64();
  m.state = r.fixed<32>();
  m.replica = r.u32();
  m.sig = r.bytes(kMaxSig);
  return done(r, std::move(m));
}

Result<ViewChange> decode_view_change(ByteView msg) {
  Reader r(msg);
  expect(r, MsgType::view_change);
  ViewChange m;
  m.new_view = r.u64();
  m.replica = r.u32();
  m.stable = get_proof(r);
  // A certificate takes at least 8+8+32+4+4 bytes on the wire.
  size_t k = r.count(kMaxEntries, 56);
  m.prepared.reserve(k);
  for (size_t i = 0; i < k && !r.failed(); ++i) {
    PreparedCert c;
    c.view = r.u64();
    c.seq = r.u64();
    c.digest = r.fixed<32>();
    c.pp_sig = r.bytes(kMaxSig);
    c.prepares = get_sigs(r);
    m.prepared.push_back(std::move(c));
  }
  m.signed_len = r.position();
  m.sig = r.bytes(kMaxSig);
  return done(r, std::move(m));
}

Result<NewView> decode_new_view(ByteView msg) {
  Reader r(msg);
  expect(r, MsgType::new_view);
  NewView m;
  m.view = r.u64();
  size_t k = r.count(kMaxReplicas, 4);
  m.view_changes.reserve(k);
  for (size_t i = 0; i < k && !r.failed(); ++i) m.view_changes.push_back(r.bytes(kMaxViewChange));
  size_t e = r.count(kMaxEntries, 44);
  m.entries.reserve(e);
  for (size_t i = 0; i < e && !r.failed(); ++i) {
    NewViewEntry x;
    x.seq = r.u64();
    x.digest = r.fixed<32>();
    x.pp_sig = r.bytes(kMaxSig);
    m.entries.push_back(std::move(x));
  }
  m.signed_len = r.position();
  m.sig = r.bytes(kMaxSig);
  return done(r, std::move(m));
}

Result<StatusMsg> decode_status(ByteView msg) {
  Reader r(msg);
  expect(r, MsgType::status);
  StatusMsg m;
  m.view = r.u64();
  m.in_view_change = r.boolean();
  m.target = r.u64();
  m.stable = r.u64();
  m.last_executed = r.u64();
  m.replica = r.u32();
  m.signed_len = r.position();
  m.sig = r.bytes(kMaxSig);
  return done(r, std::move(m));
}

Result<Catchup> decode_catchup(ByteView msg) {
  Reader r(msg);
  expect(r, MsgType::catchup);
  Catchup m;
  m.replica = r.u32();
  m.cert.view = r.u64();
  m.cert.seq = r.u64();
  m.cert.digest = r.fixed<32>();
  m.cert.pp_sig = r.bytes(kMaxSig);
  m.cert.commits = get_sigs(r);
  m.cert.batch = r.bytes(kMaxBatch);
  m.signed_len = r.position();
  m.sig = r.bytes(kMaxSig);
  return done(r, std::move(m));
}

Result<StableProof> decode_stable_proof(ByteView msg) {
  Reader r(msg);
  expect(r, MsgType::stable_proof);
  StableProof m;
  m.replica = r.u32();
  m.proof = get_proof(r);
  m.signed_len = r.position();
  m.sig = r.bytes(kMaxSig);
  return done(r, std::move(m));
}

}  // namespace rampart::consensus::pbft
