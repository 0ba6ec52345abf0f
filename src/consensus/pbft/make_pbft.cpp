// The factory the replica and the simulator call; the implementation is PbftReplica.
#include "consensus/pbft/replica.hpp"

namespace rampart::consensus {

std::unique_ptr<Protocol> make_pbft(const Config& cfg, Crypto crypto, Env& env) {
  return std::make_unique<pbft::PbftReplica>(cfg, crypto, env);
}

}  // namespace rampart::consensus
