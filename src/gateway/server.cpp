#include "gateway/server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>

#include "client/wallet.hpp"
#include "gateway/block_feed.hpp"
#include "gateway/client_pool.hpp"
#include "gateway/dashboard.hpp"
#include "gateway/json_codec.hpp"
#include "gateway/openapi.hpp"
#include "gateway/read_json.hpp"
#include "gateway/read_pool.hpp"
#include "gateway/replica_probe.hpp"
#include "gateway/request_stats.hpp"

namespace rampart::gateway {
namespace w = app::wallet;
using nlohmann::json;

struct Gateway::Impl {
  GatewayOptions opt;
  std::unique_ptr<httplib::Server> srv;
  uint16_t port = 0;
  ClientPool pool;
  std::unique_ptr<ReadPool> reads;  // proven reads from the replicas' read servers
  BlockFeed feed;
  RequestStats stats;
  std::unique_ptr<ReplicaProbe> probe;
  std::atomic<uint64_t> served{0}, rejected_overload{0}, unavailable{0}, proven_reads{0};
  std::atomic<bool> stopping{false};

  static void send_json(httplib::Response& res, int status, const json& j, const char* type = "application/json") {
    res.status = status;
    res.set_content(j.dump(), type);
  }
  static void send_problem(httplib::Response& res, const Problem& p, json extra = json::object()) {
    json j = p.to_json();
    for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
    if (p.status == 429) res.set_header("Retry-After", "1");
    send_json(res, p.status, j, "application/problem+json");
  }

