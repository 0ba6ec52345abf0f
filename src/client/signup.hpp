#pragma once
// Client sign-up to the broker path's directory (DESIGN §3.1 "Directory", issue 17), the
// client's side: its keys (an Ed25519 key that signs its requests and submissions, a BLS key
// for reductions), the sign-up call (Client::signup: an ordinary direct request whose operation
// is broker::encode_signup_op, executed by the replicas in order) and the sign-up certificate.
//
// A sign-up certificate is the CART-proven reply to the sign-up, as the replica sent it
// (client/client_wire.hpp REPLY frame): the group signature over the block and the Merkle proof
// of the result leaf, whose result names (id, Ed25519 key, BLS key). Anyone holding the cluster's
// group public key can check it (check_signup_certificate), which is how a broker learns a new
// client without restarting (docs/brokers.md, "Sign-up"). A proven block is never rolled back,
// so the id a certificate names stays that key's for good.
#include <filesystem>

#include "broker/signup.hpp"
#include "client/client.hpp"
#include "crypto/bls.hpp"
#include "crypto/ed25519.hpp"

namespace rampart::client {

struct SignupKeys {
  crypto::ed25519::KeyPair ed25519;
  crypto::bls::SecretKey bls;
};

SignupKeys generate_signup_keys();
// A client's key file (mode 0600, crypto/keyfile.hpp; refused if group or others may read it):
//   rampart-client-key-v1
//   <Ed25519 seed, 32 bytes hex> <BLS secret key, 32 bytes hex>
Status save_signup_keys(const std::filesystem::path& file, const SignupKeys& keys);
Result<SignupKeys> load_signup_keys(const std::filesystem::path& file);

struct SignedUp {
  broker::ClientId id = 0;
  crypto::ed25519::PublicKey ed25519{};
  crypto::bls::PublicKey bls{};
  uint64_t k = 0;     // the block that executed it
  Bytes certificate;  // the proven reply frame (encode_reply)
};

// Ok when `cert` is a REPLY whose group signature and Merkle proof verify under `group`, whose
// result is a successful sign-up (broker::decode_signup_result) and whose Ed25519 key is the key
// of the client the reply answers.
Result<SignedUp> check_signup_certificate(ByteView cert, const crypto::ThresholdVerifier& group);

}  // namespace rampart::client
