// Drives the Reader with an input-chosen sequence of reads: it must never read out of bounds,
// never allocate from an unchecked length, and report failure as a value.
#include <cstddef>
#include <cstdint>

#include "common/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t nops = data[0] % 32;
  rampart::ByteView ops(data + 1, size - 1 < nops ? size - 1 : nops);
  rampart::ByteView input(data + 1 + ops.size(), size - 1 - ops.size());
  for (auto endian : {rampart::Endian::little, rampart::Endian::big}) {
    rampart::Reader r(input, endian);
    for (uint8_t op : ops) {
      switch (op % 9) {
        case 0: r.u8(); break;
        case 1: r.u16(); break;
        case 2: r.u32(); break;
        case 3: r.u64(); break;
        case 4: r.boolean(); break;
        case 5: r.bytes(op); break;
        case 6: r.fixed<32>(); break;
        case 7: {
          size_t n = r.count(1 << 16, 8);
          for (size_t i = 0; i < n; ++i) r.u64();
          break;
        }
        case 8: r.raw(op % 17); break;
      }
    }
    auto st = r.finish();
    if (r.remaining() > input.size()) __builtin_trap();
    (void)st;
  }
  return 0;
}
