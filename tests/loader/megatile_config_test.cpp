// tests/loader/megatile_config_test.cpp
//
// Mega-tile spec files: the decoded values, defaults, and the exact located
// diagnostics for every kind of mistake.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "bioptimus/extraction/wsi/megatile_spec.hpp"
#include "bioptimus/models/megatile_config.hpp"
#include "bioptimus/models/registry.hpp"
#include "temp_dir.hpp"

namespace {

using namespace bioptimus::extraction::wsi;
using bioptimus::models::ConfigError;
using bioptimus::models::load_megatile_spec;
using bioptimus::models::parse_megatile_spec;
using bioptimus::models::Registry;

// The diagnostics of `yaml` as text lines.
std::vector<std::string> errors_of(const std::string& yaml) {
  try {
    (void)parse_megatile_spec(yaml, "blocks.yaml");
  } catch (const ConfigError& error) {
    std::vector<std::string> lines;
    for (const auto& diagnostic : error.diagnostics()) {
      lines.push_back(diagnostic.to_string());
    }
    return lines;
  }
  return {};
}

}  // namespace

TEST_CASE("A full mega-tile spec file", "[megatile][loader]") {
  const MegaTileSpec spec = parse_megatile_spec(
      "model: h0-mini\n"
      "megatile_shape: [4, 3]\n"
      "megatile_stride: [2, 3]\n"
      "grid_layout: hexagonal\n"
      "min_valid_tiles_ratio: 0.25\n"
      "max_valid_tiles_ratio: 0.9\n",
      "blocks.yaml");
  REQUIRE(spec.megatile_shape() == TileGridShape{.rows = 4, .cols = 3});
  REQUIRE(spec.effective_stride() == TileGridShape{.rows = 2, .cols = 3});
  REQUIRE(spec.grid_layout() == GridLayout::hexagonal);
  REQUIRE(spec.min_valid_tiles_ratio() == 0.25);
  REQUIRE(spec.max_valid_tiles_ratio() == 0.9);
  REQUIRE(spec.tile_spec() == Registry::builtin().get("h0-mini").tile_spec());
}

TEST_CASE("A minimal mega-tile spec file takes the defaults", "[megatile][loader]") {
  const MegaTileSpec spec =
      parse_megatile_spec("model: h0-mini\nmegatile_shape: [2, 2]\nmax_valid_tiles_ratio: null\n", "blocks.yaml");
  REQUIRE(spec == MegaTileSpec{{.megatile_shape = {.rows = 2, .cols = 2},
                                .tile_spec = Registry::builtin().get("h0-mini").tile_spec()}});
}

