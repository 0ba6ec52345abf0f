#pragma once
// RFC 9457 problem details: every gateway error is application/problem+json naming the field
// that is wrong (when one is).
#include <string>

#include <nlohmann/json.hpp>

namespace rampart::gateway {

struct Problem {
  int status = 400;
  std::string type;    // short slug, served as "/problems/<type>"
  std::string title;
  std::string detail;
  std::string field;   // JSON pointer-ish name of the offending field ("amount", "legs[1].signature"); may be empty
  nlohmann::json to_json() const {
    nlohmann::json j{{"type", "/problems/" + type}, {"title", title}, {"status", status}, {"detail", detail}};
    if (!field.empty()) j["field"] = field;
    return j;
  }
};

inline Problem bad_request(std::string type, std::string title, std::string detail, std::string field = {}) {
  return Problem{400, std::move(type), std::move(title), std::move(detail), std::move(field)};
}

}  // namespace rampart::gateway
