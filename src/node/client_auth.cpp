#include "node/client_auth.hpp"

#include <sodium.h>

#include "client/wire.hpp"

namespace rampart::node {

Status check_request(const replica::Request& r, ClientAuth auth) {
  if (r.payload.size() < client::kPubkeyBytes) return err("request payload lacks the client public key");
  ByteView pk(r.payload.data(), client::kPubkeyBytes);
  if (client::client_id_of(pk) != r.client) return err("client id does not match the public key");
  if (auth == ClientAuth::none) return {};
  if (r.sig.size() != crypto_sign_BYTES) return err("bad signature length");
  Bytes msg = replica::request_signing_bytes(r.client, r.seq, r.payload);
  if (crypto_sign_verify_detached(r.sig.data(), msg.data(), msg.size(), pk.data()) != 0)
    return err("bad client signature");
  return {};
}

Result<replica::Batch> check_batch(ByteView encoded, ClientAuth auth) {
  auto b = replica::decode_batch(encoded);
  if (!b) return b.error();
  if (b->requests.empty()) return err("empty batch");
  for (const auto& r : b->requests) RAMPART_TRY(check_request(r, auth));
  return b;
}

ByteView request_op(const replica::Request& r) {
  if (r.payload.size() < client::kPubkeyBytes) return {};
  return ByteView(r.payload).subspan(client::kPubkeyBytes);
}

}  // namespace rampart::node
