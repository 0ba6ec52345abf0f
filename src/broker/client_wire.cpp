#include "broker/client_wire.hpp"

#include "common/codec.hpp"

namespace rampart::broker {
namespace {

constexpr size_t kMaxProofWire = 4 + 4 + 1 + 32 * crypto::merkle::kMaxProofLength;

void write_payload(Writer& w, ByteView p) {
  w.u16(static_cast<uint16_t>(p.size()));
  w.raw(p);
}

Bytes read_payload(Reader& r) {
  size_t n = r.u16();
  if (n > kMaxPayload) {
    r.fail("broker: payload longer than " + std::to_string(kMaxPayload) + " bytes");
    return {};
  }
  ByteView v = r.raw(n);
  return Bytes(v.begin(), v.end());
}

void write_proof(Writer& w, const crypto::merkle::Proof& p) { w.bytes(p.encode()); }

crypto::merkle::Proof read_proof(Reader& r) {
  ByteView v = r.bytes_view(kMaxProofWire);
  if (r.failed()) return {};
  auto p = crypto::merkle::Proof::decode(v);
  if (!p) {
    r.fail("broker: " + p.error().message);
    return {};
  }
  return std::move(*p);
}

// A presence byte: 0 or 1, anything else is malformed (keeps decode -> encode exact).
bool read_flag(Reader& r) {
  uint8_t f = r.u8();
  if (f > 1) r.fail("broker: presence flag must be 0 or 1");
  return f == 1;
}

void write_neighbour(Writer& w, const std::optional<Neighbour>& n) {
  w.boolean(n.has_value());
  if (!n) return;
  w.u32(n->id);
  write_payload(w, n->payload);
  write_proof(w, n->proof);
}

std::optional<Neighbour> read_neighbour(Reader& r) {
  if (!read_flag(r)) return std::nullopt;
  Neighbour n;
  n.id = r.u32();
  n.payload = read_payload(r);
  n.proof = read_proof(r);
  return n;
}

}  // namespace

void write_cert(Writer& w, const DeliveryCert& c) {
  w.u32(c.broker);
  w.u64(c.number);
  w.u64(c.height);
  w.fixed(c.amended_root);
  w.u8(static_cast<uint8_t>(c.group_sig.size()));
  w.raw(c.group_sig);
}

DeliveryCert read_cert(Reader& r) {
  DeliveryCert c;
  c.broker = r.u32();
  c.number = r.u64();
  c.height = r.u64();
  c.amended_root = r.fixed<32>();
  size_t n = r.u8();
  if (n > kMaxGroupSig) {
    r.fail("broker: group signature longer than " + std::to_string(kMaxGroupSig) + " bytes");
    return c;
  }
  ByteView v = r.raw(n);
  c.group_sig.assign(v.begin(), v.end());
  return c;
}

Bytes encode(const Submit& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(m.cookie ? ClientKind::submit_with_cookie : ClientKind::submit));
  w.u32(m.id);
  w.u64(m.seq);
  write_payload(w, m.payload);
  w.fixed(m.sig);
  if (m.cookie) w.fixed(*m.cookie);
  return w.take();
}

Bytes encode(const CookieReply& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(ClientKind::cookie));
  w.fixed(m.cookie);
  return w.take();
}

Bytes encode(const Inclusion& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(ClientKind::inclusion));
  w.u32(m.broker);
  w.u64(m.number);
  w.fixed(m.root);
  w.u64(m.raise);
  write_proof(w, m.proof);
  write_neighbour(w, m.left);
  write_neighbour(w, m.right);
  w.boolean(m.legitimacy.has_value());
  if (m.legitimacy) write_cert(w, *m.legitimacy);
  return w.take();
}

Bytes encode(const Reduction& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(ClientKind::reduction));
  w.u32(m.id);
  w.u64(m.number);
  w.fixed(m.root);
  w.fixed(m.sig);
  return w.take();
}

Bytes encode(const Delivery& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(ClientKind::delivery));
  write_cert(w, m.cert);
  w.u64(m.seq);
  write_proof(w, m.proof);
  return w.take();
}

Bytes encode(const ClientMessage& m) {
  return std::visit([](const auto& x) { return encode(x); }, m);
}

Result<ClientMessage> decode_client_message(ByteView wire) {
  Reader r(wire);
  const uint8_t kind = r.u8();
  ClientMessage out;
  switch (static_cast<ClientKind>(kind)) {
    case ClientKind::submit:
    case ClientKind::submit_with_cookie: {
      Submit m;
      m.id = r.u32();
      m.seq = r.u64();
      m.payload = read_payload(r);
      m.sig = r.fixed<64>();
      if (static_cast<ClientKind>(kind) == ClientKind::submit_with_cookie) m.cookie = r.fixed<16>();
      out = std::move(m);
      break;
    }
    case ClientKind::cookie: {
      CookieReply m;
      m.cookie = r.fixed<16>();
      out = std::move(m);
      break;
    }
    case ClientKind::inclusion: {
      Inclusion m;
      m.broker = r.u32();
      m.number = r.u64();
      m.root = r.fixed<32>();
      m.raise = r.u64();
      m.proof = read_proof(r);
      m.left = read_neighbour(r);
      m.right = read_neighbour(r);
      if (read_flag(r)) m.legitimacy = read_cert(r);
      out = std::move(m);
      break;
    }
    case ClientKind::reduction: {
      Reduction m;
      m.id = r.u32();
      m.number = r.u64();
      m.root = r.fixed<32>();
      m.sig = r.fixed<192>();
      out = std::move(m);
      break;
    }
    case ClientKind::delivery: {
      Delivery m;
      m.cert = read_cert(r);
      m.seq = r.u64();
      m.proof = read_proof(r);
      out = std::move(m);
      break;
    }
    default:
      if (!r.failed()) return err("broker: unknown client message kind " + std::to_string(kind));
  }
  RAMPART_TRY(r.finish());
  return out;
}

}  // namespace rampart::broker
