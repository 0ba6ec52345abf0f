#pragma once
// A self-signed TLS certificate for a local gateway (`rampart cluster up`): a P-256 key and an
// X.509 v3 certificate for localhost / 127.0.0.1 / ::1, made through OpenSSL's API (no shell-out
// to the `openssl` tool, no crypto of our own). Browsers and curl are told to trust it
// explicitly (curl --cacert FILE); it is a demonstration certificate, not a deployment's.
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace rampart::gateway {

struct SelfSignedOptions {
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1", "::1"};
  int days = 365;
};

// Writes cert (PEM, 0644) and key (PEM PKCS#8, 0600). Refuses to overwrite either.
Status write_self_signed_certificate(const std::filesystem::path& cert, const std::filesystem::path& key,
                                     const SelfSignedOptions& opt = {});

// SHA-256 of the certificate's SubjectPublicKeyInfo, base64: what Chromium's
// --ignore-certificate-errors-spki-list pins (trust this one key, not every certificate).
Result<std::string> certificate_spki_sha256_base64(const std::filesystem::path& cert);

}  // namespace rampart::gateway
