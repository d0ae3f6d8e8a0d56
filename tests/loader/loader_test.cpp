// parse_spec / load_spec: every default, every diagnostic with its exact
// file:line:col, and round trips through to_yaml.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "config_diagnostics.hpp"
#include "temp_dir.hpp"

using namespace bioptimus::models;
using namespace bioptimus::io::wsi;
using bioptimus::extraction::wsi::Extent;
using bioptimus::extraction::wsi::PixelExtent;
using bioptimus::testing::diagnostics_of;
using bioptimus::testing::require_diagnostic;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// Line numbers in the comments are what the diagnostics below refer to.
const std::string minimal =
    "model_name: h0-mini\n"                   // 1
    "version: 1.0.0\n"                        // 2
    "weights_source: bioptimus/H0-mini\n"     // 3
    "tile_spec:\n"                            // 4
    "  size: [224, 224]\n"                    // 5
    "  resolution: 0.5\n"                     // 6
    "mean: [0.707223, 0.578729, 0.703617]\n"  // 7
    "std: [0.211883, 0.230117, 0.177517]\n"   // 8
    "patch_size: 14\n"                        // 9
    "num_prefix_tokens: 5\n"                  // 10
    "embedding_dim: 1536\n"                   // 11
    "output_type: cls+patch_mean\n";          // 12

// `minimal` with the line starting with `key:` replaced by `line` (or removed
// when `line` is empty).
std::string with_line(const std::string& key, const std::string& line) {
  std::string text;
  std::size_t start = 0;
  while (start < minimal.size()) {
    const std::size_t end = minimal.find('\n', start);
    const std::string current = minimal.substr(start, end - start);
    if (current.rfind(key + ":", 0) == 0) {
      if (!line.empty()) {
        text += line + "\n";
      }
    } else {
      text += current + "\n";
    }
    start = end + 1;
  }
  return text;
}

}  // namespace

TEST_CASE("A minimal config loads with every default filled in", "[loader][defaults]") {
  const ModelSpec spec = parse_spec(minimal, "t.yaml");
  CHECK(spec.model_name() == "h0-mini");
  CHECK(spec.version() == "1.0.0");
  CHECK(spec.weights_source() == "bioptimus/H0-mini");
  CHECK_FALSE(spec.license().has_value());
  CHECK(spec.tile_spec().stride() == Extent{224, 224});
  CHECK(spec.tile_spec().unit() == MeasurementUnit::pixels);
  CHECK(spec.tile_spec().mpp() == MPP{0.5});
  CHECK(spec.num_channels() == 3);
  CHECK(spec.interpolation() == Interpolation::bicubic);
  CHECK(spec.antialias());
  CHECK(spec.color_space() == ColorSpace::rgb);
  CHECK_FALSE(spec.stain_normalization().has_value());
  CHECK(spec.architecture() == Architecture::vit);
  CHECK_FALSE(spec.output_spatial_dims().has_value());
  CHECK(spec.precision() == Precision::fp32);
  CHECK(spec.sequence_length() == 261);
}

TEST_CASE("Explicit nulls of optional keys mean their defaults", "[loader][defaults]") {
  const ModelSpec spec = parse_spec(minimal +
                                        "license: null\n"
                                        "stain_normalization: ~\n"
                                        "output_spatial_dims: null\n"
                                        "interpolation: bicubic\n",
                                    "t.yaml");
  CHECK(spec == parse_spec(minimal, "t.yaml"));
  CHECK(parse_spec(with_line("num_prefix_tokens", "num_prefix_tokens: null"), "t.yaml").num_prefix_tokens() == 1);
}

