#pragma once
// Client sign-up (DESIGN §3.1 "Directory", issue 17): the bytes of a sign-up operation and of
// its result. A sign-up is an ordinary direct-path request (replica/client_wire.hpp: payload =
// Ed25519 public key | operation, signed by that key) whose operation is
//
//   op     = "rampart/signup/v1" | BLS public key (48, compressed G1) | proof of possession (96)
//
// The replica core executes it, not the application (replica/client_directory.hpp), and answers
//
//   result = "rampart/signup-result/v1" | status u8
//            status 0 (signed up): id u32 | Ed25519 key (32) | BLS key (48)
//            status 1 (refused):   reason (u32 length | bytes, at most 256)
//
// The result travels in the ordinary CART-proven reply, so the client holds a group-signed proof
// of its id: its "sign-up certificate" (client/signup.hpp). The executor guarantees that no
// application result begins with kSignupResultTag (it blanks one that does), so a proven result
// with this tag can only have come from a sign-up's execution.
//
// Both live here, below the replica and the client library, because brokers read them too.
#include <functional>
#include <string>
#include <string_view>

#include "broker/directory.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::broker {

inline constexpr std::string_view kSignupTag = "rampart/signup/v1";
inline constexpr std::string_view kSignupResultTag = "rampart/signup-result/v1";
inline constexpr size_t kSignupOpBytes = kSignupTag.size() + crypto::bls::kPublicKeySize + crypto::bls::kSignatureSize;
inline constexpr size_t kMaxSignupReason = 256;

struct SignupOp {
  crypto::bls::PublicKey bls{};
  crypto::bls::Signature pop{};
};

// The operation (without the Ed25519 key the request payload starts with).
Bytes encode_signup_op(const crypto::bls::PublicKey& bls, const crypto::bls::Signature& pop);
// True when op claims to be a sign-up (starts with kSignupTag), well formed or not.
bool is_signup_op(ByteView op);
// Exactly kSignupOpBytes, both points valid (on the curve, in the subgroup, not the identity).
// The proof of possession is not checked here (it costs a pairing; the executor does it).
Result<SignupOp> decode_signup_op(ByteView op);

struct SignupResult {
  bool ok = false;
  ClientId id = 0;                      // ok only
  crypto::ed25519::PublicKey ed25519{}; // ok only
  crypto::bls::PublicKey bls{};         // ok only
  std::string reason;                   // refused only
};

Bytes encode_signup_result(const SignupResult& r);
bool is_signup_result(ByteView result);
// Bounds-checked; rejects trailing bytes, unknown statuses, invalid BLS keys.
Result<SignupResult> decode_signup_result(ByteView result);

// How a broker learns a new client without restarting (docs/brokers.md, "Sign-up"): the client
// hands it its sign-up certificate (client/signup.hpp: the CART-proven reply), the broker checks
// it under the cluster's group key and adds (id, keys) to its directory, then acknowledges.
//   SignupCert  client -> broker  kind 5 | certificate (the rest of the datagram, at most 8 KiB)
//   SignedUp    broker -> client  kind 6 | id u32
inline constexpr uint8_t kSignupCertKind = 5;
inline constexpr uint8_t kSignedUpKind = 6;
inline constexpr size_t kMaxSignupCert = 8192;
Bytes encode_signup_cert(ByteView certificate);
Result<ByteView> decode_signup_cert(ByteView wire);  // a view into wire
Bytes encode_signed_up(ClientId id);
Result<ClientId> decode_signed_up(ByteView wire);

// A certificate checked (group signature, proof, a successful sign-up result): what it names.
struct CertifiedClient {
  ClientId id = 0;
  ClientKeys keys;
};

}  // namespace rampart::broker

namespace rampart::broker {
// The check of a certificate: the broker core is below the client library that verifies CART
// replies, so the process hands it one (client::check_signup_certificate under the group key).
using SignupCheck = std::function<Result<CertifiedClient>(ByteView certificate)>;
}  // namespace rampart::broker