TEST_CASE("Mega-tile spec diagnostics: located, field named, all at once", "[megatile][loader]") {
  SECTION("missing keys are reported at the map") {
    REQUIRE(errors_of("grid_layout: rectangular\n") ==
            std::vector<std::string>{
                "blocks.yaml:1:1: error: model: required key missing: expected the name of a model whose tile_spec "
                "the blocks use",
                "blocks.yaml:1:1: error: megatile_shape: required key missing: expected [rows, cols] as two whole "
                "numbers"});
  }
  SECTION("unknown model, misspelt key and layout, bad numbers") {
    REQUIRE(errors_of("model: h0-mino\n"
                      "megatile_shape: [4, 4.5]\n"
                      "grid_layout: hexagonl\n"
                      "min_valid_tiles_ratio: half\n"
                      "max_valid_tile_ratio: 1\n") ==
            std::vector<std::string>{
                "blocks.yaml:1:8: error: model: unknown model \"h0-mino\" (did you mean \"h0-mini\"?)",
                "blocks.yaml:2:21: error: megatile_shape[1]: expected a whole number of tile columns (a whole number, "
                "not a fraction), got 4.5",
                "blocks.yaml:3:14: error: grid_layout: expected one of rectangular | hexagonal, got \"hexagonl\" (did "
                "you mean \"hexagonal\"?)",
                "blocks.yaml:4:24: error: min_valid_tiles_ratio: expected a number in [0, 1], got half",
                "blocks.yaml:5:1: error: max_valid_tile_ratio: unknown key \"max_valid_tile_ratio\" (did you mean "
                "\"max_valid_tiles_ratio\"?)"});
  }
  SECTION("the value type's rules, at the value that breaks them") {
    REQUIRE(errors_of("model: h0-mini\n"
                      "megatile_shape: [0, 4]\n"
                      "megatile_stride: [1, 5000]\n"
                      "min_valid_tiles_ratio: 0.8\n"
                      "max_valid_tiles_ratio: 0.2\n") ==
            std::vector<std::string>{
                "blocks.yaml:2:17: error: megatile_shape: expected [rows, cols] as two whole numbers from 1 to 4096, "
                "got [0, 4]",
                "blocks.yaml:3:18: error: megatile_stride: expected [rows, cols] as two whole numbers from 1 to 4096 "
                "(tiles), got [1, 5000]",
                "blocks.yaml:5:24: error: max_valid_tiles_ratio: expected at least min_valid_tiles_ratio (0.8), got "
                "0.2"});
    REQUIRE(errors_of("model: h0-mini\nmegatile_shape: [2, 2]\nmin_valid_tiles_ratio: 1.5\n") ==
            std::vector<std::string>{
                "blocks.yaml:3:24: error: min_valid_tiles_ratio: expected a number in [0, 1], got 1.5"});
  }
  SECTION("shapes, duplicates, documents and syntax") {
    REQUIRE(errors_of("model: h0-mini\nmegatile_shape: 4\nmodel: h0-mini\n") ==
            std::vector<std::string>{
                "blocks.yaml:2:17: error: megatile_shape: expected [rows, cols] as two whole numbers, got 4",
                "blocks.yaml:3:1: error: model: duplicate key; first given at line 1, column 1"});
    REQUIRE(errors_of("- 1\n- 2\n") ==
            std::vector<std::string>{
                "blocks.yaml:1:1: error: expected a map with model, megatile_shape and optional megatile_stride, "
                "grid_layout, min_valid_tiles_ratio and max_valid_tiles_ratio, got a list of 2 items"});
    REQUIRE(
        errors_of("model: a\n---\nmodel: b\n") ==
        std::vector<std::string>{
            "blocks.yaml:2:1: error: expected one YAML document (one mega-tile spec per file), found a second one"});
    // Fuzzer findings: inputs on which yaml-cpp 0.7's LoadAll never returns.
    for (const char* looping : {",", "!,me;!s"}) {
      CAPTURE(looping);
      REQUIRE(errors_of(looping).size() == 1);
    }
    const std::vector<std::string> syntax = errors_of("model: [h0-mini\n");
    REQUIRE(syntax.size() == 1);
    REQUIRE_THAT(syntax[0],
                 Catch::Matchers::StartsWith("blocks.yaml:") && Catch::Matchers::Contains("YAML syntax error"));
    REQUIRE(errors_of(std::string("model: h0-mini\nmega\0tile_shape: [2, 2]\n", 36)) ==
            std::vector<std::string>{"blocks.yaml:2:5: error: expected UTF-8 text, found a NUL byte"});
    const std::vector<std::string> latin1 = errors_of("model: h0-m\xCDni\n");
    REQUIRE(latin1.size() == 1);
    REQUIRE_THAT(latin1[0], Catch::Matchers::StartsWith("blocks.yaml:1:12: error: expected UTF-8 text, found the "
                                                        "invalid byte"));
    // A fuzzer finding: NULs and stray bytes that made yaml-cpp 0.7 loop.
    std::string looping =
        "megatile_stride: [\xCD\xCD"
        "2\xCD, 2]\n";
    looping += std::string(2, '\0') + "\ngrid_layout: x\n";
    REQUIRE(errors_of(looping).size() == 1);
    const std::vector<std::string> deep = errors_of(std::string(5000, '[') + std::string(5000, ']'));
    REQUIRE(deep.size() == 1);
    REQUIRE_THAT(deep[0], Catch::Matchers::Contains("nesting too deep"));
  }
}

