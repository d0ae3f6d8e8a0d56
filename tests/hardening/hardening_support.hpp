// Helpers of the hardening tests: a valid config to mutate, and the
// diagnostics of a config that must be rejected.
#ifndef BIOPTIMUS_TESTS_HARDENING_SUPPORT_HPP
#define BIOPTIMUS_TESTS_HARDENING_SUPPORT_HPP

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bioptimus/models/registry.hpp"

namespace bioptimus::testing {

/// A small valid config; every test below changes one line of it.
inline constexpr std::string_view base_config =
    "model_name: probe\n"        // line 1
    "version: 1.0.0\n"           // line 2
    "tile_spec:\n"               // line 3
    "  size: [224, 224]\n"       // line 4
    "  resolution: 0.5\n"        // line 5
    "  unit: pixels\n"           // line 6
    "mean: [0.5, 0.5, 0.5]\n"    // line 7
    "std: [0.25, 0.25, 0.25]\n"  // line 8
    "patch_size: 14\n"           // line 9
    "embedding_dim: 768\n"       // line 10
    "output_type: cls\n";        // line 11

/// base_config with each `from` replaced (once, and it must be present) by `to`.
inline std::string config_with(std::vector<std::pair<std::string, std::string>> replacements) {
  std::string text(base_config);
  for (const auto& [from, to] : replacements) {
    const std::size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  }
  return text;
}

/// The diagnostics of a config that parse_spec must reject with a ConfigError.
inline std::vector<models::Diagnostic> rejected(std::string_view text, std::string_view name = "hostile.yaml") {
  try {
    static_cast<void>(models::parse_spec(text, name));
  } catch (const models::ConfigError& error) {
    return error.diagnostics();
  }
  FAIL("expected a ConfigError");
  return {};
}

/// The one diagnostic of a config rejected for exactly one reason.
inline models::Diagnostic only_diagnostic(std::string_view text, std::string_view name = "hostile.yaml") {
  const std::vector<models::Diagnostic> diagnostics = rejected(text, name);
  INFO(models::ConfigError(diagnostics).what());
  REQUIRE(diagnostics.size() == 1);
  return diagnostics.front();
}

}  // namespace bioptimus::testing

namespace Catch {
template <>
struct StringMaker<bioptimus::models::ConfigLocation> {
  static std::string convert(const bioptimus::models::ConfigLocation& location) {
    return location.path + ":" + std::to_string(location.line) + ":" + std::to_string(location.column);
  }
};
}  // namespace Catch

#endif  // BIOPTIMUS_TESTS_HARDENING_SUPPORT_HPP