TEST_CASE("Every key can be given explicitly", "[loader]") {
  const ModelSpec spec = parse_spec(
      "model_name: custom.model_v2\n"
      "version: 2.1.0-rc.1+build.7\n"
      "weights_source: null\n"
      "license: apache-2.0\n"
      "tile_spec:\n"
      "  size: 112\n"
      "  stride: [56, 112]\n"
      "  resolution: {mpp: 0.5}\n"
      "  unit: um\n"
      "num_channels: 3\n"
      "mean: [0.5, 0.5, 0.5]\n"
      "std: [0.5, 0.5, 0.5]\n"
      "interpolation: lanczos\n"
      "antialias: false\n"
      "color_space: BGR\n"
      "stain_normalization: macenko\n"
      "architecture: vit\n"
      "patch_size: 16\n"
      "num_prefix_tokens: 1\n"
      "embedding_dim: 384\n"
      "output_type: dense\n"
      "output_spatial_dims: [14, 14]\n"
      "precision: bf16\n",
      "t.yaml");
  CHECK(spec.tile_spec().size_pixels() == PixelExtent{.width = 224, .height = 224});
  CHECK(spec.tile_spec().stride_pixels() == PixelExtent{.width = 112, .height = 224});
  CHECK(spec.interpolation() == Interpolation::lanczos);
  CHECK_FALSE(spec.antialias());
  CHECK(spec.color_space() == ColorSpace::bgr);
  CHECK(spec.stain_normalization() == StainNormalization::macenko);
  CHECK(spec.output_spatial_dims() == SpatialDims{.width = 14, .height = 14});
  CHECK(spec.output_shape() == std::vector<std::int64_t>{384, 14, 14});
  CHECK(spec.precision() == Precision::bf16);
}

TEST_CASE("output_spatial_dims is [height, width] in YAML, named fields in C++", "[loader][dense]") {
  // A 448 x 224 px tile with 14 px patches: 32 columns, 16 rows.
  const std::string head =
      "model_name: wide\n"
      "version: 1.0.0\n"
      "tile_spec:\n"
      "  size: [448, 224]\n"
      "  resolution: 0.5\n"
      "mean: [0.5, 0.5, 0.5]\n"
      "std: [0.5, 0.5, 0.5]\n"
      "patch_size: 14\n"
      "embedding_dim: 1536\n"
      "output_type: dense\n";
  const std::string yaml = head + "output_spatial_dims: [16, 32]\n";
  const ModelSpec spec = parse_spec(yaml, "t.yaml");
  CHECK(spec.tile_size_pixels() == PixelExtent{.width = 448, .height = 224});
  CHECK(spec.output_spatial_dims() == SpatialDims{.width = 32, .height = 16});
  CHECK(spec.output_shape() == std::vector<std::int64_t>{1536, 16, 32});
  CHECK_THAT(to_yaml(spec), Contains("output_spatial_dims: [16, 32]"));
  CHECK(parse_spec(to_yaml(spec), "t.yaml") == spec);

  const std::string swapped = head + "output_spatial_dims: [32, 16]\n";
  REQUIRE(diagnostics_of(swapped).size() == 1);
  CHECK_THAT(diagnostics_of(swapped)[0], Contains("output_spatial_dims: expected the patch grid [16, 32]"));
}

TEST_CASE("A quoted number where a number belongs is an error at the value", "[loader][diagnostics]") {
  require_diagnostic(with_line("embedding_dim", "embedding_dim: \"1536\""),
                     "t.yaml:11:16: error: embedding_dim: expected a whole number > 0, got \"1536\"");
}

TEST_CASE("A text where a size belongs names the expected form", "[loader][diagnostics]") {
  require_diagnostic(with_line("  size", "  size: \"224\""),
                     "t.yaml:5:9: error: tile_spec.size: expected [width, height] as two numbers > 0, or one number "
                     "for both, got \"224\"");
}

TEST_CASE("A fraction where a whole number belongs is an error", "[loader][diagnostics]") {
  require_diagnostic(with_line("patch_size", "patch_size: 14.0"),
                     "t.yaml:9:13: error: patch_size: expected a whole number > 0 (vit) or null (a whole number, not "
                     "a fraction), got 14.0");
}

TEST_CASE("A map where a list belongs is an error", "[loader][diagnostics]") {
  require_diagnostic(with_line("mean", "mean: {r: 0.7}"),
                     "t.yaml:7:7: error: mean: expected a list of numbers (one per channel), got a map");
}

TEST_CASE("A whole number beyond 64 bits is an error, not a wrap", "[loader][diagnostics]") {
  require_diagnostic(with_line("embedding_dim", "embedding_dim: 99999999999999999999"),
                     "t.yaml:11:16: error: embedding_dim: expected a whole number > 0 within 64 bits, got "
                     "99999999999999999999");
}

TEST_CASE("A whole number beyond 32 bits reaches the value rules exactly", "[loader][diagnostics]") {
  require_diagnostic(with_line("embedding_dim", "embedding_dim: 4294967298"),
                     "t.yaml:11:16: error: embedding_dim: expected a whole number in [1, 16777216], got 4294967298");
}

