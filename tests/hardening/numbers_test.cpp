// Hostile numbers: NaN, infinities, negative zero, integers beyond 32 and 64
// bits, and derived values that would overflow. Each is rejected with a
// diagnostic naming its field, or computed exactly: never wrapped, never
// undefined behaviour (the asan preset runs this with UBSan, which traps on
// float-to-integer overflow).
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/io/wsi/types.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/registry.hpp"
#include "hardening_support.hpp"

using namespace bioptimus::models;
using namespace bioptimus::io::wsi;
using bioptimus::ValidationError;
using bioptimus::Violation;
using bioptimus::extraction::wsi::TileSpec;
using bioptimus::testing::config_with;
using bioptimus::testing::only_diagnostic;

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();

/// `FILE:LINE:COL: error: FIELD: MESSAGE` of a config rejected for one reason.
std::string problem(const std::string& from, const std::string& to) {
  return only_diagnostic(config_with({{from, to}})).to_string();
}

/// The violations a constructor call throws.
template <class Build>
std::vector<Violation> violations_of(Build&& build) {
  try {
    build();
  } catch (const ValidationError& error) {
    return error.violations();
  }
  FAIL("expected a ValidationError");
  return {};
}

ModelSpec::Fields valid_fields() {
  return {.model_name = "probe",
          .version = "1.0.0",
          .tile_spec = TileSpec{{.size = {224, 224}, .resolution = MPP{0.5}}},
          .mean = {0.5, 0.5, 0.5},
          .std = {0.25, 0.25, 0.25},
          .patch_size = 14,
          .embedding_dim = 768,
          .output_type = OutputType::cls};
}

}  // namespace

TEST_CASE("NaN and infinities are rejected in the YAML", "[hardening][numbers]") {
  CHECK(problem("mean: [0.5,", "mean: [.nan,") ==
        "hostile.yaml:7:8: error: mean[0]: expected a finite number, got nan");
  CHECK(problem("mean: [0.5, 0.5,", "mean: [0.5, .NaN,") ==
        "hostile.yaml:7:13: error: mean[1]: expected a finite number, got nan");
  CHECK(problem("std: [0.25,", "std: [.inf,") ==
        "hostile.yaml:8:7: error: std[0]: expected a finite number > 0, got inf");
  CHECK(problem("std: [0.25,", "std: [-.Inf,") ==
        "hostile.yaml:8:7: error: std[0]: expected a finite number > 0, got -inf");
  CHECK(problem("resolution: 0.5", "resolution: .inf") ==
        "hostile.yaml:5:15: error: tile_spec.resolution: expected a finite number > 0, got inf");
  CHECK(problem("resolution: 0.5", "resolution: .nan") ==
        "hostile.yaml:5:15: error: tile_spec.resolution: expected a finite number > 0, got nan");
  CHECK(problem("resolution: 0.5", "resolution: {magnification: .inf}") ==
        "hostile.yaml:5:31: error: tile_spec.resolution.magnification: expected a finite number > 0, got inf");
  CHECK(problem("size: [224, 224]", "size: [.inf, 224]") ==
        "hostile.yaml:4:9: error: tile_spec.size: expected [width, height] as two finite numbers > 0, got [inf, 224]");
  // Spellings YAML 1.2 does not define are not numbers at all.
  CHECK(problem("resolution: 0.5", "resolution: nan") ==
        "hostile.yaml:5:15: error: tile_spec.resolution: expected a number (an MPP) or a map {mpp: X}, "
        "{magnification: X} or {level: N}, got nan");
  CHECK(problem("embedding_dim: 768", "embedding_dim: .inf") ==
        "hostile.yaml:10:16: error: embedding_dim: expected a whole number > 0 (a whole number, not a fraction), got "
        ".inf");
}

