#pragma once
// Key files: small TOML documents, one key (or key set) per file, documented in docs/crypto.md.
//
//   # rampart key file -- secret: keep it mode 0600
//   format = "rampart-key-v1"
//   type   = "ed25519-secret"
//   public = "<hex>"
//   secret = "<hex>"
//
// Files holding secrets are created with mode 0600 (and an existing file is chmod-ed to 0600
// before the secret is written); loading a secret file that group or others may read or write
// fails with an error naming the file, its mode and the chmod that fixes it.
#include <string>

#include "common/result.hpp"
#include "crypto/bls.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/threshold.hpp"

namespace rampart::crypto::keyfile {

inline constexpr std::string_view kFormat = "rampart-key-v1";

Status save_ed25519_secret(const std::string& path, const ed25519::KeyPair& kp);
Result<ed25519::KeyPair> load_ed25519_secret(const std::string& path);
Status save_ed25519_public(const std::string& path, const ed25519::PublicKey& pk);
Result<ed25519::PublicKey> load_ed25519_public(const std::string& path);

// BLS (min_pk) client/broker key: the file also carries the public key and its proof of
// possession, and loading checks that they match the secret.
Status save_bls_secret(const std::string& path, const bls::SecretKey& sk);
Result<bls::SecretKey> load_bls_secret(const std::string& path);

Status save_threshold_share(const std::string& path, const threshold::SecretShare& share);
Result<threshold::SecretShare> load_threshold_share(const std::string& path);
Status save_threshold_public(const std::string& path, const threshold::PublicKeySet& pub);
Result<threshold::PublicKeySet> load_threshold_public(const std::string& path);

// Writes a secret file (any text format) the way every key file is written: created 0600 (an
// existing file tightened first), no symlink followed, fsync'ed.
Status write_secret(const std::string& path, const std::string& text);

// Ok iff the file exists and neither group nor others have any permission on it.
Status check_private_permissions(const std::string& path);

}  // namespace rampart::crypto::keyfile
