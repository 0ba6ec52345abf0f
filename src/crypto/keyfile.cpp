#include "crypto/keyfile.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <sodium.h>
#include <toml++/toml.h>

#include "common/codec.hpp"

namespace rampart::crypto::keyfile {
namespace {

std::string octal_mode(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", unsigned(m & 07777));
  return buf;
}

Status write_file(const std::string& path, const std::string& text, bool secret) {
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW;
  int fd = ::open(path.c_str(), flags, secret ? 0600 : 0644);
  if (fd < 0) return err("key file " + path + ": " + std::strerror(errno));
  // O_CREAT's mode only applies to new files: tighten an existing one before writing secrets.
  if (secret && ::fchmod(fd, 0600) != 0) {
    int e = errno;
    ::close(fd);
    return err("key file " + path + ": chmod 0600: " + std::strerror(e));
  }
  size_t off = 0;
  while (off < text.size()) {
    ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return err("key file " + path + ": write: " + std::strerror(e));
    }
    off += size_t(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return err("key file " + path + ": sync failed");
  return {};
}

// Reads the file; for secret files the permission check is made on the open descriptor so the
// file checked is the file read.
Result<std::string> read_file(const std::string& path, bool secret) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return err("key file " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return err("key file " + path + ": " + std::strerror(e));
  }
  if (secret && (st.st_mode & 077) != 0) {
    ::close(fd);
    return err("key file " + path + " holds a secret but is accessible by group/others (mode " +
               octal_mode(st.st_mode) + "); refusing to load it — run: chmod 600 " + path);
  }
  if (st.st_size > (1 << 20)) {
    ::close(fd);
    return err("key file " + path + ": larger than 1 MiB");
  }
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      ::close(fd);
      return err("key file " + path + ": read: " + std::strerror(e));
    }
    if (r == 0) break;
    text.append(buf, size_t(r));
  }
  ::close(fd);
  return text;
}

std::string header(std::string_view type, bool secret) {
  std::string h = secret ? "# rampart key file -- SECRET: keep it private (mode 0600)\n"
                         : "# rampart key file -- public\n";
  h += "format = \"" + std::string(kFormat) + "\"\n";
  h += "type = \"" + std::string(type) + "\"\n";
  return h;
}

std::string hex_line(std::string_view key, ByteView value) {
  return std::string(key) + " = \"" + to_hex(value) + "\"\n";
}

// A parsed key file of the expected type.
struct Doc {
  toml::table table;
  std::string path;

  Result<Bytes> hex(std::string_view key, size_t size) const {
    auto v = table[key].value<std::string>();
    if (!v) return err("key file " + path + ": missing string field '" + std::string(key) + "'");
    Bytes out;
    if (!from_hex(*v, out)) return err("key file " + path + ": field '" + std::string(key) + "' is not hex");
    if (size != 0 && out.size() != size)
      return err("key file " + path + ": field '" + std::string(key) + "' must be " +
                 std::to_string(size) + " bytes");
    return out;
  }
  Result<uint32_t> u32(std::string_view key) const {
    auto v = table[key].value<int64_t>();
    if (!v || *v < 0 || *v > int64_t(UINT32_MAX))
      return err("key file " + path + ": missing or bad integer field '" + std::string(key) + "'");
    return static_cast<uint32_t>(*v);
  }
};

Result<Doc> load(const std::string& path, std::string_view type, bool secret) {
  auto text = read_file(path, secret);
  if (!text) return text.error();
  Doc d;
  d.path = path;
  try {
    d.table = toml::parse(*text, path);
  } catch (const toml::parse_error& e) {
    return err("key file " + path + ": not valid TOML: " + std::string(e.description()));
  }
  if (d.table["format"].value<std::string>() != std::string(kFormat))
    return err("key file " + path + ": not a " + std::string(kFormat) + " file");
  auto t = d.table["type"].value<std::string>();
  if (t != std::string(type))
    return err("key file " + path + ": type is '" + t.value_or("") + "', expected '" +
               std::string(type) + "'");
  return d;
}

}  // namespace

Status write_secret(const std::string& path, const std::string& text) {
  return write_file(path, text, true);
}

Status check_private_permissions(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return err("key file " + path + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0)
    return err("key file " + path + " is accessible by group/others (mode " +
               octal_mode(st.st_mode) + "); run: chmod 600 " + path);
  return {};
}

Status save_ed25519_secret(const std::string& path, const ed25519::KeyPair& kp) {
  auto seed = kp.seed();
  std::string text = header("ed25519-secret", true) + hex_line("public", kp.public_key()) +
                     hex_line("secret", seed);
  sodium_memzero(seed.data(), seed.size());
  Status s = write_file(path, text, true);
  sodium_memzero(text.data(), text.size());
  return s;
}

Result<ed25519::KeyPair> load_ed25519_secret(const std::string& path) {
  auto d = load(path, "ed25519-secret", true);
  if (!d) return d.error();
  auto pub = d->hex("public", ed25519::kPublicKeySize);
  auto sec = d->hex("secret", ed25519::kSeedSize);
  if (!pub) return pub.error();
  if (!sec) return sec.error();
  auto kp = ed25519::KeyPair::from_seed(*sec);
  sodium_memzero(sec->data(), sec->size());
  if (!kp) return kp.error();
  if (!std::equal(pub->begin(), pub->end(), kp->public_key().begin()))
    return err("key file " + path + ": public key does not match the secret");
  return kp;
}

