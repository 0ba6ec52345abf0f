#include "replica/client_auth.hpp"

#include <sodium.h>

#include "replica/client_wire.hpp"

namespace rampart::replica {

Status check_request(const RequestView& r, ClientAuth auth) {
  if (r.payload.size() < client::kPubkeyBytes) return err("request payload lacks the client public key");
  ByteView pk = r.payload.first(client::kPubkeyBytes);
  if (client::client_id_of(pk) != r.client) return err("client id does not match the public key");
  if (auth == ClientAuth::none) return {};
  if (r.sig.size() != crypto_sign_BYTES) return err("bad signature length");
  Bytes msg = request_signing_bytes(r.client, r.seq, r.payload);
  if (crypto_sign_verify_detached(r.sig.data(), msg.data(), msg.size(), pk.data()) != 0)
    return err("bad client signature");
  return {};
}

Status check_batch(ByteView encoded, ClientAuth auth) {
  size_t n = 0;
  RAMPART_TRY(for_each_request(encoded, [&](const RequestView& r) {
    ++n;
    return check_request(r, auth);
  }));
  if (n == 0) return err("empty batch");
  return {};
}

}  // namespace rampart::replica