TEST_CASE("Negative zero is not a positive number, and is a finite one", "[hardening][numbers]") {
  CHECK(problem("resolution: 0.5", "resolution: -0.0") ==
        "hostile.yaml:5:15: error: tile_spec.resolution: expected a finite number > 0, got -0");
  CHECK(problem("resolution: 0.5", "resolution: {mpp: -0}") ==
        "hostile.yaml:5:21: error: tile_spec.resolution.mpp: expected a finite number > 0, got -0");
  const auto size = bioptimus::testing::rejected(config_with({{"size: [224, 224]", "size: [-0.0, 224]"}}));
  REQUIRE_FALSE(size.empty());
  CHECK(size[0].to_string() ==
        "hostile.yaml:4:9: error: tile_spec.size: expected [width, height] as two finite numbers > 0, got [-0, 224]");
  CHECK(problem("std: [0.25,", "std: [-0.0,") ==
        "hostile.yaml:8:7: error: std[0]: expected a finite number > 0, got -0");
  // A mean may be -0: it is finite and equals 0.
  const ModelSpec spec = parse_spec(config_with({{"mean: [0.5,", "mean: [-0.0,"}}), "ok.yaml");
  CHECK(spec.mean()[0] == 0.0);
  CHECK(problem("embedding_dim: 768", "embedding_dim: -0") ==
        "hostile.yaml:10:16: error: embedding_dim: expected a whole number in [1, 16777216], got 0");
}

TEST_CASE("Integers beyond 32 and 64 bits are rejected, never wrapped", "[hardening][numbers]") {
  SECTION("a pyramid level is a 32-bit index") {
    CHECK(problem("resolution: 0.5", "resolution: {level: 2147483648}") ==
          "hostile.yaml:5:23: error: tile_spec.resolution.level: expected an index in [0, 2147483647], got "
          "2147483648");
    CHECK(problem("resolution: 0.5", "resolution: {level: 4294967296}") ==
          "hostile.yaml:5:23: error: tile_spec.resolution.level: expected an index in [0, 2147483647], got "
          "4294967296");
    CHECK(problem("resolution: 0.5", "resolution: {level: -4294967296}") ==
          "hostile.yaml:5:23: error: tile_spec.resolution.level: expected an index in [0, 2147483647], got "
          "-4294967296");
    // The largest level is a Level, and a ModelSpec then asks for an MPP.
    CHECK(problem("resolution: 0.5", "resolution: {level: 2147483647}") ==
          "hostile.yaml:5:15: error: tile_spec.resolution: expected an MPP (a ModelSpec needs a physical resolution), "
          "got level 2147483647");
  }
  SECTION("beyond 32 bits, within 64: range-checked as a 64-bit value") {
    CHECK(problem("embedding_dim: 768", "embedding_dim: 4294967296") ==
          "hostile.yaml:10:16: error: embedding_dim: expected a whole number in [1, 16777216], got 4294967296");
    CHECK(problem("embedding_dim: 768", "embedding_dim: 4294967297") ==
          "hostile.yaml:10:16: error: embedding_dim: expected a whole number in [1, 16777216], got 4294967297");
    CHECK(problem("embedding_dim: 768", "embedding_dim: 9223372036854775807") ==
          "hostile.yaml:10:16: error: embedding_dim: expected a whole number in [1, 16777216], got "
          "9223372036854775807");
    CHECK(problem("embedding_dim: 768", "embedding_dim: -9223372036854775808") ==
          "hostile.yaml:10:16: error: embedding_dim: expected a whole number in [1, 16777216], got "
          "-9223372036854775808");
    CHECK(problem("patch_size: 14", "patch_size: 4294967310") ==
          "hostile.yaml:9:13: error: patch_size: expected a divisor of both tile sides 224 x 224 px, got 4294967310");
  }
  SECTION("beyond 64 bits: refused by the reader") {
    for (const std::string text : {"9223372036854775808", "-9223372036854775809", "18446744073709551616",
                                   "340282366920938463463374607431768211456"}) {
      CHECK(problem("embedding_dim: 768", "embedding_dim: " + text) ==
            "hostile.yaml:10:16: error: embedding_dim: expected a whole number > 0 within 64 bits, got " + text);
    }
  }
  SECTION("doubles beyond the range of a double") {
    CHECK(problem("resolution: 0.5", "resolution: 1e309") ==
          "hostile.yaml:5:15: error: tile_spec.resolution: expected a number (an MPP) or a map {mpp: X}, "
          "{magnification: X} or {level: N} within the range of a double, got 1e309");
    CHECK(problem("resolution: 0.5", "resolution: 1e-400") ==
          "hostile.yaml:5:15: error: tile_spec.resolution: expected a number (an MPP) or a map {mpp: X}, "
          "{magnification: X} or {level: N} within the range of a double, got 1e-400");
    CHECK(problem("mean: [0.5,", "mean: [-1e400,") ==
          "hostile.yaml:7:8: error: mean[0]: expected a number within the range of a double, got -1e400");
  }
}

