// Fuzzes the wallet's decoders of untrusted input: operations (what a client sends, executed by
// every replica), results and accounts proofs (what a client or gateway reads back). A decoded
// value must re-encode to exactly the input; a proof may be refused but never crash; an
// operation the wallet rejects leaves its state (digest and snapshot) unchanged.
#include <cstddef>
#include <cstdint>

#include "app/wallet/accounts_proof.hpp"
#include "app/wallet/wallet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  using namespace rampart::app::wallet;
  ByteView in(data, size);
  if (auto op = decode_op(in); op && encode_op(*op) != Bytes(in.begin(), in.end())) __builtin_trap();
  if (auto r = decode_result(in); r && encode_result(*r) != Bytes(in.begin(), in.end())) __builtin_trap();
  if (auto p = decode_range_proof(in)) {
    if (encode_range_proof(*p) != Bytes(in.begin(), in.end())) __builtin_trap();
    (void)range_digest(*p);
    (void)verify_page(Hash32{}, *p, std::nullopt, 10);
  }
  static Wallet w;
  const Hash32 before = w.digest();
  auto res = decode_result(w.apply(1, in));
  if (!res) __builtin_trap();
  if (res->code != Code::ok && w.digest() != before) __builtin_trap();
  w.undo_to(0);
  return 0;
}
