// Placeholder until the PBFT implementation lands: returns no protocol.
#include "consensus/protocol.hpp"

namespace rampart::consensus {
std::unique_ptr<Protocol> make_pbft(const Config&, Crypto, Env&) { return nullptr; }
}  // namespace rampart::consensus
