// `rampart kv put --config F KEY VALUE` / `rampart kv get --config F KEY` / `kv del`: a client
// that prints only answers whose CART proof verified against the group public key.
#include <cstdio>

#include "app/kv/op.hpp"
#include "cli/commands.hpp"
#include "client/client.hpp"

namespace rampart::cli {

namespace {
int run_kv(const std::string& config, const app::kv::Op& op, uint32_t replica, int timeout_ms) {
  auto cfg = load_config(config);
  if (!cfg) {
    std::fprintf(stderr, "error: %s\n", cfg.error().message.c_str());
    return 2;
  }
  client::ClientOptions co;
  co.first_replica = replica;
  co.timeout = std::chrono::milliseconds(timeout_ms);
  auto c = client::Client::create(*cfg, co);
  if (!c) {
    std::fprintf(stderr, "error: %s\n", c.error().message.c_str());
    return 2;
  }
  auto ans = (*c)->call(app::kv::encode_op(op));
  if (!ans) {
    std::fprintf(stderr, "error: %s\n", ans.error().message.c_str());
    return 1;
  }
  auto res = app::kv::decode_result(ans->result);
  if (!res) {
    std::fprintf(stderr, "error: undecodable result: %s\n", res.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "verified: batch %llu, group signature ok, via replica %u\n",
               static_cast<unsigned long long>(ans->k), ans->replica);
  switch (res->code) {
    case app::kv::Code::ok:
      if (op.type == app::kv::OpType::get)
        std::printf("%s\n", to_string(res->value).c_str());
      else
        std::printf("OK\n");
      return 0;
    case app::kv::Code::not_found:
      std::printf("(not found)\n");
      return 4;
    default:
      std::printf("(bad operation)\n");
      return 1;
  }
}
}  // namespace

static Command reg("kv", [](CLI::App& app) {
  auto* kv = app.add_subcommand("kv", "key-value operations against a cluster (replies verified)");
  kv->require_subcommand(1);
  struct Args {
    std::string config, key, value;
    uint32_t replica = 0;
    int timeout_ms = 3000;
  };
  auto a = std::make_shared<Args>();
  auto common = [a](CLI::App* c) {
    c->add_option("--config", a->config, "cluster.toml")->required();
    c->add_option("--replica", a->replica, "replica to ask first");
    c->add_option("--timeout-ms", a->timeout_ms, "per-replica timeout before retrying elsewhere");
    c->add_option("KEY", a->key)->required();
  };
  auto* put = kv->add_subcommand("put", "set KEY to VALUE");
  common(put);
  put->add_option("VALUE", a->value)->required();
  put->callback([a] { exit_code = run_kv(a->config, app::kv::put(a->key, a->value), a->replica, a->timeout_ms); });
  auto* get = kv->add_subcommand("get", "read KEY");
  common(get);
  get->callback([a] { exit_code = run_kv(a->config, app::kv::get(a->key), a->replica, a->timeout_ms); });
  auto* del = kv->add_subcommand("del", "delete KEY");
  common(del);
  del->callback([a] { exit_code = run_kv(a->config, app::kv::del(a->key), a->replica, a->timeout_ms); });
});

}  // namespace rampart::cli
