#include "broker/signup.hpp"

#include <algorithm>
#include <cstring>

#include "common/codec.hpp"

namespace rampart::broker {

namespace {
bool starts_with(ByteView b, std::string_view tag) {
  return b.size() >= tag.size() && std::memcmp(b.data(), tag.data(), tag.size()) == 0;
}
}  // namespace

Bytes encode_signup_op(const crypto::bls::PublicKey& bls, const crypto::bls::Signature& pop) {
  Writer w;
  w.raw(as_bytes(kSignupTag));
  w.fixed(bls.to_bytes());
  w.fixed(pop.to_bytes());
  return w.take();
}

bool is_signup_op(ByteView op) { return starts_with(op, kSignupTag); }

Result<SignupOp> decode_signup_op(ByteView op) {
  if (!is_signup_op(op)) return err("sign-up: not a sign-up operation");
  if (op.size() != kSignupOpBytes)
    return err("sign-up: operation is " + std::to_string(op.size()) + " bytes, not " + std::to_string(kSignupOpBytes));
  ByteView rest = op.subspan(kSignupTag.size());
  auto pk = crypto::bls::PublicKey::from_bytes(rest.first(crypto::bls::kPublicKeySize));
  if (!pk) return err("sign-up: BLS public key: " + pk.error().message);
  auto pop = crypto::bls::Signature::from_bytes(rest.subspan(crypto::bls::kPublicKeySize));
  if (!pop) return err("sign-up: proof of possession: " + pop.error().message);
  return SignupOp{*pk, *pop};
}

Bytes encode_signup_result(const SignupResult& r) {
  Writer w;
  w.raw(as_bytes(kSignupResultTag));
  w.u8(r.ok ? 0 : 1);
  if (r.ok) {
    w.u32(r.id);
    w.fixed(r.ed25519);
    w.fixed(r.bls.to_bytes());
  } else {
    const std::string_view why(r.reason.data(), std::min(r.reason.size(), kMaxSignupReason));
    w.bytes(as_bytes(why));
  }
  return w.take();
}

bool is_signup_result(ByteView result) { return starts_with(result, kSignupResultTag); }

Result<SignupResult> decode_signup_result(ByteView result) {
  if (!is_signup_result(result)) return err("sign-up result: missing its tag");
  Reader rd(result.subspan(kSignupResultTag.size()));
  SignupResult r;
  const uint8_t status = rd.u8();
  if (rd.failed()) return rd.status().error();
  if (status == 0) {
    r.ok = true;
    r.id = rd.u32();
    r.ed25519 = rd.fixed<crypto::ed25519::kPublicKeySize>();
    ByteView bls = rd.raw(crypto::bls::kPublicKeySize);
    RAMPART_TRY(rd.finish());
    auto pk = crypto::bls::PublicKey::from_bytes(bls);
    if (!pk) return err("sign-up result: BLS key: " + pk.error().message);
    r.bls = *pk;
    return r;
  }
  if (status != 1) return err("sign-up result: unknown status " + std::to_string(status));
  r.reason = rd.str(kMaxSignupReason);
  RAMPART_TRY(rd.finish());
  return r;
}

Bytes encode_signup_cert(ByteView certificate) {
  Writer w;
  w.u8(kSignupCertKind);
  w.raw(certificate);
  return w.take();
}

Result<ByteView> decode_signup_cert(ByteView wire) {
  if (wire.empty() || wire[0] != kSignupCertKind) return err("not a sign-up certificate message");
  if (wire.size() - 1 > kMaxSignupCert) return err("sign-up certificate above " + std::to_string(kMaxSignupCert) + " bytes");
  return wire.subspan(1);
}

Bytes encode_signed_up(ClientId id) {
  Writer w;
  w.u8(kSignedUpKind);
  w.u32(id);
  return w.take();
}

Result<ClientId> decode_signed_up(ByteView wire) {
  Reader r(wire);
  if (r.u8() != kSignedUpKind) return err("not a signed-up message");
  const ClientId id = r.u32();
  RAMPART_TRY(r.finish());
  return id;
}

}  // namespace rampart::broker
