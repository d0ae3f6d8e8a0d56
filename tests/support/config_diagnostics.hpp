// The diagnostics of parsing a model config, as the text lines a user sees,
// for the loader's tests.
#ifndef BIOPTIMUS_TESTS_CONFIG_DIAGNOSTICS_HPP
#define BIOPTIMUS_TESTS_CONFIG_DIAGNOSTICS_HPP

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"

namespace bioptimus::testing {

/// The diagnostics of parsing `yaml` as "t.yaml", as text lines (none when it parses).
inline std::vector<std::string> diagnostics_of(const std::string& yaml) {
  try {
    (void)models::parse_spec(yaml, "t.yaml");
  } catch (const models::ConfigError& error) {
    std::vector<std::string> lines;
    for (const models::Diagnostic& diagnostic : error.diagnostics()) {
      lines.push_back(diagnostic.to_string());
    }
    return lines;
  }
  return {};
}

/// Parsing `yaml` fails with exactly `expected` as its one diagnostic.
inline void require_diagnostic(const std::string& yaml, const std::string& expected) {
  const std::vector<std::string> lines = diagnostics_of(yaml);
  INFO(yaml);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == expected);
}

}  // namespace bioptimus::testing

#endif  // BIOPTIMUS_TESTS_CONFIG_DIAGNOSTICS_HPP
