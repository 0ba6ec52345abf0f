// `rampart wallet keygen | balance | transfer | atomic-transfer | ledger`: the wallet from the
// command line, straight to the replicas or through a gateway (--gateway URL). Either way every
// answer is printed only after its proof verified against the group key in cluster.toml. Reads
// (balance, ledger) are proven reads by default: a state proof against a signed block from a
// replica's read server (cluster.toml read_port), through a gateway (--gateway) or from an
// observer (--observer HOST:PORT), and --min-height refuses a block older than the one the caller
// knows of (client/wallet_read.hpp). --ordered reads through consensus instead: a CART reply
// whose result answers exactly the operation this command signed, like a transfer's.
#include <cstdio>
#include <functional>
#include <map>

#include "cli/commands.hpp"
#include "client/wallet.hpp"
#include "client/wallet_keys.hpp"
#include "client/wallet_reader.hpp"
#include "client/wallet_reads.hpp"
#include "gateway/gateway_client.hpp"
#include "gateway/json_codec.hpp"
#include "gossip/config.hpp"

namespace rampart::cli {

namespace {
namespace w = app::wallet;

struct Args {
  std::string config, gateway, ca_cert, key, to, account, after, out, observer;
  uint64_t min_height = 0;
  bool insecure_tls = false, all = false, print_json = false, ordered = false;
  uint32_t replica = 0, limit = 100;
  int timeout_ms = 2000;
  uint64_t amount = 0;
  int64_t nonce = -1;
  std::vector<std::string> legs;
};

struct Backend {
  std::unique_ptr<client::WalletClient> direct;
  std::unique_ptr<gateway::GatewayClient> gw;
  std::string via;
  Result<client::WalletOutcome> submit(Bytes op) { return gw ? gw->submit(op) : direct->submit(std::move(op)); }
};

Result<Backend> connect(const Args& a) {
  auto cfg = load_config(a.config);
  if (!cfg) return cfg.error();
  Backend b;
  if (!a.gateway.empty()) {
    gateway::GatewayClientOptions o;
    o.url = a.gateway;
    o.ca_cert = a.ca_cert;
    o.insecure_tls = a.insecure_tls;
    auto g = gateway::GatewayClient::create(*cfg, o);
    if (!g) return g.error();
    b.gw = std::move(*g);
    b.via = "gateway " + a.gateway;
  } else {
    client::ClientOptions co;
    co.first_replica = a.replica;
    co.timeout = std::chrono::milliseconds(a.timeout_ms);
    auto c = client::WalletClient::create(*cfg, co);
    if (!c) return c.error();
    b.direct = std::move(*c);
    b.via = "replicas";
  }
  return b;
}

int fail(const std::string& m, int code = 1) {
  std::fprintf(stderr, "error: %s\n", m.c_str());
  return code;
}

void say_verified(const client::WalletOutcome& o, const std::string& via) {
  std::fprintf(stderr, "verified: block %llu (view %llu), group signature and Merkle proof ok, result answers this operation (via %s)\n",
               static_cast<unsigned long long>(o.answer.reply.k), static_cast<unsigned long long>(o.answer.reply.view), via.c_str());
}

int report(const client::WalletOutcome& o) {
  if (o.result.code != w::Code::ok) {
    std::printf("rejected: %s: %s\n", w::code_name(o.result.code), o.result.reason.c_str());
    return 3;
  }
  for (const auto& e : o.result.entries)
    std::printf("%s %llu (next nonce %llu)\n", to_hex(e.account).c_str(), static_cast<unsigned long long>(e.balance),
                static_cast<unsigned long long>(e.nonce));
  return 0;
}

Result<uint64_t> nonce_of(Backend& b, const w::Account& a) {
  auto r = b.submit(client::make_balance_op(a));
  if (!r) return r.error();
  if (r->result.code != w::Code::ok || r->result.entries.size() != 1) return err("balance read refused: " + r->result.reason);
  return r->result.entries[0].nonce;
}

// A proven read and who serves it: an observer (--observer), a gateway (--gateway) or the
// replicas' read servers (the default). Every answer is verified before it is returned.
struct ProvenSource {
  std::function<Result<client::ProvenRead>(const client::ReadRequest&)> read;
  std::shared_ptr<std::string> via = std::make_shared<std::string>();  // who answered the last read
};

Result<ProvenSource> proven_source(const Args& a) {
  auto cfg = load_config(a.config);
  if (!cfg) return cfg.error();
  ProvenSource s;
  if (!a.observer.empty()) {
    auto at = gossip::parse_address(a.observer);
    if (!at) return err("--observer: " + at.error().message);
    client::WalletReaderOptions o;
    o.host = at->host;
    o.port = at->port;
    o.timeout = std::max(o.timeout, std::chrono::milliseconds(a.timeout_ms));
    auto rd = client::WalletReader::create(*cfg, o);
    if (!rd) return rd.error();
    std::shared_ptr<client::WalletReader> r = std::move(*rd);
    s.read = [r](const client::ReadRequest& q) { return r->read(q); };
    *s.via = "observer " + a.observer;
    return s;
  }
  if (!a.gateway.empty()) {
    auto b = connect(a);
    if (!b) return b.error();
    std::shared_ptr<gateway::GatewayClient> g = std::move(b->gw);
    s.read = [g](const client::ReadRequest& q) { return g->read(q); };
    *s.via = "gateway " + a.gateway;
    return s;
  }
  client::WalletReadsOptions o;
  o.first = a.replica;
  o.timeout = std::max(o.timeout, std::chrono::milliseconds(a.timeout_ms));
  auto rs = client::WalletReads::create(*cfg, o);
  if (!rs) return rs.error();
  std::shared_ptr<client::WalletReads> r = std::move(*rs);
  s.read = [r, via = s.via](const client::ReadRequest& q) -> Result<client::ProvenRead> {
    auto got = r->read(q);
    if (!got) return got.error();
    *via = got->server;  // "read server HOST:PORT"
    return std::move(got->read);
  };
  return s;
}

int report_read(const client::ProvenRead& r, const std::string& via) {
  std::fprintf(stderr,
               "verified: block %llu (view %llu), group signature and state proof ok, the accounts are as of that block (via %s)\n",
               static_cast<unsigned long long>(r.k), static_cast<unsigned long long>(r.view), via.c_str());
  for (const auto& e : r.entries)
    std::printf("%s %llu (next nonce %llu)\n", to_hex(e.account).c_str(), static_cast<unsigned long long>(e.balance),
                static_cast<unsigned long long>(e.nonce));
  return 0;
}

int run_keygen(const Args& a) {
  auto kp = crypto::ed25519::KeyPair::generate();
  if (auto st = client::save_wallet_key(a.out, kp); !st) return fail(st.error().message);
  std::printf("%s\n", to_hex(kp.public_key()).c_str());
  std::fprintf(stderr, "wrote %s (mode 0600); the line above is the account\n", a.out.c_str());
  return 0;
}

int run_balance(const Args& a) {
  w::Account acc{};
  if (!a.key.empty()) {
    auto kp = client::load_wallet_key(a.key);
    if (!kp) return fail(kp.error().message, 2);
    acc = kp->public_key();
  } else {
    auto p = client::parse_account(a.account);
    if (!p) return fail(p.error().message, 2);
    acc = *p;
  }
  if (!a.ordered) {
    auto src = proven_source(a);
    if (!src) return fail(src.error().message, 2);
    auto r = src->read(client::balance_read(acc, a.min_height));
    if (!r) return fail(r.error().message);
    return report_read(*r, *src->via);
  }
  if (!a.observer.empty()) return fail("--ordered reads go through consensus, not to an observer", 2);
  auto b = connect(a);
  if (!b) return fail(b.error().message, 2);
  auto r = b->submit(client::make_balance_op(acc));
  if (!r) return fail(r.error().message);
  say_verified(*r, b->via);
  return report(*r);
}

int run_transfer(const Args& a) {
  auto kp = client::load_wallet_key(a.key);
  if (!kp) return fail(kp.error().message, 2);
  auto to = client::parse_account(a.to);
  if (!to) return fail("--to: " + to.error().message, 2);
  auto b = connect(a);
  if (!b) return fail(b.error().message, 2);
  uint64_t nonce = 0;
  if (a.nonce >= 0) {
    nonce = static_cast<uint64_t>(a.nonce);
  } else {
    auto n = nonce_of(*b, kp->public_key());
    if (!n) return fail(n.error().message);
    nonce = *n;
  }
  const Bytes op = client::make_transfer_op({{&*kp, *to, a.amount, nonce}}, false);
  if (a.print_json) {  // the signed body of POST /v1/transfer, for curl or any HTTP client
    std::printf("%s\n", gateway::leg_json(w::decode_op(op)->legs.at(0)).dump().c_str());
    return 0;
  }
  auto r = b->submit(op);
  if (!r) return fail(r.error().message);
  say_verified(*r, b->via);
  return report(*r);
}

// --leg KEYFILE:TO:AMOUNT, repeated; nonces are read once per account and counted up per leg.
int run_atomic(const Args& a) {
  std::vector<crypto::ed25519::KeyPair> keys;
  std::vector<std::pair<w::Account, uint64_t>> dest;
  for (const auto& leg : a.legs) {
    const auto c1 = leg.find(':'), c2 = leg.rfind(':');
    if (c1 == std::string::npos || c1 == c2) return fail("--leg wants KEYFILE:TO:AMOUNT, got '" + leg + "'", 2);
    auto kp = client::load_wallet_key(leg.substr(0, c1));
    if (!kp) return fail(kp.error().message, 2);
    auto to = client::parse_account(leg.substr(c1 + 1, c2 - c1 - 1));
    if (!to) return fail("--leg " + leg + ": " + to.error().message, 2);
    uint64_t amount = 0;
    try {
      amount = std::stoull(leg.substr(c2 + 1));
    } catch (...) {
      return fail("--leg " + leg + ": bad amount", 2);
    }
    keys.push_back(*kp);
    dest.emplace_back(*to, amount);
  }
  auto b = connect(a);
  if (!b) return fail(b.error().message, 2);
  std::map<w::Account, uint64_t> next;
  std::vector<client::LegSpec> specs;
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto acc = keys[i].public_key();
    if (!next.count(acc)) {
      auto n = nonce_of(*b, acc);
      if (!n) return fail(n.error().message);
      next[acc] = *n;
    }
    specs.push_back({&keys[i], dest[i].first, dest[i].second, next[acc]++});
  }
  auto r = b->submit(client::make_transfer_op(specs, true));
  if (!r) return fail(r.error().message);
  say_verified(*r, b->via);
  return report(*r);
}

int run_ledger(const Args& a) {
  std::optional<w::Account> after;
  if (!a.after.empty()) {
    auto p = client::parse_account(a.after);
    if (!p) return fail("--after: " + p.error().message, 2);
    after = *p;
  }
  if (!a.ordered) {
    auto src = proven_source(a);
    if (!src) return fail(src.error().message, 2);
    uint64_t min_k = a.min_height;
    while (true) {
      auto r = src->read(client::page_read(after, a.limit, min_k));
      if (!r) return fail(r.error().message);
      report_read(*r, *src->via);
      if (!r->more) break;
      if (!a.all) {
        std::printf("(more: --after %s --min-height %llu)\n", to_hex(r->entries.back().account).c_str(),
                    static_cast<unsigned long long>(r->k));
        break;
      }
      after = r->entries.back().account;
      min_k = r->k;  // the next page from the same block or a later one, never an older one
    }
    return 0;
  }
  if (!a.observer.empty()) return fail("--ordered reads go through consensus, not to an observer", 2);
  auto b = connect(a);
  if (!b) return fail(b.error().message, 2);
  while (true) {
    auto r = b->submit(client::make_page_op(after, a.limit));
    if (!r) return fail(r.error().message);
    say_verified(*r, b->via);
    if (int rc = report(*r); rc != 0) return rc;
    if (!r->result.more) break;
    if (!a.all) {
      std::printf("(more: --after %s)\n", to_hex(r->result.entries.back().account).c_str());
      break;
    }
    after = r->result.entries.back().account;
  }
  return 0;
}
}  // namespace

