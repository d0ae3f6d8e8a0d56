// TileSpec: fields, validation and derived geometry.
#include <catch2/catch.hpp>

#include <limits>

#include "bioptimus/extraction/wsi/types.hpp"
#include "bioptimus/io/wsi/types.hpp"

using namespace bioptimus::io::wsi;
using bioptimus::ValidationError;
using bioptimus::extraction::wsi::Extent;
using bioptimus::extraction::wsi::PixelExtent;
using bioptimus::extraction::wsi::TileSpec;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinRel;

TEST_CASE("TileSpec keeps size, stride, resolution and unit as given", "[tile_spec]") {
  const TileSpec tile{
      {.size = {256, 128}, .stride = {200, 100}, .resolution = MPP{0.5}, .unit = MeasurementUnit::pixels}};
  CHECK(tile.width() == 256);
  CHECK(tile.height() == 128);
  CHECK(tile.stride_width() == 200);
  CHECK(tile.stride_height() == 100);
  CHECK(tile.size() == Extent{256, 128});
  CHECK(tile.stride() == Extent{200, 100});
  CHECK(tile.resolution() == Resolution{MPP{0.5}});
  CHECK(tile.unit() == MeasurementUnit::pixels);
  CHECK(tile.mpp() == MPP{0.5});
}

TEST_CASE("TileSpec stride defaults to size and unit to pixels; one number means a square", "[tile_spec]") {
  const TileSpec tile{{.size = Extent{224}, .resolution = Level{0}}};
  CHECK(tile.size() == Extent{224, 224});
  CHECK(tile.stride() == Extent{224, 224});
  CHECK(tile.unit() == MeasurementUnit::pixels);
  CHECK(tile == TileSpec{{.size = {224, 224}, .stride = {224, 224}, .resolution = Level{0}}});
}

TEST_CASE("TileSpec in pixels converts to microns only with an MPP resolution", "[tile_spec][derived]") {
  const TileSpec at_mpp{{.size = {224, 224}, .resolution = MPP{0.5}}};
  CHECK(at_mpp.size_pixels() == PixelExtent{.width = 224, .height = 224});
  CHECK(at_mpp.size_microns() == Extent{112, 112});
  CHECK(at_mpp.stride_microns() == Extent{112, 112});
  const TileSpec at_level{{.size = {224, 224}, .resolution = Level{1}}};
  CHECK_FALSE(at_level.size_microns().has_value());
  const TileSpec at_power{{.size = {224, 224}, .resolution = Magnification{20}}};
  CHECK_FALSE(at_power.size_microns().has_value());
}

TEST_CASE("TileSpec in microns converts to whole pixels", "[tile_spec][derived][microns]") {
  // 112 um at 0.5 mpp = 224 px; 56 um = 112 px.
  const TileSpec tile{{.size = {112, 112}, .stride = {56, 56}, .resolution = MPP{0.5}, .unit = MeasurementUnit::um}};
  CHECK(tile.size_pixels() == PixelExtent{.width = 224, .height = 224});
  CHECK(tile.stride_pixels() == PixelExtent{.width = 112, .height = 112});
  CHECK(tile.size_microns() == Extent{112, 112});
  CHECK(tile.overlap_pixels() == PixelExtent{.width = 112, .height = 112});
}

TEST_CASE("TileSpec in microns tolerates float noise of one part in a million", "[tile_spec][microns]") {
  // 128 um / (4/7 mpp) = 224.00000000000003 px in doubles.
  const TileSpec tile{{.size = Extent{128}, .resolution = MPP{0.5714285714285714}, .unit = MeasurementUnit::um}};
  CHECK(tile.size_pixels() == PixelExtent{.width = 224, .height = 224});
}

TEST_CASE("TileSpec overlap is size minus stride: positive overlaps, negative gaps", "[tile_spec][derived]") {
  const TileSpec overlapping{{.size = {224, 224}, .stride = {112, 200}, .resolution = MPP{0.5}}};
  CHECK(overlapping.overlap_pixels() == PixelExtent{.width = 112, .height = 24});
  const TileSpec gapped{{.size = {224, 224}, .stride = {300, 224}, .resolution = MPP{0.5}}};
  CHECK(gapped.overlap_pixels() == PixelExtent{.width = -76, .height = 0});
}

TEST_CASE("TileSpec rejects non-positive or non-finite sizes", "[tile_spec][validation]") {
  const double bad =
      GENERATE(0.0, -224.0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN());
  REQUIRE_THROWS_WITH((TileSpec{{.size = {bad, 224}, .resolution = MPP{0.5}}}),
                      Contains("size: expected [width, height] as two finite numbers > 0"));
}

TEST_CASE("TileSpec rejects a non-positive stride", "[tile_spec][validation]") {
  REQUIRE_THROWS_WITH((TileSpec{{.size = {224, 224}, .stride = {224, 0}, .resolution = MPP{0.5}}}),
                      Contains("stride: expected [width, height] as two finite numbers > 0, got [224, 0]"));
}

TEST_CASE("TileSpec in pixels rejects fractional pixels", "[tile_spec][validation]") {
  REQUIRE_THROWS_WITH((TileSpec{{.size = {224.5, 224}, .resolution = MPP{0.5}}}),
                      Contains("size: expected whole pixels, got [224.5, 224]"));
}

