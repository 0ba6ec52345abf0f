#pragma once
// Checks client requests on the direct path: the payload starts with the client's Ed25519
// public key, the client id is derived from it (replica/client_wire.hpp), and the signature covers
// request_signing_bytes. With auth = none (benchmarks of the ordering path only) the
// id binding is still checked but signatures are not.
#include "common/result.hpp"
#include "replica/batch.hpp"

namespace rampart::replica {

enum class ClientAuth { ed25519, none };

Status check_request(const RequestView& r, ClientAuth auth);
inline Status check_request(const Request& r, ClientAuth auth) { return check_request(view_of(r), auth); }
// validate_batch for the Env: decodes exactly, non-empty, every request passes check_request.
// Reads the requests in place (for_each_request): nothing is copied.
Status check_batch(ByteView encoded, ClientAuth auth);

}  // namespace rampart::replica
