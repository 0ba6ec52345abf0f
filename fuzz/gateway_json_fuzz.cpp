// Fuzzes what the gateway and its clients read from the network: transfer bodies (JSON),
// account and limit fields, the reply inside a proof object, state proofs, and a proven-read
// answer as GatewayClient checks it (gateway/read_json.hpp). Nothing may crash; an accepted
// transfer body must yield an operation that decodes and re-encodes; no forged proven read is
// accepted (nothing here can sign for the fuzzer's made-up group key).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "app/wallet/op.hpp"
#include "client/wallet_proof.hpp"
#include "crypto/fake.hpp"
#include "gateway/json_codec.hpp"
#include "gateway/read_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool atomic : {false, true}) {
    auto r = gateway::parse_transfer_body(text, atomic);
    if (auto* op = std::get_if<Bytes>(&r)) {
      auto d = app::wallet::decode_op(*op);
      if (!d || app::wallet::encode_op(*d) != *op) __builtin_trap();
    }
  }
  (void)gateway::parse_account_field(text, "account");
  (void)gateway::parse_limit(text);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded()) {
    (void)gateway::reply_from_proof_json(j);
    (void)gateway::state_proof_from_json(j);
    if (j.is_object() && j.contains("proof")) (void)gateway::state_proof_from_json(j["proof"]);
  }
  static const crypto::FakeKeyring ring(4, 3, 1);
  if (gateway::verify_gateway_read(200, std::string(text), client::balance_read(app::wallet::Account{}, 0), ring.threshold_verifier()))
    __builtin_trap();
  ByteView in(data, size);
  if (auto p = client::decode_state_proof(in); p && client::encode_state_proof(*p) != Bytes(in.begin(), in.end())) __builtin_trap();
  return 0;
}
