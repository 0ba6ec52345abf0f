#include "gossip/module.hpp"

namespace rampart::gossip {
namespace {

EngineOptions engine_options(const ModuleOptions& o) {
  EngineOptions e;
  e.cache_size = o.config.cache_size;
  e.degree = o.config.degree;
  e.item_rate = o.config.item_rate;
  e.item_burst = o.config.item_burst;
  e.validation_timeout = o.validation_timeout;
  return e;
}

PeerOptions peer_options(const ModuleOptions& o) {
  PeerOptions p;
  p.listen = o.config.p2p_address;
  p.bootstrapper = o.config.bootstrapper;
  p.degree = o.config.degree;
  p.max_peers = o.config.max_peers ? o.config.max_peers : 2 * o.config.degree;
  p.difficulty = o.config.pow_difficulty;
  p.max_difficulty = o.max_difficulty;
  p.discovery = o.discovery;
  p.maintain_interval = o.maintain_interval;
  return p;
}

}  // namespace

Result<ModuleOptions> module_options_from(const GossipConfig& c) {
  auto key = HostKey::load_pem_file(c.hostkey);
  if (!key) return key.error();
  ModuleOptions o;
  o.config = c;
  o.key = std::make_shared<const HostKey>(std::move(*key));
  return o;
}

Module::Module(asio::io_context& io, ModuleOptions opt)
    : opt_(std::move(opt)),
      engine_(*this, engine_options(opt_)),
      api_server_(io, ApiServer::Handlers{
                          [this](ConnId c) { engine_.api_open(c); },
                          [this](ConnId c, ByteView m) { engine_.api_message(c, m, Clock::now()); },
                          [this](ConnId c, const std::string& why) { engine_.api_malformed(c, why); },
                          [this](ConnId c) { engine_.api_closed(c); }}),
      peers_(io, opt_.key, peer_options(opt_),
             PeerManager::Handlers{[this](PeerId p) { engine_.peer_up(p, Clock::now()); },
                                   [this](PeerId p, ItemMsg m) { engine_.peer_item(p, std::move(m), Clock::now()); },
                                   [this](PeerId p) { engine_.peer_down(p); }}),
      timer_(io) {}

Module::~Module() { stop(); }

Status Module::start() {
  auto p2p = peers_.listen();
  if (!p2p) return p2p.error();
  auto api = api_server_.listen(opt_.config.api_address);
  if (!api) return api.error();
  api_ = Address{opt_.config.api_address.host, *api};
  peers_.start();
  tick();
  return {};
}

void Module::stop() {
  *alive_ = false;
  timer_.cancel();
  api_server_.stop();
  peers_.stop();
}

void Module::tick() {
  engine_.tick(Clock::now());
  timer_.expires_after(opt_.tick_interval);
  timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const asio::error_code& ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    tick();
  });
}

void Module::api_send(ConnId c, Bytes message) { api_server_.send(c, message); }
void Module::api_close(ConnId c, const std::string& why) { api_server_.close(c, why); }
void Module::peer_send(PeerId p, const ItemMsg& item) { peers_.send(p, item); }

}  // namespace rampart::gossip