TEST_CASE("An unknown key is an error with a did-you-mean for near misses", "[loader][diagnostics]") {
  const std::vector<std::string> lines = diagnostics_of(with_line("patch_size", "patch_sise: 14"));
  REQUIRE(lines.size() == 2);
  // The missing patch_size is reported at the map that lacks it.
  CHECK(lines[0] == "t.yaml:1:1: error: patch_size: required for architecture vit: expected a whole number > 0");
  CHECK(lines[1] == "t.yaml:9:1: error: patch_sise: unknown key \"patch_sise\" (did you mean \"patch_size\"?)");
}

TEST_CASE("An unknown key far from any known one lists the known keys", "[loader][diagnostics]") {
  require_diagnostic(minimal + "colour: pink\n",
                     "t.yaml:13:1: error: colour: unknown key \"colour\"; expected one of model_name | version | "
                     "weights_source | license | tile_spec | num_channels | mean | std | interpolation | antialias | "
                     "color_space | stain_normalization | stain_target | architecture | patch_size | "
                     "num_prefix_tokens | "
                     "embedding_dim | output_type | output_spatial_dims | precision");
}

TEST_CASE("An unknown key inside tile_spec names its path", "[loader][diagnostics]") {
  require_diagnostic(with_line("  resolution", "  resolution: 0.5\n  strid: 224"),
                     "t.yaml:7:3: error: tile_spec.strid: unknown key \"strid\" (did you mean \"stride\"?)");
}

TEST_CASE("A duplicate key is an error that points at both", "[loader][diagnostics]") {
  require_diagnostic(minimal + "embedding_dim: 768\n",
                     "t.yaml:13:1: error: embedding_dim: duplicate key; first given at line 11, column 1");
}

TEST_CASE("A missing required key is reported at its parent map", "[loader][diagnostics]") {
  require_diagnostic(with_line("version", ""),
                     "t.yaml:1:1: error: version: required key missing: expected a SemVer "
                     "version, e.g. 1.0.0");
  require_diagnostic(with_line("  size", ""),
                     "t.yaml:5:3: error: tile_spec.size: required key missing: expected "
                     "[width, height] or one number for both");
}

TEST_CASE("A null required key is reported at the null", "[loader][diagnostics]") {
  require_diagnostic(with_line("output_type", "output_type: null"),
                     "t.yaml:12:14: error: output_type: expected one of cls | patch_mean | cls+patch_mean | dense | "
                     "token_sequence, got null");
  // In the words of the missing-key message, which say more than a type.
  require_diagnostic(with_line("version", "version: null"),
                     "t.yaml:2:10: error: version: expected a SemVer version, e.g. 1.0.0, got null");
  require_diagnostic(with_line("version", "version: [1, 0, 0]"),
                     "t.yaml:2:10: error: version: expected text, got a list of 3 items");
  require_diagnostic(with_line("  size", "  size: null"),
                     "t.yaml:5:9: error: tile_spec.size: expected [width, height] or one number for both, got null");
}

TEST_CASE("An unknown vocabulary word lists the allowed ones and the nearest", "[loader][diagnostics]") {
  require_diagnostic(with_line("output_type", "output_type: cls+patchmean"),
                     "t.yaml:12:14: error: output_type: expected one of cls | patch_mean | cls+patch_mean | dense | "
                     "token_sequence, got \"cls+patchmean\" (did you mean \"cls+patch_mean\"?)");
  require_diagnostic(minimal + "color_space: rgb\n",
                     "t.yaml:13:14: error: color_space: expected one of RGB | BGR | HED, got \"rgb\" (did you mean "
                     "\"RGB\"?)");
}

TEST_CASE("Booleans are true or false, not YAML 1.1 words", "[loader][diagnostics]") {
  require_diagnostic(minimal + "antialias: yes\n", "t.yaml:13:12: error: antialias: expected true or false, got yes");
}

TEST_CASE("A broken value rule points at the element that breaks it", "[loader][diagnostics]") {
  require_diagnostic(with_line("std", "std: [0.211883, -1, 0.177517]"),
                     "t.yaml:8:17: error: std[1]: expected a finite number > 0, got -1");
  require_diagnostic(with_line("mean", "mean: [.nan, 0.5, 0.5]"),
                     "t.yaml:7:8: error: mean[0]: expected a finite number, got nan");
}