  // One operation through consensus: 429 when no client frees up in time, 503 when the cluster
  // does not answer with a verified reply, else the result with its proof (a cluster rejection
  // is a problem that still carries both).
  void submit(httplib::Response& res, const Bytes& op, bool atomic) {
    auto lease = pool.acquire(opt.queue_wait);
    if (!lease) {
      rejected_overload++;
      return send_problem(res, Problem{429, "overloaded", "Too many requests", "every cluster client of this gateway is busy; retry", ""});
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto out = lease->submit(op);
    if (!out) {
      unavailable++;
      return send_problem(res, Problem{503, "cluster-unavailable", "Cluster unavailable", out.error().message, ""});
    }
    served++;
    stats.record(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
    feed.note(out->answer.reply);
    json body{{"result", result_json(out->result)}, {"operation", to_hex(out->op)}, {"proof", reply_proof_json(out->answer.reply)}};
    if (out->result.code == w::Code::ok) return send_json(res, 200, body);
    send_problem(res, result_problem(out->result, atomic), body);
  }

  // A balance or ledger page without a consensus round: a state proof from one of the replicas'
  // read servers, verified here before it is passed on (a read failing verification, or not
  // answered in time, went to the next server). 503 when none answered: "height-not-reached"
  // when they all stayed below min_k, else "cluster-unavailable".
  void proven_read(httplib::Response& res, const client::ReadRequest& r) {
    const auto t0 = std::chrono::steady_clock::now();
    auto out = reads->read(r);
    if (!out.read) {
      unavailable++;
      if (out.failure == client::ReadsFailure::not_at_height) {
        res.set_header("Retry-After", "1");
        return send_problem(res, Problem{503, "height-not-reached", "Height not reached",
                                         "no read server has reached block " + std::to_string(r.min_k) + " yet: " +
                                             out.read.error().message,
                                         "min_k"});
      }
      return send_problem(res, Problem{503, "cluster-unavailable", "Cluster unavailable", out.read.error().message, ""});
    }
    served++;
    proven_reads++;
    stats.record(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
    send_json(res, 200, proven_read_json(*out.read, r.min_k));
  }

  // ?ordered=true|false and ?min_k=K of the two read routes.
  struct ReadParams {
    bool ordered = false;
    uint64_t min_k = 0;
  };
  static std::optional<ReadParams> read_params(const httplib::Request& req, httplib::Response& res) {
    ReadParams p;
    if (req.has_param("ordered")) {
      const std::string v = req.get_param_value("ordered");
      if (v != "true" && v != "false") {
        send_problem(res, bad_request("bad-ordered", "Bad ordered flag", "ordered must be true or false", "ordered"));
        return std::nullopt;
      }
      p.ordered = v == "true";
    }
    if (req.has_param("min_k")) {
      const std::string v = req.get_param_value("min_k");
      auto [e, ec] = std::from_chars(v.data(), v.data() + v.size(), p.min_k);
      if (v.empty() || ec != std::errc() || e != v.data() + v.size()) {
        send_problem(res, bad_request("bad-min-k", "Bad min_k", "min_k must be a block number (an integer >= 0)", "min_k"));
        return std::nullopt;
      }
    }
    return p;
  }

  // Query parameters outside `known` are refused, like unknown JSON fields.
  static bool only_params(const httplib::Request& req, httplib::Response& res, std::initializer_list<const char*> known) {
    for (const auto& [k, v] : req.params) {
      bool ok = false;
      for (const char* n : known) ok |= k == n;
      if (!ok) {
        send_problem(res, bad_request("unknown-field", "Unknown parameter", "unknown query parameter '" + k + "'", k));
        return false;
      }
    }
    return true;
  }

  json status() const {
    json reps = json::array();
    for (const auto& r : opt.cfg.replicas)
      reps.push_back({{"id", r.id}, {"host", r.host}, {"client_port", r.client_port}, {"metrics_port", r.metrics_port},
                      {"read_port", r.read_port}});
    return json{{"app", opt.cfg.app},
                {"n", opt.cfg.n()},
                {"f", opt.cfg.f},
                {"protocol", opt.cfg.protocol},
                {"replicas", reps},
                {"latest_block", feed.latest()},
                {"gateway", {{"clients", pool.size()}, {"in_use", pool.in_use()}, {"served", served.load()},
                             {"proven_reads", proven_reads.load()}, {"rejected_overload", rejected_overload.load()},
                             {"unavailable", unavailable.load()}}}};
  }

  void routes_on(httplib::Server& s) {
    s.Post("/v1/transfer", [this](const httplib::Request& req, httplib::Response& res) {
      auto op = parse_transfer_body(req.body, false);
      if (auto* p = std::get_if<Problem>(&op)) return send_problem(res, *p);
      submit(res, std::get<Bytes>(op), false);
    });
    s.Post("/v1/atomic-transfer", [this](const httplib::Request& req, httplib::Response& res) {
      auto op = parse_transfer_body(req.body, true);
      if (auto* p = std::get_if<Problem>(&op)) return send_problem(res, *p);
      submit(res, std::get<Bytes>(op), true);
    });
    s.Get(R"(/v1/balance/([^/]*))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!only_params(req, res, {"ordered", "min_k"})) return;
      auto a = parse_account_field(req.matches[1].str(), "account");
      if (auto* p = std::get_if<Problem>(&a)) return send_problem(res, *p);
      auto rp = read_params(req, res);
      if (!rp) return;
      const auto& acc = std::get<w::Account>(a);
      if (rp->ordered) return submit(res, client::make_balance_op(acc), false);
      proven_read(res, client::balance_read(acc, rp->min_k));
    });
    s.Get("/v1/ledger", [this](const httplib::Request& req, httplib::Response& res) {
      if (!only_params(req, res, {"after", "limit", "ordered", "min_k"})) return;
      std::optional<w::Account> after;
      if (req.has_param("after") && !req.get_param_value("after").empty()) {
        auto a = parse_account_field(req.get_param_value("after"), "after");
        if (auto* p = std::get_if<Problem>(&a)) return send_problem(res, *p);
        after = std::get<w::Account>(a);
      }
      uint32_t limit = 100;
      if (req.has_param("limit")) {
        auto l = parse_limit(req.get_param_value("limit"));
        if (auto* p = std::get_if<Problem>(&l)) return send_problem(res, *p);
        limit = std::get<uint32_t>(l);
      }
      auto rp = read_params(req, res);
      if (!rp) return;
      if (rp->ordered) return submit(res, client::make_page_op(after, limit), false);
      proven_read(res, client::page_read(after, limit, rp->min_k));
    });
    s.Get(R"(/v1/blocks/([^/]*))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string ks = req.matches[1].str();
      uint64_t k = 0;
      auto [p, ec] = std::from_chars(ks.data(), ks.data() + ks.size(), k);
      if (ks.empty() || ec != std::errc() || p != ks.data() + ks.size() || k == 0)
        return send_problem(res, bad_request("bad-block", "Bad block number", "k must be an integer >= 1", "k"));
      auto b = feed.block(k);
      if (!b) return send_problem(res, Problem{404, "unknown-block", "Block not seen", "this gateway has not seen block " + ks, "k"});
      send_json(res, 200, *b);
    });
    s.Get("/v1/blocks", [this](const httplib::Request& req, httplib::Response& res) {
      if (!only_params(req, res, {"limit"})) return;
      uint32_t limit = 12;
      if (req.has_param("limit")) {
        auto l = parse_limit(req.get_param_value("limit"));
        if (auto* p = std::get_if<Problem>(&l)) return send_problem(res, *p);
        limit = std::min<uint32_t>(std::get<uint32_t>(l), 64);
      }
      json out = json::array();
      for (auto& b : feed.newest(limit)) out.push_back(std::move(b));
      send_json(res, 200, json{{"blocks", out}});
    });
    s.Get("/v1/replicas", [this](const httplib::Request&, httplib::Response& res) { send_json(res, 200, probe->sample()); });
    s.Get("/v1/stats", [this](const httplib::Request&, httplib::Response& res) { send_json(res, 200, stats.series()); });
    s.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Content-Security-Policy", dashboard_csp());
      res.set_header("Cache-Control", "no-store");
      res.set_content(dashboard_html(), "text/html; charset=utf-8");
    });
    s.Get("/v1/status", [this](const httplib::Request&, httplib::Response& res) { send_json(res, 200, status()); });
    s.Get("/v1/openapi.json", [](const httplib::Request&, httplib::Response& res) { send_json(res, 200, openapi_document()); });
    s.Get("/v1/events", [this](const httplib::Request&, httplib::Response& res) {
      auto last = std::make_shared<uint64_t>(feed.latest());
      auto greeted = std::make_shared<bool>(false);
      res.set_header("Cache-Control", "no-store");
      res.set_chunked_content_provider("text/event-stream", [this, last, greeted](size_t, httplib::DataSink& sink) {
        if (stopping) return false;
        if (!*greeted) {  // at once, so a subscriber knows it is connected before the first block
          *greeted = true;
          const std::string hello = ": rampart block stream\n\n";
          return sink.write(hello.data(), hello.size());
        }
        auto blocks = feed.wait_after(*last, std::chrono::seconds(10));
        if (stopping) return false;
        std::string out;
        for (const auto& b : blocks) {
          out += "event: block\ndata: " + b.dump() + "\n\n";
          *last = b["k"].get<uint64_t>();
        }
        if (out.empty()) out = ": keep-alive\n\n";
        return sink.write(out.data(), out.size());
      });
    });
    s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.status == 404 && res.body.empty())
        send_problem(res, Problem{404, "not-found", "Not found", "no such route (see /v1/openapi.json)", ""});
    });
    s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      send_problem(res, Problem{500, "internal", "Internal error", "the gateway failed to handle the request", ""});
    });
  }
};

