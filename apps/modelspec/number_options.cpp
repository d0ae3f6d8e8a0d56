#include "number_options.hpp"

#include <array>
#include <charconv>
#include <string>
#include <system_error>
#include <utility>

#include "bioptimus/detail/text.hpp"

namespace bioptimus::apps {

CLI::Validator decimal_number(double min, double max, std::string expected, std::string example) {
  const std::string range =
      "[" + detail::format_plain_number(min) + ", " + detail::format_plain_number(max) + "]" + example;
  return CLI::Validator(
      [min, max, expected, range](std::string& text) -> std::string {
        double value = 0.0;
        const char* end = text.data() + text.size();
        const auto [stop, status] = std::from_chars(text.data(), end, value, std::chars_format::general);
        if (text.empty() || status != std::errc{} || stop != end || !detail::is_finite(value) || value < min ||
            value > max) {
          return "expected " + expected + " in " + range + ", got \"" + text + "\"";
        }
        // Hexadecimal for CLI11's strtold: exact, where decimal text could
        // be rounded twice (to long double, then to double).
        std::array<char, 64> exact{};
        const auto written = std::to_chars(exact.data(), exact.data() + exact.size(), value < 0 ? -value : value,
                                           std::chars_format::hex);
        text = std::string(value < 0 ? "-0x" : "0x") + std::string(exact.data(), written.ptr);
        return {};
      },
      expected + " in " + range);
}

CLI::Validator whole_number(std::int64_t min, std::int64_t max) {
  const std::string expected = "a whole decimal number in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  return CLI::Validator(
      [min, max, expected](std::string& text) -> std::string {
        std::int64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [stop, status] = std::from_chars(text.data(), end, value, 10);
        if (text.empty() || status != std::errc{} || stop != end || value < min || value > max) {
          return "expected " + expected + ", got \"" + text + "\"";
        }
        text = std::to_string(value);  // "010" is ten here, not CLI11's octal eight
        return {};
      },
      expected);
}

}  // namespace bioptimus::apps