TEST_CASE("Mega-tile spec diagnostics are capped like a model config's", "[megatile][loader]") {
  std::string yaml = "model: h0-mini\nmegatile_shape: [2, 2]\n";
  for (int i = 0; i < 100000; ++i) {
    yaml += "k" + std::to_string(i) + ": 1\n";
  }
  const std::vector<std::string> errors = errors_of(yaml);
  REQUIRE(errors.size() == bioptimus::models::LoadLimits::max_diagnostics + 1);
  REQUIRE(errors.front() ==
          "blocks.yaml:3:1: error: k0: unknown key \"k0\"; expected one of model | megatile_shape | "
          "megatile_stride | grid_layout | min_valid_tiles_ratio | max_valid_tiles_ratio");
  REQUIRE(errors.back() ==
          "blocks.yaml:52:1: error: 99950 more problems after this one are not shown (at most 50 are "
          "reported per config)");
}

TEST_CASE("load_megatile_spec reads a file and names it in diagnostics", "[megatile][loader]") {
  const bioptimus::testing::TempDir directory;
  const auto good = directory.write("blocks.yaml", "model: h0-mini\nmegatile_shape: [3, 3]\n");
  REQUIRE(load_megatile_spec(good).num_tiles() == 9);
  const auto bad = directory.write("bad.yaml", "model: h0-mini\nmegatile_shape: [3, -3]\n");
  REQUIRE_THROWS_WITH(load_megatile_spec(bad), bad.string() +
                                                   ":2:17: error: megatile_shape: expected [rows, cols] "
                                                   "as two whole numbers from 1 to 4096, got [3, -3]");
  REQUIRE_THROWS_WITH(load_megatile_spec(directory.path() / "missing.yaml"),
                      Catch::Matchers::Contains("missing.yaml: error: cannot open"));
}

TEST_CASE("Mega-tile spec files follow the model configs' YAML rules", "[megatile][loader]") {
  // An empty value is placed at its key; an aliased value at the alias,
  // naming the anchor.
  REQUIRE(errors_of("model:\nmegatile_shape: [2, x]\nmin_valid_tiles_ratio: &r half\nmax_valid_tiles_ratio: *r\n") ==
          std::vector<std::string>{
              "blocks.yaml:1:1: error: model: expected the name of a model whose tile_spec the blocks use, got null",
              "blocks.yaml:2:21: error: megatile_shape[1]: expected a whole number of tile columns, got x",
              "blocks.yaml:3:24: error: min_valid_tiles_ratio: expected a number in [0, 1], got half",
              "blocks.yaml:4:24: error: max_valid_tiles_ratio: expected a number in [0, 1], got half (the value of "
              "the anchor at line 3, column 24)"});
  // Tags: a contradicting core tag and an unknown tag are refused at the value.
  REQUIRE(errors_of("model: h0-mini\nmegatile_shape: [!!str 2, 2]\ngrid_layout: !fancy hexagonal\n") ==
          std::vector<std::string>{
              "blocks.yaml:2:18: error: megatile_shape[0]: expected a whole number of tile rows, got \"2\" tagged "
              "!!str (the tag contradicts the field's type)",
              "blocks.yaml:3:14: error: grid_layout: unknown tag \"!fancy\": expected one of rectangular | "
              "hexagonal without a tag (a core tag !!str, !!int, !!float, !!bool, !!null, !!seq or !!map is "
              "accepted where it agrees with the field)"});
  REQUIRE(errors_of("model: h0-mini\rmegatile_shape: [2, 2]\n") ==
          std::vector<std::string>{"blocks.yaml:1:15: error: expected LF or CRLF line endings, found a carriage "
                                   "return alone (classic Mac OS line endings are not supported)"});
  REQUIRE(errors_of("# nothing\n") ==
          std::vector<std::string>{
              "blocks.yaml:1:1: error: expected a map with model, megatile_shape and optional megatile_stride, "
              "grid_layout, min_valid_tiles_ratio and max_valid_tiles_ratio, got an empty document"});
}

TEST_CASE("load_megatile_spec reads only regular files", "[megatile][loader]") {
  const bioptimus::testing::TempDir directory;
  const std::filesystem::path fifo = directory.path() / "blocks.yaml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Opening a FIFO without a writer must not wait for one.
  REQUIRE_THROWS_WITH(load_megatile_spec(fifo),
                      fifo.string() + ": error: expected a YAML file, got a FIFO (named pipe)");
}
