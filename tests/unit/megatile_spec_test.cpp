// tests/unit/megatile_spec_test.cpp
//
// MegaTileSpec: defaults, derived values, the ratio window, and every rule
// with the field it names.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/megatile_spec.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"

namespace {

using namespace bioptimus::extraction::wsi;
using bioptimus::ValidationError;
using bioptimus::Violation;
using bioptimus::io::wsi::MPP;
using Catch::Matchers::Contains;

constexpr TileSpec h0_tile{{.size = {224, 224}, .resolution = MPP{0.5}}};

// The violations of `fields`, or none when it is valid.
std::vector<Violation> violations_of(const MegaTileSpec::Fields& fields) {
  try {
    (void)MegaTileSpec{fields};
  } catch (const ValidationError& error) {
    REQUIRE(error.type_name() == "MegaTileSpec");
    return error.violations();
  }
  return {};
}

MegaTileSpec::Fields square(std::int64_t side) {
  return {.megatile_shape = {.rows = side, .cols = side}, .tile_spec = h0_tile};
}

}  // namespace

TEST_CASE("MegaTileSpec defaults: rectangular, stride = shape, ratios [0.5, none]", "[megatile]") {
  constexpr MegaTileSpec spec{{.megatile_shape = {.rows = 5, .cols = 5}, .tile_spec = h0_tile}};
  STATIC_REQUIRE(spec.rows() == 5);
  STATIC_REQUIRE(spec.cols() == 5);
  STATIC_REQUIRE(spec.num_tiles() == 25);  // the SDK's example
  STATIC_REQUIRE(spec.grid_layout() == GridLayout::rectangular);
  STATIC_REQUIRE_FALSE(spec.megatile_stride().has_value());
  STATIC_REQUIRE(spec.effective_stride() == TileGridShape{.rows = 5, .cols = 5});
  STATIC_REQUIRE(spec.min_valid_tiles_ratio() == 0.5);
  STATIC_REQUIRE_FALSE(spec.max_valid_tiles_ratio().has_value());
  STATIC_REQUIRE(spec.tile_spec() == h0_tile);
}

TEST_CASE("MegaTileSpec derived values of a non-square block with its own stride", "[megatile]") {
  constexpr MegaTileSpec spec{{.megatile_shape = {.rows = 2, .cols = 3},
                               .tile_spec = h0_tile,
                               .grid_layout = GridLayout::hexagonal,
                               .megatile_stride = TileGridShape{.rows = 1, .cols = 4},
                               .min_valid_tiles_ratio = 0.25,
                               .max_valid_tiles_ratio = 0.75}};
  STATIC_REQUIRE(spec.rows() == 2);
  STATIC_REQUIRE(spec.cols() == 3);
  STATIC_REQUIRE(spec.num_tiles() == 6);
  STATIC_REQUIRE(spec.megatile_stride() == TileGridShape{.rows = 1, .cols = 4});
  STATIC_REQUIRE(spec.effective_stride() == TileGridShape{.rows = 1, .cols = 4});
  STATIC_REQUIRE(spec.grid_layout() == GridLayout::hexagonal);
  STATIC_REQUIRE(spec.max_valid_tiles_ratio() == 0.75);
}

TEST_CASE("MegaTileSpec ratio window: both bounds inclusive, exact for decimal ratios", "[megatile]") {
  // 4 tiles, [0.5, 0.75]: 2 and 3 kept, 1 and 4 not.
  constexpr MegaTileSpec window{{.megatile_shape = {.rows = 2, .cols = 2},
                                 .tile_spec = h0_tile,
                                 .min_valid_tiles_ratio = 0.5,
                                 .max_valid_tiles_ratio = 0.75}};
  STATIC_REQUIRE_FALSE(window.keeps(1));
  STATIC_REQUIRE(window.keeps(2));
  STATIC_REQUIRE(window.keeps(3));
  STATIC_REQUIRE_FALSE(window.keeps(4));
  // 3 of 10 is 0.3: kept at min 0.3 (3 >= 0.3 * 10 would say no).
  constexpr MegaTileSpec tenths{{.megatile_shape = {.rows = 2, .cols = 5},
                                 .tile_spec = h0_tile,
                                 .min_valid_tiles_ratio = 0.3,
                                 .max_valid_tiles_ratio = 0.3}};
  STATIC_REQUIRE(tenths.valid_ratio(3) == 0.3);
  STATIC_REQUIRE(tenths.keeps(3));
  STATIC_REQUIRE_FALSE(tenths.keeps(2));
  STATIC_REQUIRE_FALSE(tenths.keeps(4));
  // No upper bound: a full block is kept; min 0 keeps an empty one.
  constexpr MegaTileSpec open{
      {.megatile_shape = {.rows = 3, .cols = 3}, .tile_spec = h0_tile, .min_valid_tiles_ratio = 0.0}};
  STATIC_REQUIRE(open.keeps(0));
  STATIC_REQUIRE(open.keeps(9));
}

