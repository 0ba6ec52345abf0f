// Fuzzes what crosses the network in proven wallet reads (client/wallet_read.hpp): the request
// an observer's read server decodes from anyone, and the response a client decodes from an
// untrusted server. Nothing may crash; whatever decodes must re-encode to the same bytes (one
// encoding per message), and an accepted request must be a read, never a transfer.
#include <cstddef>
#include <cstdint>

#include "client/wallet_read.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  ByteView in(data, size);
  if (auto r = client::decode_read_request(in); r) {
    if (r->op.type != app::wallet::OpType::balance && r->op.type != app::wallet::OpType::ledger) __builtin_trap();
    if (client::encode_read_request(*r) != Bytes(in.begin(), in.end())) __builtin_trap();
  }
  if (auto r = client::decode_read_response(in); r) {
    if ((r->status == client::ReadStatus::ok) != r->proof.has_value()) __builtin_trap();
    if (r->reason.size() > client::kMaxReadReason) __builtin_trap();
    if (client::encode_read_response(*r) != Bytes(in.begin(), in.end())) __builtin_trap();
  }
  return 0;
}
