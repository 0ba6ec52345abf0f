// PBFT wire messages (src/consensus/pbft/messages.hpp) as any peer may send them: every decoder
// gets the input, may not read out of bounds or allocate from an unchecked length, and whatever
// it accepts must respect the size limits and re-encode to exactly the input. For the messages
// the encoder signs, a signer that hands back the decoded signature must be asked to sign
// exactly the first signed_len bytes of the input (what receivers verify). The VIEW-CHANGEs
// inside a NEW-VIEW get the same checks, and peek_type must agree with whichever decoder accepts.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "consensus/pbft/messages.hpp"
#include "crypto/interfaces.hpp"

using namespace rampart;
using namespace rampart::consensus;
using namespace rampart::consensus::pbft;

namespace {

bool same(const Bytes& a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void require(bool ok) {
  if (!ok) __builtin_trap();
}

// "Signs" by returning the signature the decoder found, after checking it is asked to sign the
// signed part of the input.
class ReplaySigner : public crypto::Signer {
 public:
  ReplaySigner(ByteView expect, const Bytes& sig) : expect_(expect), sig_(sig) {}
  Bytes sign(ByteView msg) const override {
    require(same(Bytes(msg.begin(), msg.end()), expect_));
    ++calls;
    return sig_;
  }
  mutable int calls = 0;

 private:
  ByteView expect_;
  const Bytes& sig_;
};

bool sigs_ok(const std::vector<SigOf>& sigs) {
  if (sigs.size() > kMaxReplicas) return false;
  for (const auto& s : sigs)
    if (s.sig.size() > kMaxSig) return false;
  return true;
}

void typed(ByteView in, MsgType t) {
  auto p = peek_type(in);
  require(p.ok() && *p == t);
}

// A signed message: the signature is the u32-length tail after signed_len, and re-encoding with
// that signature gives back the input, signing exactly the prefix.
template <typename M, typename Enc>
void signed_round_trip(ByteView in, const M& m, Enc encode) {
  require(m.sig.size() <= kMaxSig && m.signed_len + 4 + m.sig.size() == in.size());
  ReplaySigner signer(in.first(m.signed_len), m.sig);
  require(same(encode(m, signer), in) && signer.calls == 1);
}

bool check_view_change(ByteView in) {
  auto m = decode_view_change(in);
  if (!m.ok()) return false;
  typed(in, MsgType::view_change);
  require(sigs_ok(m->stable.sigs) && m->prepared.size() <= kMaxEntries);
  for (const auto& c : m->prepared) {
    require(c.batch.size() <= kMaxBatch && c.pp_sig.size() <= kMaxSig && sigs_ok(c.prepares));
  }
  signed_round_trip(in, *m, encode_view_change);
  return true;
}

int decode_all(ByteView in) {
  int accepted = 0;
  if (auto m = decode_pre_prepare(in); m.ok()) {
    ++accepted;
    typed(in, MsgType::pre_prepare);
    require(m->sig.size() <= kMaxSig && m->batch.size() <= kMaxBatch);
    require(same(encode_pre_prepare(*m), in));
    // The signed body is the input's prefix, rebuilt from the fields.
    Bytes body = pre_prepare_body(m->view, m->seq, m->digest);
    require(body.size() <= in.size() && std::equal(body.begin(), body.end(), in.begin()));
  }
  if (auto m = decode_vote(in); m.ok()) {
    ++accepted;
    require(m->type == MsgType::prepare || m->type == MsgType::commit);
    typed(in, m->type);
    require(m->sig.size() <= kMaxSig);
    require(same(encode_vote(*m), in));
    Bytes body = vote_body(m->type, m->view, m->seq, m->digest, m->replica);
    require(body.size() + 4 + m->sig.size() == in.size() &&
            std::equal(body.begin(), body.end(), in.begin()));
  }
  if (auto m = decode_checkpoint(in); m.ok()) {
    ++accepted;
    typed(in, MsgType::checkpoint);
    require(m->sig.size() <= kMaxSig);
    require(same(encode_checkpoint(*m), in));
    Bytes body = checkpoint_body(m->seq, m->state, m->replica);
    require(body.size() + 4 + m->sig.size() == in.size() &&
            std::equal(body.begin(), body.end(), in.begin()));
  }
  if (check_view_change(in)) ++accepted;
  if (auto m = decode_new_view(in); m.ok()) {
    ++accepted;
    typed(in, MsgType::new_view);
    require(m->view_changes.size() <= kMaxReplicas && m->entries.size() <= kMaxEntries);
    for (const auto& e : m->entries) require(e.pp_sig.size() <= kMaxSig);
    signed_round_trip(in, *m, encode_new_view);
    // The replica decodes each as a VIEW-CHANGE (view_change.cpp, handle_new_view).
    for (const auto& vc : m->view_changes) (void)check_view_change(vc);
  }
  if (auto m = decode_status(in); m.ok()) {
    ++accepted;
    typed(in, MsgType::status);
    signed_round_trip(in, *m, encode_status);
  }
  if (auto m = decode_catchup(in); m.ok()) {
    ++accepted;
    typed(in, MsgType::catchup);
    require(m->cert.pp_sig.size() <= kMaxSig && sigs_ok(m->cert.commits) &&
            m->cert.batch.size() <= kMaxBatch);
    signed_round_trip(in, *m, encode_catchup);
  }
  if (auto m = decode_stable_proof(in); m.ok()) {
    ++accepted;
    typed(in, MsgType::stable_proof);
    require(sigs_ok(m->proof.sigs));
    signed_round_trip(in, *m, encode_stable_proof);
  }
  return accepted;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  require(decode_all(in) <= 1);  // one type byte, one decoder
  return 0;
}
