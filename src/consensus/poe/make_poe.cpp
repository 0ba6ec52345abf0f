// Factory for the PoE protocol (declared in consensus/protocol.hpp).
#include "consensus/poe/replica.hpp"
#include "consensus/protocol.hpp"

namespace rampart::consensus {
std::unique_ptr<Protocol> make_poe(const Config& cfg, Crypto crypto, Env& env) {
  return std::make_unique<poe::PoeReplica>(cfg, crypto, env);
}
}  // namespace rampart::consensus
