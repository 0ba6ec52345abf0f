#pragma once
// The gateway's OpenAPI 3.1 document, served at /v1/openapi.json. tests/gateway checks that every
// route the server serves is in it and every path in it is served.
#include <nlohmann/json.hpp>

namespace rampart::gateway {

const nlohmann::json& openapi_document();

}  // namespace rampart::gateway