TEST_CASE("TileSpec in microns rejects lengths that are not whole pixels", "[tile_spec][validation][microns]") {
  // 100.3 um at 0.5 mpp = 200.6 px.
  REQUIRE_THROWS_WITH(
      (TileSpec{{.size = {100.3, 100}, .resolution = MPP{0.5}, .unit = MeasurementUnit::um}}),
      Contains("size: expected lengths that are whole pixels at 0.5 mpp") && Contains("[200.6, 200] px"));
}

TEST_CASE("TileSpec in microns needs an MPP resolution", "[tile_spec][validation][microns]") {
  REQUIRE_THROWS_WITH((TileSpec{{.size = {112, 112}, .resolution = Level{0}, .unit = MeasurementUnit::um}}),
                      Contains("resolution: unit um needs an MPP resolution") && Contains("got level 0"));
  REQUIRE_THROWS_WITH((TileSpec{{.size = {112, 112}, .resolution = Magnification{20}, .unit = MeasurementUnit::um}}),
                      Contains("got 20x"));
}

TEST_CASE("TileSpec bounds every side so derived products cannot overflow", "[tile_spec][validation]") {
  CHECK(TileSpec{{.size = Extent{1048576}, .resolution = MPP{0.5}}}.size_pixels().width == 1048576);
  REQUIRE_THROWS_WITH((TileSpec{{.size = Extent{1048577}, .resolution = MPP{0.5}}}),
                      Contains("size: expected at most 1048576 pixels per side"));
  // 1 mm at 1e-9 mpp would be 1e12 px.
  REQUIRE_THROWS_WITH((TileSpec{{.size = Extent{2000}, .resolution = MPP{1e-3}, .unit = MeasurementUnit::um}}),
                      Contains("at most 1048576 pixels per side"));
}

TEST_CASE("TileSpec reports every violation at once", "[tile_spec][validation]") {
  try {
    (void)TileSpec{{.size = {-1, 224}, .stride = {0.5, 1}, .resolution = MPP{0.5}}};
    FAIL("expected a ValidationError");
  } catch (const ValidationError& error) {
    REQUIRE(error.violations().size() == 2);
    CHECK(error.violations()[0].field == "size");
    CHECK(error.violations()[1].field == "stride");
    CHECK(error.type_name() == "TileSpec");
  }
}

TEST_CASE("scale_to_reference re-expresses a 20x tile in the pixels of a 40x level 0", "[tile_spec][scale]") {
  // Target 0.5 mpp on a 0.25 mpp slide: target downsample 2, level 0 downsample 1, ratio 1 / 2.
  const TileSpec tile{{.size = {224, 224}, .resolution = MPP{0.5}}};
  const TileSpec scaled = tile.scale_to_reference(0.5, MPP{0.5});
  CHECK(scaled.size_pixels() == PixelExtent{.width = 448, .height = 448});
  CHECK(scaled.unit() == MeasurementUnit::pixels);
  CHECK(scaled.mpp() == MPP{0.25});
}

TEST_CASE("scale_to_reference shrinks a tile onto a coarser reference level", "[tile_spec][scale]") {
  // Reference downsample 16, target downsample 2: ratio 8, 224 px -> 28 px, stride 112 -> 14.
  const TileSpec tile{{.size = {224, 224}, .stride = {112, 112}, .resolution = Level{1}}};
  const TileSpec scaled = tile.scale_to_reference(8.0, MPP{0.5});
  CHECK(scaled.size_pixels() == PixelExtent{.width = 28, .height = 28});
  CHECK(scaled.stride_pixels() == PixelExtent{.width = 14, .height = 14});
  CHECK_THAT(scaled.mpp()->value(), WithinRel(4.0));
}

TEST_CASE("scale_to_reference converts a micron tile with the target mpp and rounds", "[tile_spec][scale][microns]") {
  // 112 um at 0.5 mpp = 224 px; ratio 3 -> 74.67 px, rounded to 75; never below 1 px.
  const TileSpec tile{{.size = {112, 112}, .resolution = MPP{0.5}, .unit = MeasurementUnit::um}};
  CHECK(tile.scale_to_reference(3.0, MPP{0.5}).size_pixels() == PixelExtent{.width = 75, .height = 75});
  CHECK(tile.scale_to_reference(1000.0, MPP{0.5}).size_pixels() == PixelExtent{.width = 1, .height = 1});
}

TEST_CASE("scale_to_reference refuses a target mpp that contradicts the tile's own", "[tile_spec][scale][validation]") {
  const TileSpec tile{{.size = {224, 224}, .resolution = MPP{0.5}}};
  REQUIRE_THROWS_WITH(tile.scale_to_reference(0.5, MPP{0.25}),
                      "invalid TileSpec: target_mpp: expected the tile's own resolution 0.5 mpp, got 0.25 mpp");
  // A level-defined tile has no MPP of its own: the caller's is the truth.
  const TileSpec at_level{{.size = {224, 224}, .resolution = Level{1}}};
  CHECK(at_level.scale_to_reference(0.5, MPP{0.25}).mpp() == MPP{0.125});
}

TEST_CASE("scale_to_reference rejects a ratio that is not a finite number > 0", "[tile_spec][scale][validation]") {
  const TileSpec tile{{.size = {224, 224}, .resolution = MPP{0.5}}};
  const double bad = GENERATE(0.0, -2.0, std::numeric_limits<double>::infinity());
  REQUIRE_THROWS_WITH(tile.scale_to_reference(bad, MPP{0.5}),
                      Contains("downsample_ratio: expected a finite number > 0"));
  REQUIRE_THROWS_WITH(tile.scale_to_reference(1e-300, MPP{0.5}), Contains("at most 1048576 pixels per side"));
}
