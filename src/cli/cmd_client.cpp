// `rampart client signup --config DIR/cluster.toml --key FILE`: signs a client up to the broker
// path's directory through consensus (client/signup.hpp). Creates FILE (Ed25519 and BLS secret
// keys, mode 0600) if it does not exist, else reads it; prints the dense id once the reply's CART
// proof verified, and writes
//   FILE.cert     the sign-up certificate (the proven reply): what a broker needs to learn the
//                 client (`rampart broker-client --signup-certs FILE` hands it to the brokers)
//   FILE.clients  the client's secret keys under its id in the broker clients' key format
//                 (broker/client_keys.hpp, mode 0600): what `rampart broker-client --keys` plays
// Signing up again with the same key gets the same id back.
#include <cstdio>
#include <fstream>

#include "broker/client_keys.hpp"
#include "cli/commands.hpp"
#include "client/client.hpp"
#include "client/signup.hpp"

namespace rampart::cli {

namespace {
struct SignupArgs {
  std::string config, key;
  uint32_t replica = 0;
  int timeout_ms = 3000;
};

int fail(int code, const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.c_str());
  return code;
}

int run_signup(const SignupArgs& a) {
  auto cfg = load_config(a.config);
  if (!cfg) return fail(2, cfg.error().message);
  const bool fresh = !std::filesystem::exists(a.key);
  auto loaded = fresh ? Result<client::SignupKeys>(client::generate_signup_keys()) : client::load_signup_keys(a.key);
  if (!loaded) return fail(2, loaded.error().message);
  const client::SignupKeys& keys = *loaded;
  if (fresh) {
    if (auto st = client::save_signup_keys(a.key, keys); !st) return fail(2, st.error().message);
    std::fprintf(stderr, "new client key written to %s\n", a.key.c_str());
  }
  client::ClientOptions co;
  co.first_replica = a.replica;
  co.timeout = std::chrono::milliseconds(a.timeout_ms);
  co.key = client::SigningKey::of(keys.ed25519);
  auto c = client::Client::create(*cfg, co);
  if (!c) return fail(2, c.error().message);
  auto s = (*c)->signup(keys.bls);
  if (!s) return fail(1, s.error().message);
  std::fprintf(stderr, "verified: batch %llu, group signature ok\n", static_cast<unsigned long long>(s->k));
  const std::string cert = a.key + ".cert";
  {
    std::ofstream out(cert, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(s->certificate.data()), std::streamsize(s->certificate.size()));
    if (!out) return fail(1, "cannot write " + cert);
  }
  if (auto st = broker::save_client_secrets(a.key + ".clients", {{s->id, keys.ed25519, keys.bls}}); !st)
    return fail(1, st.error().message);
  std::printf("id %u\n", s->id);
  return 0;
}
}  // namespace

static Command reg("client", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("client", "a client of the broker path");
  cmd->require_subcommand(1);
  auto a = std::make_shared<SignupArgs>();
  auto* su = cmd->add_subcommand("signup", "sign up to the client directory through consensus; prints the id");
  su->add_option("--config", a->config, "cluster.toml")->required();
  su->add_option("--key", a->key, "the client's key file (created if missing)")->required();
  su->add_option("--replica", a->replica, "replica to ask first");
  su->add_option("--timeout-ms", a->timeout_ms, "per-replica timeout before retrying elsewhere");
  su->callback([a] { exit_code = run_signup(*a); });
});

}  // namespace rampart::cli
