// Placeholder until the PoE implementation lands: returns no protocol.
#include "consensus/protocol.hpp"

namespace rampart::consensus {
std::unique_ptr<Protocol> make_poe(const Config&, Crypto, Env&) { return nullptr; }
}  // namespace rampart::consensus
