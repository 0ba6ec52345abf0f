#include "node/misbehave.hpp"

#include "app/wallet/op.hpp"
#include "ledger/block.hpp"
#include "replica/client_wire.hpp"
#include "replica/peer_msg.hpp"

namespace rampart::node {

namespace {
const metrics::Declared kLies{"rampart_misbehaviour_lies_total",
                              "messages this replica altered as a Byzantine replica (--misbehave; tests only)"};
}  // namespace

Result<Misbehaviour> parse_misbehaviour(std::string_view list) {
  Misbehaviour m;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    if (item == "bad-shares") {
      m.bad_shares = true;
    } else if (item == "lie-results") {
      m.lie_results = true;
    } else if (item != "none") {
      return err("--misbehave: unknown behaviour '" + std::string(item) + "' (bad-shares, lie-results, none)");
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return m;
}

Bytes Liar::peer(Bytes wire) {
  if (!m_.bad_shares || wire.empty()) return wire;
  const auto tag = static_cast<replica::PeerTag>(wire[0]);
  if (tag != replica::PeerTag::share && tag != replica::PeerTag::proof) return wire;
  auto m = replica::decode_share(ByteView(wire).subspan(1));
  if (!m) return wire;
  // The right (view, k, hash) on the envelope, a genuine signature of ours underneath, over a
  // block that does not exist: only a pairing check tells it from a true share.
  Hash32 other = m->hash;
  other[0] ^= 0x5a;
  m->share = signer_.sign_share(ledger::proof_message(m->view, m->k, other));
  reg_[kLies]++;
  return replica::encode_share(*m, tag);
}

Bytes Liar::reply(ByteView frame) {
  Bytes out(frame.begin(), frame.end());
  if (!m_.lie_results) return out;
  auto msg = client::decode_message(frame);
  if (!msg || msg->tag != client::kTagReply) return out;
  client::Reply& r = msg->reply;
  if (auto w = app::wallet::decode_result(r.result); w && !w->entries.empty()) {
    for (auto& e : w->entries) e.balance += 1000000;  // a plausible lie: richer than you are
    r.result = app::wallet::encode_result(*w);
  } else if (r.result.empty()) {
    r.result.push_back(1);
  } else {
    r.result[0] ^= 0x5a;
  }
  reg_[kLies]++;
  return client::encode_reply(r);
}

void Liar::read(client::ReadResponse& r) {
  if (!m_.lie_results || r.status != client::ReadStatus::ok || !r.proof) return;
  for (auto& e : r.proof->accounts.entries) e.balance += 1000000;
  reg_[kLies]++;
}

}  // namespace rampart::node