TEST_CASE("Derived values that would overflow are rejected in the YAML", "[hardening][numbers][derived]") {
  SECTION("an mpp beyond any slide, tiny or huge, is refused by MPP's bounds") {
    for (const auto& [mpp, shown] : std::vector<std::pair<std::string, std::string>>{{"1e-300", "1e-300"},
                                                                                     {"5e-324", "5e-324"},
                                                                                     {"0.000999", "0.000999"},
                                                                                     {"100001", "100001"},
                                                                                     {"1e300", "1e+300"}}) {
      INFO(mpp);
      CHECK(bioptimus::testing::only_diagnostic(config_with({{"resolution: 0.5", "resolution: " + mpp}})).message ==
            "expected an MPP in [0.001, 100000] um/px (no slide is finer or coarser), got " + shown);
    }
    CHECK(bioptimus::testing::only_diagnostic(config_with({{"resolution: 0.5", "resolution: {magnification: 1e-5}"}}))
              .message == "expected a magnification in [0.0001, 10000] (the range of MPP), got 1e-05");
  }
  SECTION("the finest mpp with a micron tile: 2000 um at 0.001 mpp is 2e6 pixels") {
    const auto diagnostics = bioptimus::testing::rejected(config_with({{"size: [224, 224]", "size: [2000, 2000]"},
                                                                       {"resolution: 0.5", "resolution: 0.001"},
                                                                       {"unit: pixels", "unit: um"}}));
    REQUIRE_FALSE(diagnostics.empty());
    CHECK(diagnostics[0].to_string() ==
          "hostile.yaml:4:9: error: tile_spec.size: expected at most 1048576 pixels per side, got [2000, 2000] um at "
          "0.001 mpp");
  }
  SECTION("the coarsest mpp with a micron tile: a fraction of a pixel") {
    const auto diagnostics = bioptimus::testing::rejected(
        config_with({{"resolution: 0.5", "resolution: 100000"}, {"unit: pixels", "unit: um"}}));
    REQUIRE_FALSE(diagnostics.empty());
    CHECK(diagnostics[0].message ==
          "expected lengths that are whole pixels at 1e+05 mpp (within a relative 1e-6), got [224, 224] um = "
          "[0.0022400000000000002, 0.0022400000000000002] px");
  }
  SECTION("a huge tile in pixels, and one past 2^53 where doubles lose whole numbers") {
    for (const std::string size : {"1e300", "1048577", "9007199254740993", "1e308"}) {
      INFO(size);
      const auto diagnostics = bioptimus::testing::rejected(config_with({{"size: [224, 224]", "size: " + size}}));
      REQUIRE_FALSE(diagnostics.empty());
      CHECK(diagnostics[0].field == "tile_spec.size");
      CHECK(diagnostics[0].message.rfind("expected at most 1048576 pixels per side, got ", 0) == 0);
    }
  }
  SECTION("the largest tile is accepted and its derived values are exact") {
    const ModelSpec spec = parse_spec(config_with({{"size: [224, 224]", "size: 1048576"},
                                                   {"patch_size: 14", "patch_size: 1"},
                                                   {"output_type: cls", "output_type: token_sequence"}}),
                                      "ok.yaml");
    CHECK(spec.tile_size_pixels() == bioptimus::extraction::wsi::PixelExtent{.width = 1048576, .height = 1048576});
    CHECK(spec.num_patch_tokens() == std::int64_t{1} << 40);
    CHECK(spec.sequence_length() == (std::int64_t{1} << 40) + 1);
    CHECK(spec.output_shape() == std::vector<std::int64_t>{(std::int64_t{1} << 40) + 1, 768});
    CHECK(spec.tile_size_microns() == bioptimus::extraction::wsi::Extent{524288});
  }
}