TEST_CASE("MegaTileSpec shape: rows and cols from 1 to 4096", "[megatile]") {
  REQUIRE(violations_of(square(1)).empty());
  REQUIRE(violations_of(square(MegaTileSpec::max_side_tiles)).empty());
  for (const std::int64_t bad : {std::int64_t{0}, std::int64_t{-3}, MegaTileSpec::max_side_tiles + 1,
                                 std::numeric_limits<std::int64_t>::max()}) {
    CAPTURE(bad);
    MegaTileSpec::Fields fields = square(4);
    fields.megatile_shape.cols = bad;
    const std::vector<Violation> found = violations_of(fields);
    REQUIRE(found.size() == 1);
    REQUIRE(found[0].field == "megatile_shape");
    REQUIRE_THAT(found[0].message, Contains("expected [rows, cols] as two whole numbers from 1 to 4096, got [4, " +
                                            std::to_string(bad) + "]"));
  }
}

TEST_CASE("MegaTileSpec stride: rows and cols from 1 to 4096, larger than the shape allowed", "[megatile]") {
  MegaTileSpec::Fields fields = square(2);
  fields.megatile_stride = TileGridShape{.rows = 5, .cols = 1};
  REQUIRE(violations_of(fields).empty());
  fields.megatile_stride = TileGridShape{.rows = 0, .cols = 1};
  const std::vector<Violation> found = violations_of(fields);
  REQUIRE(found.size() == 1);
  REQUIRE(found[0].field == "megatile_stride");
  REQUIRE_THAT(found[0].message, Contains("got [0, 1]"));
}

TEST_CASE("MegaTileSpec ratios: each in [0, 1], finite, and min <= max", "[megatile]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double infinity = std::numeric_limits<double>::infinity();
  for (const double bad : {-0.01, 1.01, nan, infinity}) {
    CAPTURE(bad);
    MegaTileSpec::Fields min_fields = square(2);
    min_fields.min_valid_tiles_ratio = bad;
    std::vector<Violation> found = violations_of(min_fields);
    REQUIRE(found.size() == 1);
    REQUIRE(found[0].field == "min_valid_tiles_ratio");
    REQUIRE_THAT(found[0].message, Contains("expected a number in [0, 1], got"));

    MegaTileSpec::Fields max_fields = square(2);
    max_fields.max_valid_tiles_ratio = bad;
    found = violations_of(max_fields);
    REQUIRE(found.size() == 1);  // an unreadable max is not also compared with min
    REQUIRE(found[0].field == "max_valid_tiles_ratio");
    REQUIRE_THAT(found[0].message, Contains("expected a number in [0, 1] or none, got"));
  }
  MegaTileSpec::Fields fields = square(2);
  fields.min_valid_tiles_ratio = 0.6;
  fields.max_valid_tiles_ratio = 0.4;
  const std::vector<Violation> found = violations_of(fields);
  REQUIRE(found.size() == 1);
  REQUIRE(found[0].field == "max_valid_tiles_ratio");
  REQUIRE(found[0].message == "expected at least min_valid_tiles_ratio (0.6), got 0.4");
  fields.max_valid_tiles_ratio = 0.6;  // equal bounds: one exact ratio
  REQUIRE(violations_of(fields).empty());
  fields.min_valid_tiles_ratio = 0.0;
  fields.max_valid_tiles_ratio = 0.0;
  REQUIRE(violations_of(fields).empty());
  fields.min_valid_tiles_ratio = 1.0;
  fields.max_valid_tiles_ratio = 1.0;
  REQUIRE(violations_of(fields).empty());
}

TEST_CASE("MegaTileSpec reports every violation at once, in field order", "[megatile]") {
  const MegaTileSpec::Fields fields{.megatile_shape = {.rows = 0, .cols = 0},
                                    .tile_spec = h0_tile,
                                    .megatile_stride = TileGridShape{.rows = -1, .cols = 1},
                                    .min_valid_tiles_ratio = 2.0,
                                    .max_valid_tiles_ratio = -1.0};
  const std::vector<Violation> found = violations_of(fields);
  REQUIRE(found.size() == 4);
  CHECK(found[0].field == "megatile_shape");
  CHECK(found[1].field == "megatile_stride");
  CHECK(found[2].field == "min_valid_tiles_ratio");
  CHECK(found[3].field == "max_valid_tiles_ratio");
  REQUIRE_THROWS_WITH(MegaTileSpec{fields}, Contains("MegaTileSpec") && Contains("megatile_shape"));
}

TEST_CASE("MegaTileSpec is a comparable value", "[megatile]") {
  const MegaTileSpec a{square(3)};
  const MegaTileSpec b{square(3)};
  MegaTileSpec::Fields other = square(3);
  other.megatile_stride = TileGridShape{.rows = 3, .cols = 3};  // same effective stride, but given
  REQUIRE(a == b);
  REQUIRE_FALSE(a == MegaTileSpec{other});
  REQUIRE(MegaTileSpec{other}.effective_stride() == a.effective_stride());
}
