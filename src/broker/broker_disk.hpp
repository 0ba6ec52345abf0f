#pragma once
// What a broker process keeps across its restarts, in its data folder (docs/brokers.md,
// "Restarts"):
//   - `numbers`: the highest batch number it reserved. A restarted broker starts above it, so a
//     batch never shares its (broker, number) with one from before the restart, whose delivery
//     certificate may still be on its way. Numbers are reserved kReserveStep at a time, one
//     fsync per step, before any of them is used.
//   - `signups`: the sign-up certificates it learnt clients from (each record: u32 length, the
//     certificate). Loading checks each again against the group key, so a file someone edited
//     can only lose clients, never add one; a torn last record (a crash mid-append) is cut off.
#include <filesystem>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::broker {

class BrokerDisk {
 public:
  static constexpr uint64_t kReserveStep = 1024;
  static Result<BrokerDisk> open(const std::filesystem::path& dir);

  // The number the first batch of this run gets: above every number reserved before.
  uint64_t first_number() const { return first_number_; }
  // Makes sure a restart starts above `number` (called before batch `number` is announced).
  Status reserve_through(uint64_t number);

  // The certificates loaded at open, oldest first (not checked yet: the caller checks them).
  const std::vector<Bytes>& certificates() const { return certificates_; }
  Status remember_certificate(ByteView cert);

 private:
  std::filesystem::path dir_;
  uint64_t first_number_ = 1;
  uint64_t reserved_ = 0;
  std::vector<Bytes> certificates_;
};

}  // namespace rampart::broker