static Command reg("wallet", [](CLI::App& app) {
  auto* wl = app.add_subcommand("wallet", "the BFT wallet: keys, balances, transfers (every answer verified)");
  wl->require_subcommand(1);
  auto a = std::make_shared<Args>();
  auto common = [a](CLI::App* c) {
    c->add_option("--config", a->config, "cluster.toml (the group public key every proof is checked against)")->required();
    c->add_option("--gateway", a->gateway, "talk to this gateway (https://HOST:PORT) instead of the replicas");
    c->add_option("--ca-cert", a->ca_cert, "PEM the gateway's TLS certificate must chain to");
    c->add_flag("--insecure-tls", a->insecure_tls, "do not check the gateway's certificate (proofs are still verified)");
    c->add_option("--replica", a->replica, "replica to ask first");
    c->add_option("--timeout-ms", a->timeout_ms, "per-replica timeout before retrying elsewhere");
  };
  auto* kg = wl->add_subcommand("keygen", "new account: an Ed25519 key file (0600); prints the account");
  kg->add_option("--out", a->out, "key file to write")->required();
  kg->callback([a] { exit_code = run_keygen(*a); });
  auto* bal = wl->add_subcommand("balance", "balance and next nonce of ACCOUNT (or of --key's account)");
  common(bal);
  bal->add_option("ACCOUNT", a->account, "64 hex digits");
  bal->add_option("--key", a->key, "wallet key file whose account to read");
  auto reads = [a](CLI::App* c) {
    c->add_option("--observer", a->observer, "read from this observer (`rampart observer --serve HOST:PORT`) instead; its proof is verified");
    c->add_option("--min-height", a->min_height, "refuse a proven answer from a block below this one (e.g. your last transfer's)");
    c->add_flag("--ordered", a->ordered, "read through consensus (a CART reply) instead of a proven read of the latest final block");
  };
  reads(bal);
  bal->callback([a] { exit_code = run_balance(*a); });
  auto* tr = wl->add_subcommand("transfer", "send AMOUNT from --key's account to --to");
  common(tr);
  tr->add_option("--key", a->key, "wallet key file of the sender")->required();
  tr->add_option("--to", a->to, "receiving account (64 hex digits)")->required();
  tr->add_option("--amount", a->amount, "amount (>= 1)")->required();
  tr->add_option("--nonce", a->nonce, "sender's nonce (default: read it first)");
  tr->add_flag("--print-json", a->print_json, "print the signed JSON body for a gateway's POST /v1/transfer instead of sending it");
  tr->callback([a] { exit_code = run_transfer(*a); });
  auto* at = wl->add_subcommand("atomic-transfer", "several transfers, all or nothing");
  common(at);
  at->add_option("--leg", a->legs, "KEYFILE:TO:AMOUNT (repeat)")->required();
  at->callback([a] { exit_code = run_atomic(*a); });
  auto* lg = wl->add_subcommand("ledger", "accounts and balances in account order");
  common(lg);
  lg->add_option("--after", a->after, "start after this account");
  lg->add_option("--limit", a->limit, "accounts per page (1..256)")->default_val(100);
  lg->add_flag("--all", a->all, "follow every page");
  reads(lg);
  lg->callback([a] { exit_code = run_ledger(*a); });
});

}  // namespace rampart::cli
