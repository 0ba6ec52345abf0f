#pragma once
// The module's host key (the INI file's `hostkey`): a PEM private key, RSA or Ed25519, read
// and used through OpenSSL. The course's examples use RSA-4096. Peers see the public key as
// DER SubjectPublicKeyInfo, and the module's identity is BLAKE3 over it and the P2P address
// (identity.hpp). Signatures: Ed25519 as is; RSA with PKCS#1 v1.5 over SHA-256.
#include <memory>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::gossip {

class HostKey {
 public:
  static Result<HostKey> load_pem_file(const std::string& path);
  static Result<HostKey> from_pem(std::string_view pem);
  // Fresh keys (tests, benchmarks); RSA bits >= 2048.
  static HostKey generate_ed25519();
  static Result<HostKey> generate_rsa(int bits);

  // PKCS#8 PEM of the private key (for writing test key files).
  std::string private_pem() const;
  // DER SubjectPublicKeyInfo: what peers see and identities hash.
  const Bytes& public_der() const { return public_der_; }
  std::string kind() const;  // "ed25519" or "rsa-<bits>"
  Result<Bytes> sign(ByteView message) const;

 private:
  struct Key;
  std::shared_ptr<Key> key_;
  Bytes public_der_;
};

// Largest public key and signature accepted from a peer (RSA up to 8192 bits fits).
inline constexpr size_t kMaxPublicKeyBytes = 1100;
inline constexpr size_t kMaxSignatureBytes = 1024;

// Checks a signature made by HostKey::sign with the key whose DER SubjectPublicKeyInfo is
// given. Refuses keys other than Ed25519 and RSA of 2048..8192 bits.
Status verify_signature(ByteView public_der, ByteView message, ByteView signature);

}  // namespace rampart::gossip
