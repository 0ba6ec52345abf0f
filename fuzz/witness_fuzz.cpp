// A WITNESS message (src/replica/peer_msg.hpp, replica/witness.hpp) as Replica::on_peer gets it
// from any peer, with the sender id taken from the input: the decoder must not read out of
// bounds or allocate from an unchecked length, whatever decodes re-encodes to exactly the
// message, and the witness book changes only for a valid signature from a designated witness
// (the fuzzer cannot make one: the verifier below accepts only the real signer's statement).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "common/metrics_registry.hpp"
#include "replica/peer_msg.hpp"
#include "replica/witness.hpp"

using namespace rampart;
using namespace rampart::replica;

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

// Signature = signer id then the statement (as tests/replica/witness_test.cpp).
class FakeSigner final : public crypto::Signer {
 public:
  explicit FakeSigner(uint32_t id) : id_(id) {}
  Bytes sign(ByteView msg) const override {
    Bytes s{static_cast<uint8_t>(id_)};
    s.insert(s.end(), msg.begin(), msg.end());
    return s;
  }

 private:
  uint32_t id_;
};

class FakeVerifier final : public crypto::Verifier {
 public:
  bool verify(crypto::NodeId signer, ByteView msg, ByteView sig) const override {
    Bytes want = FakeSigner(signer).sign(msg);
    return sig.size() == want.size() && std::equal(sig.begin(), sig.end(), want.begin());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint32_t from = data[0] % 6;  // ids 4 and 5 are no replica of the 4
  ByteView msg(data + 1, size - 1);
  ByteView body = msg.subspan(1);
  auto m = decode_witness(body);
  if (!m) return 0;
  require(m->sig.size() <= kMaxWitnessSig);
  const Bytes again = encode_witness(*m);
  require((again.size() == msg.size() && std::equal(again.begin(), again.end(), msg.begin())) ==
          (msg[0] == static_cast<uint8_t>(PeerTag::witness)));

  metrics::Registry reg;
  FakeSigner self(0);
  FakeVerifier verifier;
  WitnessBook book({0, 4, 1}, self, verifier, reg);
  const auto added = book.add(from, *m);
  const bool valid = from < 4 && from != 0 && WitnessBook::is_witness(from, m->origin, 4, 1) &&
                     verifier.verify(from, witness_statement(m->origin, m->digest), m->sig);
  require((added == WitnessBook::Added::counted) == valid);
  require(book.size() == (valid ? 1u : 0u));
  require(!book.certified(m->digest));  // one vote is never f + 1
  return 0;
}