const std::vector<std::pair<std::string, std::string>>& Gateway::routes() {
  static const std::vector<std::pair<std::string, std::string>> r = {
      {"post", "/v1/transfer"}, {"post", "/v1/atomic-transfer"}, {"get", "/v1/balance/{account}"}, {"get", "/v1/ledger"},
      {"get", "/v1/blocks/{k}"}, {"get", "/v1/status"},         {"get", "/v1/events"},            {"get", "/v1/openapi.json"},
      {"get", "/v1/blocks"},    {"get", "/v1/replicas"},            {"get", "/v1/stats"},             {"get", "/"}};
  return r;
}

Result<std::unique_ptr<Gateway>> Gateway::create(GatewayOptions opt) {
  auto impl = std::make_unique<Impl>();
  if (opt.cfg.app != "wallet") return err("gateway: the cluster runs app '" + opt.cfg.app + "'; the gateway serves the wallet");
  if (opt.tls_cert.empty() != opt.tls_key.empty()) return err("gateway: --tls-cert and --tls-key go together");
  if (opt.tls_cert.empty() && !opt.plain_http)
    return err("gateway: HTTPS needs --tls-cert and --tls-key (plain HTTP only with --plain-http)");
  if (!opt.client_ca.empty() && opt.tls_cert.empty()) return err("gateway: --client-ca needs TLS");
  if (opt.tls_cert.empty()) {
    impl->srv = std::make_unique<httplib::Server>();
  } else {
    auto s = std::make_unique<httplib::SSLServer>(opt.tls_cert.c_str(), opt.tls_key.c_str(),
                                                  opt.client_ca.empty() ? nullptr : opt.client_ca.c_str());
    if (!s->is_valid()) return err("gateway: cannot load TLS certificate/key (or client CA): " + opt.tls_cert);
    impl->srv = std::move(s);
  }
  const size_t threads = opt.http_threads;
  impl->srv->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl->srv->set_payload_max_length(64 * 1024);
  // Keep-alive requests are small writes: without TCP_NODELAY, Nagle's algorithm and the peer's
  // delayed ACK hold each answer ~40 ms (measured by bench wallet: p50 66 ms -> see docs).
  impl->srv->set_tcp_nodelay(true);
  impl->srv->set_read_timeout(10, 0);
  impl->srv->set_write_timeout(10, 0);
  impl->srv->set_keep_alive_max_count(opt.keep_alive_max_requests);
  impl->srv->set_keep_alive_timeout(static_cast<time_t>(opt.keep_alive_timeout.count()));
  client::ClientOptions co;
  co.timeout = opt.replica_timeout;
  co.attempts = static_cast<int>(opt.cfg.n());
  for (size_t i = 0; i < opt.clients; ++i) {
    co.first_replica = static_cast<uint32_t>(i % opt.cfg.n());  // spread the load over the replicas
    auto c = client::WalletClient::create(opt.cfg, co);
    if (!c) return c.error();
    impl->pool.add(std::move(*c));
  }
  // Proven reads: a reader per HTTP thread at most; each server gets replica_timeout to answer.
  if (client::replica_read_servers(opt.cfg).empty())
    spdlog::warn("event=gateway_no_read_servers (no replica has a read_port in cluster.toml: balance and ledger reads "
                 "answer 503 unless ordered=true)");
  impl->reads = std::make_unique<ReadPool>(opt.cfg, opt.replica_timeout, opt.http_threads);
  // Replica metrics are plain HTTP on the replicas' own hosts: a short timeout keeps a dead
  // replica from holding the dashboard up, and the cache bounds scrapes to one per interval.
  impl->probe = std::make_unique<ReplicaProbe>(opt.cfg.replicas, std::chrono::milliseconds(500), std::chrono::milliseconds(500));
  impl->routes_on(*impl->srv);
  int port = opt.port == 0 ? impl->srv->bind_to_any_port(opt.host) : (impl->srv->bind_to_port(opt.host, opt.port) ? opt.port : -1);
  if (port <= 0) return err("gateway: cannot listen on " + opt.host + ":" + std::to_string(opt.port));
  impl->port = static_cast<uint16_t>(port);
  impl->opt = std::move(opt);
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() { stop(); }
uint16_t Gateway::port() const { return impl_->port; }
bool Gateway::tls() const { return !impl_->opt.tls_cert.empty(); }
void Gateway::run() { impl_->srv->listen_after_bind(); }
void Gateway::stop() {
  impl_->stopping = true;
  impl_->feed.stop();
  impl_->srv->stop();
}

}  // namespace rampart::gateway
