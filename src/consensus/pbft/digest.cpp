#include "consensus/pbft/digest.hpp"

namespace rampart::consensus::pbft {

const Hash32& null_digest() {
  static const Hash32 d = batch_digest({});
  return d;
}

}  // namespace rampart::consensus::pbft