TEST_CASE("The C++ constructors reject the same hostile numbers", "[hardening][numbers][constructors]") {
  SECTION("MPP and Magnification") {
    for (const double value : {not_a_number, inf, -inf, 0.0, -0.0, -1.0}) {
      INFO(value);
      CHECK(violations_of([&] { static_cast<void>(MPP{value}); }).at(0).field == "mpp");
      CHECK(violations_of([&] { static_cast<void>(Magnification{value}); }).at(0).field == "magnification");
    }
    CHECK(violations_of([] { static_cast<void>(MPP{-0.0}); }).at(0).message == "expected a finite number > 0, got -0");
    for (const double value : {std::numeric_limits<double>::denorm_min(), 1e-300, 9.99e-4, 1.0001e5, 1e308}) {
      INFO(value);
      CHECK(violations_of([&] { static_cast<void>(MPP{value}); }).at(0).field == "mpp");
      CHECK(violations_of([&] { static_cast<void>(Magnification{value / 10.0}); }).at(0).field == "magnification");
    }
    // At the bounds the conversions stay inside each other's range.
    CHECK(approximate_magnification(MPP{MPP::min_value}) == Magnification{Magnification::max_value});
    CHECK(approximate_magnification(MPP{MPP::max_value}) == Magnification{Magnification::min_value});
    CHECK(approximate_mpp(Magnification{Magnification::min_value}) == MPP{MPP::max_value});
    CHECK(approximate_mpp(Magnification{Magnification::max_value}) == MPP{MPP::min_value});
    CHECK(violations_of([] { static_cast<void>(Level{std::numeric_limits<std::int32_t>::min()}); }).at(0).message ==
          "expected an index in [0, 2147483647], got -2147483648");
  }
  SECTION("TileSpec") {
    const auto tile_violations = [](TileSpec::Fields fields) {
      return violations_of([&] { static_cast<void>(TileSpec{fields}); });
    };
    CHECK(tile_violations({.size = {not_a_number, 224}, .resolution = MPP{0.5}}).at(0).message ==
          "expected [width, height] as two finite numbers > 0, got [nan, 224]");
    CHECK(tile_violations({.size = {-0.0, 224}, .resolution = MPP{0.5}}).at(0).message ==
          "expected [width, height] as two finite numbers > 0, got [-0, 224]");
    CHECK(tile_violations({.size = {inf, inf}, .resolution = Level{0}}).at(0).field == "size");
    CHECK(tile_violations({.size = {2000, 2000}, .resolution = MPP{1e-3}, .unit = MeasurementUnit::um}).at(0).message ==
          "expected at most 1048576 pixels per side, got [2000, 2000] um at 0.001 mpp");
    CHECK(tile_violations({.size = {1e300, 1e300}, .resolution = MPP{0.5}}).at(0).message ==
          "expected at most 1048576 pixels per side, got [1e+300, 1e+300] pixels");
    CHECK(tile_violations({.size = {224, 224}, .stride = {1.5, 224}, .resolution = MPP{0.5}}).at(0).field == "stride");
  }
  SECTION("TileSpec::scale_to_reference with extreme ratios") {
    const TileSpec tile{{.size = {224, 224}, .resolution = MPP{0.5}}};
    for (const double ratio : {not_a_number, inf, 0.0, -0.0, -1.0}) {
      INFO(ratio);
      CHECK(violations_of([&] { static_cast<void>(tile.scale_to_reference(ratio, MPP{0.5})); }).at(0).field ==
            "downsample_ratio");
    }
    // 224 / 1e-300 pixels: far too large, reported rather than cast.
    CHECK(violations_of([&] { static_cast<void>(tile.scale_to_reference(1e-300, MPP{0.5})); }).at(0).field == "size");
    // 1e5 * 1e308 mpp overflows to infinity: refused as a ratio that leaves
    // MPP's range (a level-defined tile, since an MPP tile only accepts its
    // own mpp as the target).
    const TileSpec at_level{{.size = {224, 224}, .resolution = Level{0}}};
    CHECK(violations_of([&] { static_cast<void>(at_level.scale_to_reference(1e308, MPP{1e5})); }).at(0).field ==
          "downsample_ratio");
    CHECK(violations_of([&] { static_cast<void>(tile.scale_to_reference(2.0, MPP{1e5})); }).at(0).field ==
          "target_mpp");
    // A huge ratio rounds the tile up to one pixel: valid and exact.
    const TileSpec tiny = tile.scale_to_reference(2e5, MPP{0.5});  // the coarsest reference, 100000 mpp
    CHECK(tiny.size_pixels() == bioptimus::extraction::wsi::PixelExtent{.width = 1, .height = 1});
  }
  SECTION("ModelSpec: 64-bit extremes in every integer field") {
    const auto model_violations = [](ModelSpec::Fields fields) {
      return violations_of([&] { static_cast<void>(ModelSpec{std::move(fields)}); });
    };
    for (const std::int64_t extreme : {int64_min, std::int64_t{-1}, std::int64_t{0}, int64_max,
                                       ModelSpec::max_dimension + 1, std::int64_t{1} << 32}) {
      INFO(extreme);
      ModelSpec::Fields fields = valid_fields();
      fields.embedding_dim = extreme;
      CHECK(model_violations(fields).at(0).field == "embedding_dim");
      fields = valid_fields();
      fields.num_channels = extreme;
      CHECK(model_violations(fields).at(0).field == "num_channels");
      fields = valid_fields();
      fields.num_prefix_tokens = extreme;
      CHECK(model_violations(fields).at(0).field == "num_prefix_tokens");
      fields = valid_fields();
      fields.patch_size = extreme;
      CHECK(model_violations(fields).at(0).field == "patch_size");
      fields = valid_fields();
      fields.output_type = OutputType::dense;
      fields.output_spatial_dims = SpatialDims{.width = 16, .height = extreme};
      CHECK(model_violations(fields).at(0).field == "output_spatial_dims");
    }
  }
  SECTION("ModelSpec: NaN, infinities and -0 in mean and std") {
    ModelSpec::Fields fields = valid_fields();
    fields.mean = {not_a_number, inf, -inf};
    fields.std = {-0.0, 0.0, not_a_number};
    const std::vector<Violation> violations = violations_of([&] { static_cast<void>(ModelSpec{fields}); });
    REQUIRE(violations.size() == 6);
    CHECK(violations[0] == Violation{"mean[0]", "expected a finite number, got nan"});
    CHECK(violations[2] == Violation{"mean[2]", "expected a finite number, got -inf"});
    CHECK(violations[3] == Violation{"std[0]", "expected a finite number > 0, got -0"});
  }
  SECTION("ModelSpec: the largest valid values give exact derived values") {
    ModelSpec::Fields fields = valid_fields();
    fields.tile_spec = TileSpec{{.size = {1048576, 1048576}, .resolution = MPP{0.5}}};
    fields.patch_size = 1;
    fields.num_prefix_tokens = ModelSpec::max_dimension;
    fields.embedding_dim = ModelSpec::max_dimension;
    fields.output_type = OutputType::token_sequence;
    const ModelSpec spec{fields};
    CHECK(spec.sequence_length() == (std::int64_t{1} << 40) + (std::int64_t{1} << 24));
    CHECK(spec.output_shape() ==
          std::vector<std::int64_t>{(std::int64_t{1} << 40) + (std::int64_t{1} << 24), std::int64_t{1} << 24});
  }
}
