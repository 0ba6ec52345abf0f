#pragma once
// cluster.toml's [limits] (ListenerLimits) mapped onto the replica's three listeners: the peer
// transport, the client port and the metrics endpoint (docs/operations.md, "Limits").
#include "common/config.hpp"
#include "net/client_listener.hpp"
#include "net/transport.hpp"
#include "node/metrics.hpp"

namespace rampart::node {

net::Options peer_options(const ListenerLimits& l);
net::ClientOptions client_options(const ListenerLimits& l);
MetricsOptions metrics_options(const ListenerLimits& l);

}  // namespace rampart::node