TEST_CASE("Rules that span fields point at the field they name", "[loader][diagnostics]") {
  require_diagnostic(with_line("patch_size", "patch_size: 15"),
                     "t.yaml:9:13: error: patch_size: expected a divisor of both tile sides 224 x 224 px, got 15");
  require_diagnostic(with_line("embedding_dim", "embedding_dim: 1535"),
                     "t.yaml:11:16: error: embedding_dim: cls+patch_mean concatenates two halves: expected an even "
                     "number, got 1535");
}

TEST_CASE("Tile rules point into tile_spec", "[loader][diagnostics]") {
  require_diagnostic(with_line("  size", "  size: [224.5, 224]"),
                     "t.yaml:5:9: error: tile_spec.size: expected whole pixels, got [224.5, 224]");
  require_diagnostic(with_line("  resolution", "  resolution: -0.5"),
                     "t.yaml:6:15: error: tile_spec.resolution: expected a finite number > 0, got -0.5");
  require_diagnostic(with_line("  resolution", "  resolution: {magnification: 20}"),
                     "t.yaml:6:15: error: tile_spec.resolution: expected an MPP (a ModelSpec needs a physical "
                     "resolution), got 20x");
  require_diagnostic(with_line("  resolution", "  resolution: {level: -1}"),
                     "t.yaml:6:23: error: tile_spec.resolution.level: expected an index in [0, 2147483647], got -1");
  require_diagnostic(with_line("  resolution", "  resolution: {mpp: -1}"),
                     "t.yaml:6:21: error: tile_spec.resolution.mpp: expected a finite number > 0, got -1");
  // Two kinds at once, or one kind twice: named at the second key.
  require_diagnostic(with_line("  resolution", "  resolution: {mpp: 0.5, level: 0}"),
                     "t.yaml:6:26: error: tile_spec.resolution.level: expected only one of mpp, magnification or "
                     "level; mpp is already given at line 6, column 16");
  require_diagnostic(with_line("  resolution", "  resolution: {mpp: 0.5, mpp: 0.25}"),
                     "t.yaml:6:26: error: tile_spec.resolution.mpp: duplicate key; first given at line 6, column 16");
  require_diagnostic(with_line("  resolution", "  resolution: {}"),
                     "t.yaml:6:15: error: tile_spec.resolution: expected a number (an MPP) or a map {mpp: X}, "
                     "{magnification: X} or {level: N}, got a map");
}

TEST_CASE("A micron tile must come out as whole pixels", "[loader][diagnostics][microns]") {
  // 224 um at 0.3 mpp = 746.67 px.
  const std::vector<std::string> lines = diagnostics_of(with_line("  resolution", "  resolution: 0.3\n  unit: um"));
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], StartsWith("t.yaml:5:9: error: tile_spec.size: expected lengths that are whole pixels at 0.3 "
                                  "mpp (within a relative 1e-6), got [224, 224] um = [746.66"));
  CHECK(parse_spec(with_line("  resolution", "  resolution: 0.5\n  unit: um"), "t.yaml").tile_size_pixels() ==
        PixelExtent{.width = 448, .height = 448});
}

TEST_CASE("All faults of a file are reported, in file order", "[loader][diagnostics]") {
  const std::vector<std::string> lines = diagnostics_of(
      "model_name: H0\n"
      "version: 1\n"
      "tile_spec:\n"
      "  size: [224, 224]\n"
      "  resolution: 0.5\n"
      "  unit: inches\n"
      "mean: [0.5, 0.5, 0.5]\n"
      "std: [0.5, 0, 0.5]\n"
      "patch_size: 14\n"
      "embedding_dim: 1536\n"
      "output_type: cls\n"
      "precision: fp64\n");
  REQUIRE(lines.size() == 5);
  CHECK_THAT(lines[0], Contains("t.yaml:1:13: error: model_name:"));
  CHECK_THAT(lines[1], Contains("t.yaml:2:10: error: version:"));
  CHECK_THAT(lines[2], Contains("t.yaml:6:9: error: tile_spec.unit: expected one of pixels | um, got \"inches\""));
  CHECK_THAT(lines[3], Contains("t.yaml:8:12: error: std[1]:"));
  CHECK_THAT(lines[4], Contains("t.yaml:12:12: error: precision: expected one of fp32 | fp16 | bf16, got \"fp64\""));
}

