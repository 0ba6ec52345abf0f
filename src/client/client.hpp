#pragma once
// The direct-path client (CART): signs requests with its own Ed25519 key, sends them to one
// replica's client port, and accepts the first reply whose group signature verifies against the
// cluster's group public key and whose Merkle proof binds its result to the signed results
// root. On a timeout (or a dropped connection) it retries the same request at the next replica.
// Not thread-safe: one Client per thread.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "client/session.hpp"
#include "replica/client_wire.hpp"
#include "common/config.hpp"
#include "crypto/bls.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::client {

struct ClientOptions {
  std::chrono::milliseconds timeout{2000};  // per attempt
  int attempts = 8;                         // replicas tried (round robin) before giving up
  uint32_t first_replica = 0;
  bool sign = true;                         // false: --auth none benchmarks
  // The client's own key, e.g. a wallet account's, whose transfers then need no leg signature
  // (the request's signature vouches for them). Empty: a fresh key. With a key that earlier
  // runs used, request numbers start at the wall clock in microseconds, above theirs: a
  // replica answers a number it has seen from its reply cache instead of executing it.
  std::optional<SigningKey> key;
};

struct Answer {
  uint64_t k = 0;       // batch that answered
  Bytes result;         // the application's result bytes
  uint32_t replica = 0; // who delivered it
  bool cached = false;  // answered from the reply cache (a retry)
  Reply reply;          // the verified reply itself: its CART proof, for callers that pass it on (gateway)
};

struct SignedUp;  // client/signup.hpp

class Client {
 public:
  // A client with opt.key, or a fresh Ed25519 key (its id follows from the key).
  static Result<std::unique_ptr<Client>> create(const ClusterConfig& cfg, ClientOptions opt = {});
  ~Client();

  replica::ClientId id() const;
  ByteView public_key() const;  // the Ed25519 key that signs this client's requests
  // Submits one operation and waits for its verified answer.
  Result<Answer> call(ByteView op);
  // Signs this client's Ed25519 key up to the broker path's directory with BLS key `bls`
  // (client/signup.cpp): the dense id in a CART-proven reply, its sign-up certificate.
  Result<SignedUp> signup(const crypto::bls::SecretKey& bls);

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::client
