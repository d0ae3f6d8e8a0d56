#include "protocol.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

namespace bioptimus::remote::detail {

void append_float_array(std::string& out, std::span<const float> values) {
  out += '[';
  char buffer[32];
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    if (!std::isfinite(values[i])) {
      out += "null";
      continue;
    }
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, values[i]);
    out.append(buffer, error == std::errc{} ? end : buffer);
  }
  out += ']';
}

std::string json_string(std::string_view text) {
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string error_body(std::string_view message) { return "{\"message\":" + json_string(message) + "}"; }

}  // namespace bioptimus::remote::detail
