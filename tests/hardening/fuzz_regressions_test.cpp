// Every input that ever crashed (or hung) the fuzzer, kept in
// tests/data/fuzz-regressions/: each must parse or end in a clean
// ConfigError, nothing else (a hang is caught by the CTest timeout).
#include <catch2/catch.hpp>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"

using namespace bioptimus::models;

TEST_CASE("Fuzzer regressions parse or fail with a ConfigError", "[hardening][fuzz]") {
  const std::filesystem::path directory = std::filesystem::path(BIOPTIMUS_TEST_DATA_DIR) / "fuzz-regressions";
  std::vector<std::filesystem::path> inputs;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().filename() != "README.md") {
      inputs.push_back(entry.path());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  REQUIRE_FALSE(inputs.empty());

  for (const std::filesystem::path& input : inputs) {
    INFO(input.filename().string());
    std::ifstream stream(input, std::ios::binary);
    REQUIRE(stream);
    std::ostringstream bytes;
    bytes << stream.rdbuf();
    const std::string text = bytes.str();

    std::string outcome = "parsed";
    try {
      const ModelSpec spec = parse_spec(text, input.filename().string());
      // What the fuzzer checks of an accepted spec: the canonical form reads back equal.
      CHECK(parse_spec(to_yaml(spec), "round-trip.yaml") == spec);
    } catch (const ConfigError& error) {
      outcome = "ConfigError";
      CHECK_FALSE(error.diagnostics().empty());
      CHECK(std::string(error.what()).find(input.filename().string()) == 0);
    } catch (const std::exception& other) {
      outcome = std::string("unexpected exception: ") + other.what();
    } catch (...) {
      outcome = "unexpected non-standard exception";
    }
    INFO(outcome);
    CHECK((outcome == "parsed" || outcome == "ConfigError"));
  }
}
