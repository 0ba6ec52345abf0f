#pragma once
// The client's side of "a broker learns a new client" (broker/signup.hpp, docs/brokers.md
// "Sign-up"), over UDP: the sign-up certificate to the broker, again every 200 ms, until the
// broker acknowledges the id or the timeout passes.
#include <asio.hpp>
#include <chrono>

#include "broker/signup.hpp"

namespace rampart::broker {

Status hand_signup_certificate(const asio::ip::udp::endpoint& broker, ByteView certificate, ClientId id,
                               std::chrono::milliseconds timeout);

}  // namespace rampart::broker