TEST_CASE("A config with very many faults reports the first ones and counts the rest", "[loader][diagnostics]") {
  std::string text = minimal;
  for (int i = 0; i < 60; ++i) {
    text += "unknown_" + std::to_string(i) + ": 1\n";
  }
  const std::vector<std::string> lines = diagnostics_of(text);
  REQUIRE(lines.size() == LoadLimits::max_diagnostics + 1);
  CHECK_THAT(lines[0], StartsWith("t.yaml:13:1: error: unknown_0: unknown key"));
  CHECK_THAT(lines[49], StartsWith("t.yaml:62:1: error: unknown_49: unknown key"));
  CHECK(lines[50] ==
        "t.yaml:62:1: error: 10 more problems after this one are not shown (at most 50 are reported "
        "per config)");
}

TEST_CASE("A field that fails to parse hides only the rules that compare against it", "[loader][diagnostics]") {
  SECTION("an unreadable output_type still lets embedding_dim's own range be judged") {
    std::string text = with_line("output_type", "output_type: clss");
    text = text.replace(text.find("embedding_dim: 1536"), 19, "embedding_dim: -5");
    const std::vector<std::string> lines = diagnostics_of(text);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "t.yaml:11:16: error: embedding_dim: expected a whole number in [1, 16777216], got -5");
    CHECK_THAT(lines[1], StartsWith("t.yaml:12:14: error: output_type: expected one of"));
  }
  SECTION("an unreadable architecture still lets num_prefix_tokens' own range be judged") {
    const std::vector<std::string> lines =
        diagnostics_of(with_line("num_prefix_tokens", "num_prefix_tokens: -3") + "architecture: vitt\n");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "t.yaml:10:20: error: num_prefix_tokens: expected a whole number in [0, 16777216], got -3");
    CHECK_THAT(lines[1], StartsWith("t.yaml:13:15: error: architecture: expected one of"));
  }
  SECTION("a bad num_channels still lets each std value be judged") {
    const std::vector<std::string> lines =
        diagnostics_of(with_line("std", "std: [-1, 0.2, 0.2]") + "num_channels: 0\n");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "t.yaml:8:7: error: std[0]: expected a finite number > 0, got -1");
    CHECK(lines[1] == "t.yaml:13:15: error: num_channels: expected a whole number in [1, 16777216], got 0");
  }
}

TEST_CASE("A field that fails to parse does not cause follow-on errors", "[loader][diagnostics]") {
  // num_channels is bad, so the per-channel counts of mean and std are not judged.
  require_diagnostic(minimal + "num_channels: three\n",
                     "t.yaml:13:15: error: num_channels: expected a whole number >= 1, got three");
}

TEST_CASE("Documents that are not one map are errors", "[loader][diagnostics]") {
  require_diagnostic("",
                     "t.yaml:1:1: error: expected a map of model fields (model_name, version, tile_spec, ...), got "
                     "an empty document");
  require_diagnostic("# only a comment\n",
                     "t.yaml:1:1: error: expected a map of model fields (model_name, version, "
                     "tile_spec, ...), got an empty document");
  require_diagnostic("- a\n- b\n",
                     "t.yaml:1:1: error: expected a map of model fields (model_name, version, "
                     "tile_spec, ...), got a list of 2 items");
  require_diagnostic("just text\n",
                     "t.yaml:1:1: error: expected a map of model fields (model_name, version, "
                     "tile_spec, ...), got just text");
  require_diagnostic(minimal + "---\n" + minimal,
                     "t.yaml:13:1: error: expected one YAML document (one model per file), found a second one");
}

TEST_CASE("YAML syntax errors are located and explained", "[loader][diagnostics]") {
  require_diagnostic(with_line("mean", "mean: [0.5, 0.5, 0.5"),
                     "t.yaml:8:4: error: YAML syntax error: a '[' list is not closed with ']'");
  require_diagnostic("model_name: x\n\tversion: 1.0.0\n",
                     "t.yaml:2:1: error: YAML syntax error: tabs are not allowed in indentation; use spaces");
}

TEST_CASE("Bytes that are not UTF-8 are an error at their position", "[loader][diagnostics]") {
  require_diagnostic("model_name: h0\xff\n",
                     "t.yaml:1:15: error: expected UTF-8 text, found the invalid byte \"\\xff\"");
  require_diagnostic(std::string("model_name: h0\n\0", 16), "t.yaml:2:1: error: expected UTF-8 text, found a NUL byte");
}

