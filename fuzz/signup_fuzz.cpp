// Fuzzes sign-up (broker/signup.hpp): the operation a client's request carries and the result
// a broker reads from a sign-up certificate. A decoded one must re-encode to exactly the input;
// executing any bytes as a sign-up must answer with a result that decodes, and admit only keys
// that come with a proof of possession.
#include <cstddef>
#include <cstdint>

#include "broker/signup.hpp"
#include "replica/client_directory.hpp"

namespace {
using namespace rampart;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  if (auto op = broker::decode_signup_op(in); op.ok()) {
    if (broker::encode_signup_op(op->bls, op->pop) != Bytes(in.begin(), in.end())) __builtin_trap();
  }
  if (auto r = broker::decode_signup_result(in); r.ok()) {
    if (broker::encode_signup_result(*r) != Bytes(in.begin(), in.end())) __builtin_trap();
  }
  replica::ClientDirectory dir;
  const Bytes result = dir.sign_up(1, in);
  auto r = broker::decode_signup_result(result);
  if (!r.ok()) __builtin_trap();
  if (r->ok != (dir.signups() == 1)) __builtin_trap();
  if (r->ok) {
    auto op = broker::decode_signup_op(in.subspan(32));
    if (!op.ok() || !crypto::bls::verify_possession(op->bls, op->pop)) __builtin_trap();
  }
  return 0;
}
