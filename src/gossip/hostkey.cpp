#include "gossip/hostkey.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

namespace rampart::gossip {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;

Status check_kind(EVP_PKEY* p) {
  int id = EVP_PKEY_get_base_id(p);
  if (id == EVP_PKEY_ED25519) return {};
  if (id == EVP_PKEY_RSA) {
    int bits = EVP_PKEY_get_bits(p);
    if (bits < kMinRsaBits || bits > kMaxRsaBits)
      return err("RSA key of " + std::to_string(bits) + " bits (2048..8192 accepted)");
    return {};
  }
  return err("key type " + std::string(OBJ_nid2sn(id)) + " is neither RSA nor Ed25519");
}

// RSA signs a SHA-256 digest; Ed25519 signs the message itself (no digest).
const EVP_MD* md_for(EVP_PKEY* p) { return EVP_PKEY_get_base_id(p) == EVP_PKEY_RSA ? EVP_sha256() : nullptr; }

Result<Bytes> der_of(EVP_PKEY* p) {
  int n = i2d_PUBKEY(p, nullptr);
  if (n <= 0) return err("cannot encode public key: " + openssl_error());
  Bytes out(static_cast<size_t>(n));
  unsigned char* w = out.data();
  if (i2d_PUBKEY(p, &w) != n) return err("cannot encode public key: " + openssl_error());
  return out;
}

}  // namespace

struct HostKey::Key {
  PkeyPtr pkey;
};

Result<HostKey> HostKey::from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return err("out of memory reading PEM");
  PkeyPtr p(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!p) return err("not a PEM private key: " + openssl_error());
  RAMPART_TRY(check_kind(p.get()));
  auto der = der_of(p.get());
  if (!der) return der.error();
  HostKey k;
  k.key_ = std::make_shared<Key>(Key{std::move(p)});
  k.public_der_ = std::move(*der);
  return k;
}

Result<HostKey> HostKey::load_pem_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return err("cannot read host key file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto k = from_pem(ss.str());
  if (!k) return err("host key file " + path + ": " + k.error().message);
  return k;
}

HostKey HostKey::generate_ed25519() {
  PkeyPtr p(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  HostKey k;
  k.public_der_ = *der_of(p.get());
  k.key_ = std::make_shared<Key>(Key{std::move(p)});
  return k;
}

Result<HostKey> HostKey::generate_rsa(int bits) {
  if (bits < kMinRsaBits || bits > kMaxRsaBits) return err("RSA bits must be 2048..8192");
  PkeyPtr p(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  if (!p) return err("RSA key generation failed: " + openssl_error());
  HostKey k;
  auto der = der_of(p.get());
  if (!der) return der.error();
  k.public_der_ = std::move(*der);
  k.key_ = std::make_shared<Key>(Key{std::move(p)});
  return k;
}

std::string HostKey::private_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_->pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string HostKey::kind() const {
  if (EVP_PKEY_get_base_id(key_->pkey.get()) == EVP_PKEY_ED25519) return "ed25519";
  return "rsa-" + std::to_string(EVP_PKEY_get_bits(key_->pkey.get()));
}

Result<Bytes> HostKey::sign(ByteView message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY* p = key_->pkey.get();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md_for(p), nullptr, p) != 1)
    return err("sign init failed: " + openssl_error());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1)
    return err("sign failed: " + openssl_error());
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1)
    return err("sign failed: " + openssl_error());
  sig.resize(len);
  return sig;
}

Status verify_signature(ByteView public_der, ByteView message, ByteView signature) {
  if (public_der.size() > kMaxPublicKeyBytes) return err("public key too large");
  if (signature.size() > kMaxSignatureBytes) return err("signature too large");
  const unsigned char* r = public_der.data();
  PkeyPtr p(d2i_PUBKEY(nullptr, &r, static_cast<long>(public_der.size())));
  if (!p || r != public_der.data() + public_der.size()) {
    ERR_clear_error();
    return err("malformed public key");
  }
  RAMPART_TRY(check_kind(p.get()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md_for(p.get()), nullptr, p.get()) != 1) {
    ERR_clear_error();
    return err("cannot verify with this key");
  }
  int ok = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size());
  ERR_clear_error();
  if (ok != 1) return err("bad signature");
  return {};
}

}  // namespace rampart::gossip