TEST_CASE("to_yaml writes a config that parses back to an equal spec", "[loader][roundtrip]") {
  const ModelSpec original = parse_spec(
      "model_name: round.trip\nversion: 0.1.0-beta\nlicense: \"MIT: with a colon\"\n"
      "tile_spec: {size: [128, 64], stride: 32, resolution: 0.5714285714285714, unit: um}\n"
      "mean: [0.1, 0.2, 0.30000000000000004]\nstd: [1e-3, 0.2, 0.3]\ninterpolation: area\nantialias: false\n"
      "stain_normalization: reinhard\npatch_size: 8\nembedding_dim: 384\noutput_type: token_sequence\n",
      "t.yaml");
  const std::string yaml = to_yaml(original);
  INFO(yaml);
  CHECK(parse_spec(yaml, "again.yaml") == original);
  CHECK_THAT(yaml, Contains("stride: [32, 32]") && Contains("weights_source: ~") && Contains("precision: fp32"));
}

TEST_CASE("to_yaml writes every key in schema order", "[loader][roundtrip]") {
  const std::string yaml = to_yaml(parse_spec(minimal, "t.yaml"));
  const std::vector<std::string> order{"model_name:",
                                       "version:",
                                       "weights_source:",
                                       "license:",
                                       "tile_spec:",
                                       "size:",
                                       "stride:",
                                       "resolution:",
                                       "unit:",
                                       "num_channels:",
                                       "mean:",
                                       "std:",
                                       "interpolation:",
                                       "antialias:",
                                       "color_space:",
                                       "stain_normalization:",
                                       "stain_target:",
                                       "architecture:",
                                       "patch_size:",
                                       "num_prefix_tokens:",
                                       "embedding_dim:",
                                       "output_type:",
                                       "output_spatial_dims:",
                                       "precision:"};
  std::size_t position = 0;
  for (const std::string& key : order) {
    const std::size_t found = yaml.find(key, position);
    INFO(key);
    REQUIRE(found != std::string::npos);
    position = found;
  }
}

TEST_CASE("load_spec reads a file and names it in diagnostics", "[loader][files]") {
  const bioptimus::testing::TempDir dir;
  const auto good = dir.write("h0-mini.yaml", minimal);
  CHECK(load_spec(good).model_name() == "h0-mini");
  const auto bad = dir.write("bad.yaml", with_line("embedding_dim", "embedding_dim: -3"));
  REQUIRE_THROWS_WITH(load_spec(bad), bad.string() +
                                          ":11:16: error: embedding_dim: expected a whole number in [1, "
                                          "16777216], got -3");
  REQUIRE_THROWS_WITH(load_spec(dir.path() / "missing.yaml"),
                      (dir.path() / "missing.yaml").string() + ": error: cannot open: No such file or directory");
  REQUIRE_THROWS_WITH(load_spec(dir.path()), Contains("expected a YAML file, got a directory"));
}

TEST_CASE("load_spec requires the file stem to be the model name", "[loader][files]") {
  const bioptimus::testing::TempDir dir;
  const auto misnamed = dir.write("my-model.yaml", minimal);
  REQUIRE_THROWS_WITH(load_spec(misnamed), misnamed.string() +
                                               ":1:13: error: model_name: expected the file stem "
                                               "\"my-model\" (one model per file, named after it), "
                                               "got \"h0-mini\"");
}

TEST_CASE("Fixture files load or fail exactly as recorded", "[loader][files]") {
  const std::string data = BIOPTIMUS_TEST_DATA_DIR;
  CHECK(load_spec(data + "/valid/dense-vit.yaml").output_shape() == std::vector<std::int64_t>{768, 16, 16});
  CHECK(load_spec(data + "/valid/convnext-dense.yaml").output_shape() == std::vector<std::int64_t>{768, 7, 7});
  try {
    (void)load_spec(data + "/invalid/many-faults.yaml");
    FAIL("expected a ConfigError");
  } catch (const ConfigError& error) {
    std::vector<std::string> lines;
    for (const Diagnostic& diagnostic : error.diagnostics()) {
      lines.push_back(diagnostic.to_string());
    }
    const std::string file = data + "/invalid/many-faults.yaml";
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == file +
                          ":3:17: error: weights_source: expected a non-empty repository, URL or path (or null), "
                          "got \"\"");
    CHECK(lines[1] == file + ":6:15: error: tile_spec.resolution: expected a finite number > 0, got 0");
    CHECK(lines[2] == file +
                          ":10:15: error: architecture: expected one of vit | swin | resnet | convnext, got "
                          "\"resnt\" (did you mean \"resnet\"?)");
    CHECK(lines[3] == file + ":14:1: error: output_spatial_dims: duplicate key; first given at line 13, column 1");
  }
}
