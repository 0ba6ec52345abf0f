#include "broker/broker_disk.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace rampart::broker {
namespace {

namespace fs = std::filesystem;
constexpr uint32_t kMaxCertificate = 1 << 20;  // far above a sign-up reply; a bigger length is a torn record

Status fail(const std::string& what, const fs::path& p) {
  return err("broker data: " + what + " " + p.string() + ": " + std::strerror(errno));
}

Status write_all(int fd, const uint8_t* p, size_t n, const fs::path& file) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return fail("cannot write", file);
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

Status sync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return fail("cannot open", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status{} : fail("cannot sync", dir);
}

}  // namespace

Result<BrokerDisk> BrokerDisk::open(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return err("broker data: cannot create " + dir.string() + ": " + ec.message());
  BrokerDisk d;
  d.dir_ = dir;
  if (std::ifstream in(dir / "numbers"); in) {
    std::string word;
    uint64_t v = 0;
    if (!(in >> word >> v) || word != "reserved") return err("broker data: " + (dir / "numbers").string() + " is malformed");
    d.reserved_ = v;
  }
  d.first_number_ = d.reserved_ + 1;

  const fs::path log = dir / "signups";
  std::ifstream in(log, std::ios::binary);
  uint64_t good = 0;  // bytes of complete records
  while (in) {
    uint8_t len[4];
    if (!in.read(reinterpret_cast<char*>(len), 4)) break;
    const uint32_t n = uint32_t(len[0]) | uint32_t(len[1]) << 8 | uint32_t(len[2]) << 16 | uint32_t(len[3]) << 24;
    if (n == 0 || n > kMaxCertificate) break;
    Bytes cert(n);
    if (!in.read(reinterpret_cast<char*>(cert.data()), n)) break;
    d.certificates_.push_back(std::move(cert));
    good += 4 + n;
  }
  in.close();
  if (fs::exists(log) && fs::file_size(log) != good) fs::resize_file(log, good);  // the torn tail
  return d;
}

Status BrokerDisk::reserve_through(uint64_t number) {
  if (number <= reserved_) return {};
  const uint64_t upto = number + kReserveStep - 1;
  const fs::path tmp = dir_ / "numbers.tmp", file = dir_ / "numbers";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return fail("cannot create", tmp);
  const std::string text = "reserved " + std::to_string(upto) + "\n";
  Status st = write_all(fd, reinterpret_cast<const uint8_t*>(text.data()), text.size(), tmp);
  if (st && ::fsync(fd) != 0) st = fail("cannot sync", tmp);
  ::close(fd);
  if (!st) return st;
  if (::rename(tmp.c_str(), file.c_str()) != 0) return fail("cannot rename onto", file);
  RAMPART_TRY(sync_dir(dir_));
  reserved_ = upto;
  return {};
}

Status BrokerDisk::remember_certificate(ByteView cert) {
  if (cert.empty() || cert.size() > kMaxCertificate) return err("broker data: certificate of " + std::to_string(cert.size()) + " bytes");
  const fs::path file = dir_ / "signups";
  const bool fresh = !fs::exists(file);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) return fail("cannot open", file);
  const off_t before = ::lseek(fd, 0, SEEK_END);
  const uint32_t n = static_cast<uint32_t>(cert.size());
  const uint8_t len[4] = {uint8_t(n), uint8_t(n >> 8), uint8_t(n >> 16), uint8_t(n >> 24)};
  Status st = write_all(fd, len, 4, file);
  if (st) st = write_all(fd, cert.data(), cert.size(), file);
  if (st && ::fsync(fd) != 0) st = fail("cannot sync", file);
  if (!st && before >= 0 && ::ftruncate(fd, before) != 0) {
  }  // best effort: a torn record left behind is cut off when the file is next opened
  ::close(fd);
  if (st && fresh) st = sync_dir(dir_);
  if (st) certificates_.emplace_back(cert.begin(), cert.end());
  return st;
}

}  // namespace rampart::broker
