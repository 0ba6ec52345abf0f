#include "client/signup.hpp"

#include <fstream>
#include <sstream>

#include "client/verify.hpp"
#include "crypto/keyfile.hpp"

namespace rampart::client {

namespace {
constexpr std::string_view kKeyFormat = "rampart-client-key-v1";

Result<Bytes> hex32(std::string_view s) {
  Bytes b;
  if (s.size() != 64 || !from_hex(s, b) || b.size() != 32) return err("expected 32 bytes of hex");
  return b;
}
}  // namespace

SignupKeys generate_signup_keys() { return {crypto::ed25519::KeyPair::generate(), crypto::bls::SecretKey::random()}; }

Status save_signup_keys(const std::filesystem::path& file, const SignupKeys& keys) {
  std::ostringstream os;
  os << kKeyFormat << "\n" << to_hex(keys.ed25519.seed()) << ' ' << to_hex(keys.bls.to_bytes()) << "\n";
  return crypto::keyfile::write_secret(file.string(), os.str());
}

Result<SignupKeys> load_signup_keys(const std::filesystem::path& file) {
  RAMPART_TRY(crypto::keyfile::check_private_permissions(file.string()));
  std::ifstream in(file);
  if (!in) return err("client key: cannot read " + file.string());
  std::string format, line, extra;
  if (!std::getline(in, format) || format != kKeyFormat)
    return err("client key: " + file.string() + ": first line must be " + std::string(kKeyFormat));
  if (!std::getline(in, line) || std::getline(in, extra)) return err("client key: " + file.string() + ": expected one key line");
  const size_t sp = line.find(' ');
  if (sp == std::string::npos) return err("client key: " + file.string() + ": expected: ed25519-seed bls-secret");
  auto seed = hex32(std::string_view(line).substr(0, sp));
  if (!seed) return err("client key: ed25519 seed: " + seed.error().message);
  auto bls = hex32(std::string_view(line).substr(sp + 1));
  if (!bls) return err("client key: bls secret: " + bls.error().message);
  auto kp = crypto::ed25519::KeyPair::from_seed(*seed);
  if (!kp) return kp.error();
  auto sk = crypto::bls::SecretKey::from_bytes(*bls);
  if (!sk) return sk.error();
  return SignupKeys{*kp, *sk};
}

Result<SignedUp> check_signup_certificate(ByteView cert, const crypto::ThresholdVerifier& group) {
  auto m = decode_message(cert);
  if (!m) return err("sign-up certificate: " + m.error().message);
  if (m->tag != kTagReply) return err("sign-up certificate: not a reply");
  const Reply& r = m->reply;
  if (auto st = verify_reply(r, r.client, r.seq, group); !st) return err("sign-up certificate: " + st.error().message);
  // Only the executor's sign-up answers with this tag (it blanks an application's that would).
  auto s = broker::decode_signup_result(r.result);
  if (!s) return err("sign-up certificate: " + s.error().message);
  if (!s->ok) return err("sign-up certificate: a refused sign-up: " + s->reason);
  if (client_id_of(s->ed25519) != r.client) return err("sign-up certificate: the reply answers another client");
  return SignedUp{s->id, s->ed25519, s->bls, r.k, Bytes(cert.begin(), cert.end())};
}

Result<SignedUp> Client::signup(const crypto::bls::SecretKey& bls) {
  const auto pk = crypto::bls::public_key(bls);
  auto a = call(broker::encode_signup_op(pk, crypto::bls::prove_possession(bls)));
  if (!a) return a.error();
  auto s = broker::decode_signup_result(a->result);
  if (!s) return err("sign-up: the cluster's answer: " + s.error().message);
  if (!s->ok) return err("sign-up refused: " + s->reason);
  if (client_id_of(s->ed25519) != id()) return err("sign-up: the answer names another key");
  if (!(s->bls == pk))
    return err("sign-up: this Ed25519 key signed up before with another BLS key (id " + std::to_string(s->id) + ")");
  return SignedUp{s->id, s->ed25519, s->bls, a->k, encode_reply(a->reply)};
}

}  // namespace rampart::client
