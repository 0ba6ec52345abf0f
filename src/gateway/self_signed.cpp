#include "gateway/self_signed.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>

namespace rampart::gateway {
namespace fs = std::filesystem;

namespace {
template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Free<X509, X509_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Free<X509_EXTENSION, X509_EXTENSION_free>>;

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// Opens `p` for writing with `mode`, failing if it exists (O_EXCL: no clobbering, and the key
// never exists with looser permissions, not even for a moment).
File create_exclusive(const fs::path& p, mode_t mode) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return nullptr;
  FILE* f = ::fdopen(fd, "w");
  if (!f) ::close(fd);
  return File(f);
}

bool add_ext(X509* x, X509V3_CTX* ctx, int nid, const std::string& value) {
  Ext e(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  return e && X509_add_ext(x, e.get(), -1) == 1;
}
}  // namespace

Status write_self_signed_certificate(const fs::path& cert, const fs::path& key, const SelfSignedOptions& opt) {
  if (fs::exists(cert) || fs::exists(key)) return err("tls: " + cert.string() + " or " + key.string() + " exists already");
  Key pkey(EVP_EC_gen("P-256"));
  if (!pkey) return err("tls: cannot generate a P-256 key");
  Cert x(X509_new());
  if (!x) return err("tls: out of memory");
  X509_set_version(x.get(), 2);  // v3: extensions (subjectAltName) follow
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return err("tls: no randomness for the serial number");
  serial[0] &= 0x7f;  // a positive INTEGER
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  ASN1_INTEGER* sn = bn ? BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get())) : nullptr;
  BN_free(bn);
  if (!sn) return err("tls: cannot set the serial number");
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);  // an hour's leeway for clocks that differ
  X509_gmtime_adj(X509_getm_notAfter(x.get()), static_cast<long>(opt.days) * 24 * 3600);
  X509_set_pubkey(x.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Rampart local cluster"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  std::string san;
  for (const auto& d : opt.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& ip : opt.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  // CA:TRUE lets `curl --cacert` and browsers accept it as its own trust anchor.
  if (!add_ext(x.get(), &ctx, NID_subject_alt_name, san) || !add_ext(x.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE") ||
      !add_ext(x.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
      !add_ext(x.get(), &ctx, NID_ext_key_usage, "serverAuth") || !add_ext(x.get(), &ctx, NID_subject_key_identifier, "hash"))
    return err("tls: cannot add the certificate's extensions");
  if (X509_sign(x.get(), pkey.get(), EVP_sha256()) <= 0) return err("tls: cannot sign the certificate");

  File kf = create_exclusive(key, 0600);
  if (!kf || PEM_write_PrivateKey(kf.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 || std::fflush(kf.get()) != 0)
    return err("tls: cannot write " + key.string());
  File cf = create_exclusive(cert, 0644);
  if (!cf || PEM_write_X509(cf.get(), x.get()) != 1 || std::fflush(cf.get()) != 0) return err("tls: cannot write " + cert.string());
  return {};
}

Result<std::string> certificate_spki_sha256_base64(const fs::path& cert) {
  File f(std::fopen(cert.c_str(), "r"));
  if (!f) return err("tls: cannot read " + cert.string());
  Cert x(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
  if (!x) return err("tls: " + cert.string() + " holds no PEM certificate");
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x.get()), &der);
  if (len <= 0) return err("tls: cannot encode the certificate's public key");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  const bool ok = EVP_Digest(der, static_cast<size_t>(len), md, &mdlen, EVP_sha256(), nullptr) == 1;
  OPENSSL_free(der);
  if (!ok) return err("tls: cannot hash the public key");
  std::string b64(4 * ((mdlen + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), md, static_cast<int>(mdlen));
  b64.resize(static_cast<size_t>(n));
  return b64;
}

}  // namespace rampart::gateway
