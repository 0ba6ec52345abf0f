#include "client/wallet_reads.hpp"

#include "client/group_key.hpp"

namespace rampart::client {

std::vector<ReadServerAddress> replica_read_servers(const ClusterConfig& cfg) {
  std::vector<ReadServerAddress> out;
  for (const auto& r : cfg.replicas)
    if (r.read_port != 0) out.push_back({r.host, r.read_port});
  return out;
}

Result<std::unique_ptr<WalletReads>> WalletReads::create(const ClusterConfig& cfg, WalletReadsOptions opt) {
  if (cfg.app != "wallet") return err("the cluster runs app '" + cfg.app + "', not the wallet (cluster.toml: app)");
  if (opt.servers.empty()) opt.servers = replica_read_servers(cfg);
  if (opt.servers.empty())
    return err("no read server: no replica in cluster.toml has a read_port (keygen --app wallet writes them; "
               "or read through consensus with --ordered)");
  auto g = make_group_verifier(cfg);
  if (!g) return g.error();
  std::unique_ptr<WalletReads> w(new WalletReads());
  w->group_ = *g;
  for (const auto& s : opt.servers) {
    WalletReaderOptions ro;
    ro.host = s.host;
    ro.port = s.port;
    ro.timeout = opt.timeout;
    auto r = WalletReader::create(cfg, ro);
    if (!r) return r.error();
    w->readers_.push_back(std::move(*r));
  }
  w->next_ = opt.first % w->readers_.size();
  return w;
}

WalletReads::~WalletReads() = default;

Result<ServedRead> WalletReads::read(const ReadRequest& r) {
  std::string why;
  bool only_behind = true;  // every failure so far was a server below min_k
  for (size_t i = 0; i < readers_.size(); ++i) {
    const size_t at = (next_ + i) % readers_.size();
    WalletReader& rd = *readers_[at];
    auto resp = rd.exchange(r);
    Result<ProvenRead> v = resp ? verify_read(r, *resp, *group_) : Result<ProvenRead>(resp.error());
    if (v) {
      next_ = at;  // stay with a server that answers
      last_failure_ = ReadsFailure::none;
      return ServedRead{std::move(*v), rd.where()};
    }
    const bool behind = resp ? resp->status == ReadStatus::behind : (r.min_k > 0 && rd.last_read_timed_out());
    only_behind = only_behind && behind;
    why += (why.empty() ? "" : "; ") + (resp ? rd.where() + ": " : std::string()) + v.error().message;
  }
  next_ = (next_ + 1) % readers_.size();  // the first one failed: another goes first next time
  last_failure_ = only_behind ? ReadsFailure::not_at_height : ReadsFailure::unavailable;
  return err("no read server gave a verified answer (" + std::to_string(readers_.size()) + " tried): " + why);
}

}  // namespace rampart::client