Status save_ed25519_public(const std::string& path, const ed25519::PublicKey& pk) {
  return write_file(path, header("ed25519-public", false) + hex_line("public", pk), false);
}

Result<ed25519::PublicKey> load_ed25519_public(const std::string& path) {
  auto d = load(path, "ed25519-public", false);
  if (!d) return d.error();
  auto pub = d->hex("public", ed25519::kPublicKeySize);
  if (!pub) return pub.error();
  ed25519::PublicKey pk;
  std::copy(pub->begin(), pub->end(), pk.begin());
  return pk;
}

Status save_bls_secret(const std::string& path, const bls::SecretKey& sk) {
  auto sec = sk.to_bytes();
  std::string text = header("bls-secret", true) + hex_line("public", bls::public_key(sk).to_bytes()) +
                     hex_line("pop", bls::prove_possession(sk).to_bytes()) + hex_line("secret", sec);
  sodium_memzero(sec.data(), sec.size());
  Status s = write_file(path, text, true);
  sodium_memzero(text.data(), text.size());
  return s;
}

Result<bls::SecretKey> load_bls_secret(const std::string& path) {
  auto d = load(path, "bls-secret", true);
  if (!d) return d.error();
  auto sec = d->hex("secret", bls::kSecretKeySize);
  if (!sec) return sec.error();
  auto sk = bls::SecretKey::from_bytes(*sec);
  sodium_memzero(sec->data(), sec->size());
  if (!sk) return err("key file " + path + ": " + sk.error().message);
  auto pub = d->hex("public", bls::kPublicKeySize);
  if (!pub) return pub.error();
  auto pk = bls::PublicKey::from_bytes(*pub);
  if (!pk || !(*pk == bls::public_key(*sk)))
    return err("key file " + path + ": public key does not match the secret");
  auto pop = d->hex("pop", bls::kSignatureSize);
  if (!pop) return pop.error();
  auto popsig = bls::Signature::from_bytes(*pop);
  if (!popsig || !bls::verify_possession(*pk, *popsig))
    return err("key file " + path + ": invalid proof of possession");
  return sk;
}

Status save_threshold_share(const std::string& path, const threshold::SecretShare& share) {
  std::array<uint8_t, 32> be;
  blst_bendian_from_scalar(be.data(), &share.sk);
  std::string text = header("bls-threshold-share", true) + "id = " + std::to_string(share.id) +
                     "\n" + hex_line("secret", be);
  sodium_memzero(be.data(), be.size());
  Status s = write_file(path, text, true);
  sodium_memzero(text.data(), text.size());
  return s;
}

Result<threshold::SecretShare> load_threshold_share(const std::string& path) {
  auto d = load(path, "bls-threshold-share", true);
  if (!d) return d.error();
  auto id = d->u32("id");
  auto sec = d->hex("secret", 32);
  if (!id) return id.error();
  if (!sec) return sec.error();
  Writer w;
  w.u32(*id);
  w.raw(*sec);
  sodium_memzero(sec->data(), sec->size());
  Bytes wire = w.take();
  auto s = threshold::SecretShare::decode(wire);
  sodium_memzero(wire.data(), wire.size());
  if (!s) return err("key file " + path + ": " + s.error().message);
  return s;
}

Status save_threshold_public(const std::string& path, const threshold::PublicKeySet& pub) {
  std::string text = header("bls-threshold-public", false);
  text += "t = " + std::to_string(pub.t) + "\n";
  text += hex_line("group", bls::encode_g2(pub.group));
  text += "shares = [\n";
  for (const auto& s : pub.shares) text += "  \"" + to_hex(bls::encode_g2(s)) + "\",\n";
  text += "]\n";
  return write_file(path, text, false);
}

Result<threshold::PublicKeySet> load_threshold_public(const std::string& path) {
  auto d = load(path, "bls-threshold-public", false);
  if (!d) return d.error();
  auto t = d->u32("t");
  auto group = d->hex("group", threshold::kPublicKeySize);
  if (!t) return t.error();
  if (!group) return group.error();
  const toml::array* arr = d->table["shares"].as_array();
  if (!arr || arr->size() > threshold::kMaxNodes)
    return err("key file " + path + ": missing or oversized 'shares' array");
  // Re-use the binary decoder so both paths apply the same checks.
  Writer w;
  w.u32(*t);
  w.u32(static_cast<uint32_t>(arr->size()));
  w.raw(*group);
  for (const auto& el : *arr) {
    auto s = el.value<std::string>();
    Bytes b;
    if (!s || !from_hex(*s, b) || b.size() != threshold::kPublicKeySize)
      return err("key file " + path + ": bad entry in 'shares'");
    w.raw(b);
  }
  auto pub = threshold::PublicKeySet::decode(w.data());
  if (!pub) return err("key file " + path + ": " + pub.error().message);
  return pub;
}

}  // namespace rampart::crypto::keyfile
