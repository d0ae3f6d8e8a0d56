// tests/geometry/tiling_test.cpp
//
// plan_tiles(): every rule of docs/slide-geometry.md against numbers worked
// out by hand in the comments. Notation: d = target downsample = target mpp /
// slide mpp; a level qualifies when its downsample <= d * 1.01; footprint =
// round(tile px * d); region = round(tile px * d / level downsample); columns
// (drop) = (width - footprint) / stride + 1 in integer division.
#include <catch2/catch.hpp>

#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/extraction/wsi/tiling.hpp"
#include "bioptimus/io/wsi/slide.hpp"
#include "bioptimus/models/registry.hpp"

namespace {

using namespace bioptimus::extraction::wsi;
using bioptimus::ValidationError;
using bioptimus::io::wsi::Level;
using bioptimus::io::wsi::Magnification;
using bioptimus::io::wsi::MeasurementUnit;
using bioptimus::io::wsi::MPP;
using bioptimus::io::wsi::SlideGeometry;
using bioptimus::io::wsi::WSIBounds;
using bioptimus::io::wsi::WSIDims;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinRel;

// A slide of `width` x `height` level-0 px at `mpp` (both axes) whose levels
// have the given downsamples (dimensions divided accordingly, at least 1).
SlideGeometry slide_at(double mpp, std::int64_t width, std::int64_t height, std::vector<double> downsamples) {
  SlideGeometry::Fields fields{.mpp_x = MPP{mpp}, .mpp_y = MPP{mpp}};
  for (const double downsample : downsamples) {
    const auto divide = [downsample](std::int64_t side) {
      const auto divided = static_cast<std::int64_t>(static_cast<double>(side) / downsample);
      return divided < 1 ? std::int64_t{1} : divided;
    };
    fields.level_dimensions.push_back(WSIDims{divide(width), divide(height)});
  }
  fields.level_downsamples = std::move(downsamples);
  return SlideGeometry{fields};
}

// h0-mini's tile: 224 px at 0.5 mpp, stride = size.
constexpr TileSpec h0_tile{{.size = {224, 224}, .resolution = MPP{0.5}}};

}  // namespace

TEST_CASE("0.25 mpp slide, 0.5 mpp tile: level 1 of a 1/2/8 pyramid, no resize", "[tiling]") {
  // d = 0.5 / 0.25 = 2. Level 2 (8 > 2.02) no; level 1 (2 <= 2.02) yes.
  // footprint = 224 * 2 = 448; region = 448 / 2 = 224 = tile: no resize.
  // columns (10000 - 448) / 448 + 1 = 9552 / 448 + 1 = 21 + 1 = 22;
  // rows (8000 - 448) / 448 + 1 = 7552 / 448 + 1 = 16 + 1 = 17; 22 * 17 = 374.
  const TilePlan plan = plan_tiles(h0_tile, slide_at(0.25, 10000, 8000, {1.0, 2.0, 8.0}));
  REQUIRE(plan.level() == Level{1});
  REQUIRE(plan.level_downsample() == 2.0);
  REQUIRE(plan.target_downsample() == Extent{2.0, 2.0});
  REQUIRE(plan.target_mpp_x() == MPP{0.5});
  REQUIRE(plan.slide_mpp_y() == MPP{0.25});
  REQUIRE(plan.tile_size() == PixelExtent{.width = 224, .height = 224});
  REQUIRE(plan.region_size() == PixelExtent{.width = 224, .height = 224});
  REQUIRE_FALSE(plan.needs_resize());
  REQUIRE(plan.footprint() == PixelExtent{.width = 448, .height = 448});
  REQUIRE(plan.stride() == PixelExtent{.width = 448, .height = 448});
  REQUIRE(plan.area() == WSIBounds{0, 0, 10000, 8000});
  REQUIRE(plan.columns() == 22);
  REQUIRE(plan.rows() == 17);
  REQUIRE(plan.size() == 374);
  // tile 23 = row 1, column 1 (23 = 1 * 22 + 1): (448, 448).
  REQUIRE(plan.tile(23) == Tile{23, 1, 1, 448, 448, 448, 448, 448, 448});
  // The last tile, 373 = 16 * 22 + 21: x = 21 * 448 = 9408 (ends 9856 <= 10000),
  // y = 16 * 448 = 7168 (ends 7616 <= 8000).
  const Tile last = plan.tile(373);
  REQUIRE(last.column == 21);
  REQUIRE(last.row == 16);
  REQUIRE(last.x == 9408);
  REQUIRE(last.y == 7168);
  REQUIRE_FALSE(last.is_partial());
}

TEST_CASE("40x slide read for a 20x model: 1/4/16 pyramid reads level 0 and halves it", "[tiling]") {
  // d = 2. Level 1 has downsample 4 > 2.02: too coarse, so level 0.
  // region = 224 * 2 / 1 = 448 level-0 px, resized (down) to 224.
  const SlideGeometry slide = slide_at(0.25, 10000, 8000, {1.0, 4.0, 16.0});
  const TilePlan by_mpp = plan_tiles(h0_tile, slide);
  REQUIRE(by_mpp.level() == Level{0});
  REQUIRE(by_mpp.region_size() == PixelExtent{.width = 448, .height = 448});
  REQUIRE(by_mpp.needs_resize());
  REQUIRE_FALSE(by_mpp.upsamples());
  REQUIRE(by_mpp.footprint() == PixelExtent{.width = 448, .height = 448});
  REQUIRE(by_mpp.size() == 374);  // same grid as the 1/2/8 slide: 22 x 17

  // The same tile asked for at 20x: Magnification stands for 10 / 20 = 0.5 mpp.
  const TileSpec twenty_x{{.size = {224, 224}, .resolution = Magnification{20}}};
  const TilePlan by_power = plan_tiles(twenty_x, slide);
  REQUIRE(by_power.target_mpp_x() == MPP{0.5});
  REQUIRE(by_power == by_mpp);

  // At 40x (0.25 mpp) d = 1: level 0, region 224 = tile, footprint 224.
  const TileSpec forty_x{{.size = {224, 224}, .resolution = Magnification{40}}};
  const TilePlan native = plan_tiles(forty_x, slide);
  REQUIRE(native.level() == Level{0});
  REQUIRE(native.region_size() == PixelExtent{.width = 224, .height = 224});
  REQUIRE(native.footprint() == PixelExtent{.width = 224, .height = 224});
}

TEST_CASE("0.2525 mpp slide: a level 1% coarser than the target is taken", "[tiling]") {
  // d = 0.5 / 0.2525 = 1.980198; 1.980198 * 1.01 = 2.0 exactly in decimal,
  // so the downsample-2 level qualifies (the boundary is inclusive).
  // footprint = round(224 * 1.980198) = round(443.564) = 444.
  // region = round(443.564 / 2) = round(221.782) = 222, upsampled to 224.
  // grid on 2048 x 1536: (2048 - 444) / 444 + 1 = 3 + 1 = 4 columns,
  // (1536 - 444) / 444 + 1 = 2 + 1 = 3 rows.
  const SlideGeometry slide = slide_at(0.2525, 2048, 1536, {1.0, 2.0, 8.0});
  const TilePlan plan = plan_tiles(h0_tile, slide);
  REQUIRE_THAT(plan.target_downsample().width, WithinRel(1.980198, 1e-6));
  REQUIRE(plan.level() == Level{1});
  REQUIRE(plan.footprint() == PixelExtent{.width = 444, .height = 444});
  REQUIRE(plan.region_size() == PixelExtent{.width = 222, .height = 222});
  REQUIRE(plan.upsamples());
  REQUIRE(plan.columns() == 4);
  REQUIRE(plan.rows() == 3);

  // With no tolerance, 2 > 1.980198: level 0, region = footprint = 444.
  const TilePlan strict = plan_tiles(h0_tile, slide, {.level_tolerance = 0.0});
  REQUIRE(strict.level() == Level{0});
  REQUIRE(strict.region_size() == PixelExtent{.width = 444, .height = 444});
  REQUIRE_FALSE(strict.upsamples());

  // On an Aperio-style 1/4/16 pyramid: 4 > 2.0, level 0, region 444 -> 224.
  const TilePlan aperio = plan_tiles(h0_tile, slide_at(0.2525, 2048, 1536, {1.0, 4.0, 16.0}));
  REQUIRE(aperio.level() == Level{0});
  REQUIRE(aperio.region_size() == PixelExtent{.width = 444, .height = 444});
}

TEST_CASE("0.2431 mpp slide: level 1, region 230 resized down to 224", "[tiling]") {
  // d = 0.5 / 0.2431 = 2.056767; level 1 (2 <= 2.0774), level 2 (8) no.
  // footprint = round(224 * 2.056767) = round(460.716) = 461.
  // region = round(460.716 / 2) = round(230.358) = 230.
  // grid on 2048 x 1536: (2048 - 461) / 461 + 1 = 3 + 1 = 4; (1536 - 461) / 461 + 1 = 2 + 1 = 3.
  const TilePlan plan = plan_tiles(h0_tile, slide_at(0.2431, 2048, 1536, {1.0, 2.0, 8.0}));
  REQUIRE(plan.level() == Level{1});
  REQUIRE(plan.footprint() == PixelExtent{.width = 461, .height = 461});
  REQUIRE(plan.stride() == PixelExtent{.width = 461, .height = 461});
  REQUIRE(plan.region_size() == PixelExtent{.width = 230, .height = 230});
  REQUIRE(plan.needs_resize());
  REQUIRE_FALSE(plan.upsamples());
  REQUIRE(plan.size() == 12);
  REQUIRE(plan.tile(11).x == 3 * 461);  // column 3 of row 2
  REQUIRE(plan.tile(11).y == 2 * 461);
}

TEST_CASE("Level choice: the boundary is inclusive and the coarsest qualifying level wins", "[tiling]") {
  // d = 2, limit 2 * 1.01 = 2.02: 2.02 qualifies, 2.03 does not.
  const SlideGeometry slide = slide_at(0.25, 4000, 4000, {1.0, 1.5, 2.02, 2.03});
  REQUIRE(choose_level(slide, 2.0) == Level{2});
  REQUIRE(choose_level(slide, 2.0, 0.0) == Level{1});    // limit 2: only 1 and 1.5
  REQUIRE(choose_level(slide, 2.0, 0.015) == Level{3});  // limit 2.03
  REQUIRE(choose_level(slide, 0.5) == Level{0});         // finer than the scan
  REQUIRE(plan_tiles(h0_tile, slide).level() == Level{2});

  // Inclusive in decimal even where binary rounding is not: 2 * (1 + 0.36) is
  // 2.72 in decimal but 2.7199999999999998 in doubles, below the double 2.72;
  // the 1e-9 slack keeps the level.
  const SlideGeometry boundary = slide_at(0.25, 4000, 4000, {1.0, 2.72});
  REQUIRE(choose_level(boundary, 2.0, 0.36) == Level{1});
  REQUIRE(choose_level(boundary, 2.0, 0.359) == Level{0});
}

TEST_CASE("Target finer than the scan: level 0, upsampled", "[tiling]") {
  // 0.25 mpp tile on a 0.5 mpp slide: d = 0.5. No level qualifies, level 0.
  // footprint = region = round(224 * 0.5) = 112, upsampled to 224.
  const TileSpec fine{{.size = {224, 224}, .resolution = MPP{0.25}}};
  const TilePlan plan = plan_tiles(fine, slide_at(0.5, 1000, 1000, {1.0, 4.0}));
  REQUIRE(plan.level() == Level{0});
  REQUIRE(plan.footprint() == PixelExtent{.width = 112, .height = 112});
  REQUIRE(plan.region_size() == PixelExtent{.width = 112, .height = 112});
  REQUIRE(plan.upsamples());
  REQUIRE(plan.columns() == 8);  // (1000 - 112) / 112 + 1 = 7 + 1
}

TEST_CASE("Non-square tiles scale each side", "[tiling]") {
  // 256 x 128 px at 0.5 on 0.25 mpp: footprint 512 x 256, region at level 1
  // 256 x 128. columns (10000 - 512) / 512 + 1 = 18 + 1 = 19,
  // rows (8000 - 256) / 256 + 1 = 30 + 1 = 31; 589 tiles.
  const TileSpec wide{{.size = {256, 128}, .resolution = MPP{0.5}}};
  const TilePlan plan = plan_tiles(wide, slide_at(0.25, 10000, 8000, {1.0, 2.0}));
  REQUIRE(plan.tile_size() == PixelExtent{.width = 256, .height = 128});
  REQUIRE(plan.footprint() == PixelExtent{.width = 512, .height = 256});
  REQUIRE(plan.region_size() == PixelExtent{.width = 256, .height = 128});
  REQUIRE(plan.columns() == 19);
  REQUIRE(plan.rows() == 31);
  REQUIRE(plan.size() == 589);
  REQUIRE(plan.tile(19) == Tile{19, 0, 1, 0, 256, 512, 256, 512, 256});  // first tile of row 1
}

TEST_CASE("Overlap and gaps come from the stride", "[tiling]") {
  const SlideGeometry slide = slide_at(0.25, 10000, 8000, {1.0, 2.0});
  SECTION("half overlap") {
    // stride 112 px at 0.5 = 224 level-0 px; footprint 448.
    // columns (10000 - 448) / 224 + 1 = 42 + 1 = 43; rows (8000 - 448) / 224 + 1 = 33 + 1 = 34.
    const TileSpec overlapping{{.size = {224, 224}, .stride = {112, 112}, .resolution = MPP{0.5}}};
    const TilePlan plan = plan_tiles(overlapping, slide);
    REQUIRE(plan.stride() == PixelExtent{.width = 224, .height = 224});
    REQUIRE(plan.footprint() == PixelExtent{.width = 448, .height = 448});
    REQUIRE(plan.columns() == 43);
    REQUIRE(plan.rows() == 34);
    REQUIRE(plan.size() == 1462);
    REQUIRE(plan.tile(1).x - plan.tile(0).x == 224);  // neighbours share 448 - 224 = 224 px
  }
  SECTION("gaps") {
    // stride 448 px at 0.5 = 896 level-0 px: columns (10000 - 448) / 896 + 1 = 10 + 1 = 11,
    // rows (8000 - 448) / 896 + 1 = 8 + 1 = 9.
    const TileSpec sparse{{.size = {224, 224}, .stride = {448, 448}, .resolution = MPP{0.5}}};
    const TilePlan plan = plan_tiles(sparse, slide);
    REQUIRE(plan.stride() == PixelExtent{.width = 896, .height = 896});
    REQUIRE(plan.columns() == 11);
    REQUIRE(plan.rows() == 9);
  }
}

TEST_CASE("Micron-unit tiles", "[tiling]") {
  SECTION("112 um at 0.5 mpp is h0-mini's tile") {
    // 112 um / 0.5 = 224 px; footprint 112 / 0.25 = 448 level-0 px.
    const TileSpec microns{{.size = {112, 112}, .resolution = MPP{0.5}, .unit = MeasurementUnit::um}};
    const SlideGeometry slide = slide_at(0.25, 10000, 8000, {1.0, 2.0, 8.0});
    const TilePlan plan = plan_tiles(microns, slide);
    REQUIRE(plan.tile_size() == PixelExtent{.width = 224, .height = 224});
    REQUIRE(plan.footprint() == PixelExtent{.width = 448, .height = 448});
    REQUIRE(plan.region_size() == PixelExtent{.width = 224, .height = 224});
    REQUIRE(plan.size() == 374);
    REQUIRE(plan == plan_tiles(h0_tile, slide));
  }
  SECTION("100 um at 0.5 mpp on 0.2525 mpp") {
    // 100 um / 0.5 = 200 px tile. footprint round(100 / 0.2525) = round(396.04) = 396.
    // Level 1 (d = 1.9802 again); region round(396.04 / 2) = round(198.02) = 198 -> 200.
    const TileSpec microns{{.size = {100, 100}, .resolution = MPP{0.5}, .unit = MeasurementUnit::um}};
    const TilePlan plan = plan_tiles(microns, slide_at(0.2525, 2048, 1536, {1.0, 2.0, 8.0}));
    REQUIRE(plan.tile_size() == PixelExtent{.width = 200, .height = 200});
    REQUIRE(plan.footprint() == PixelExtent{.width = 396, .height = 396});
    REQUIRE(plan.level() == Level{1});
    REQUIRE(plan.region_size() == PixelExtent{.width = 198, .height = 198});
  }
}

TEST_CASE("A slide smaller than one tile", "[tiling]") {
  // 300 x 200 px < footprint 448: no whole tile fits.
  const SlideGeometry slide = slide_at(0.25, 300, 200, {1.0});
  const TilePlan dropped = plan_tiles(h0_tile, slide);
  REQUIRE(dropped.columns() == 0);
  REQUIRE(dropped.rows() == 0);
  REQUIRE(dropped.empty());
  REQUIRE(dropped.begin() == dropped.end());
  REQUIRE_THROWS_AS(dropped.tile(0), std::out_of_range);

  // Padded: one tile at (0, 0), full footprint, 300 x 200 of it on the slide.
  const TilePlan padded = plan_tiles(h0_tile, slide, {.partial_tiles = PartialTiles::pad});
  REQUIRE(padded.size() == 1);
  REQUIRE(padded.tile(0) == Tile{0, 0, 0, 0, 0, 448, 448, 300, 200});
  REQUIRE(padded.tile(0).is_partial());
}

TEST_CASE("Partial edge tiles: drop or pad one more column and row", "[tiling]") {
  // 1000 x 1000 at 0.25, footprint 448.
  const SlideGeometry slide = slide_at(0.25, 1000, 1000, {1.0});
  SECTION("no overlap") {
    // drop: (1000 - 448) / 448 + 1 = 1 + 1 = 2 per axis, 4 tiles.
    // pad: 2 * 448 = 896 < 1000, so one more: 3 per axis, 9 tiles; the last
    // starts at 896 and has 1000 - 896 = 104 px on the slide.
    REQUIRE(plan_tiles(h0_tile, slide).size() == 4);
    const TilePlan padded = plan_tiles(h0_tile, slide, {.partial_tiles = PartialTiles::pad});
    REQUIRE(padded.columns() == 3);
    REQUIRE(padded.size() == 9);
    REQUIRE(padded.tile(8) == Tile{8, 2, 2, 896, 896, 448, 448, 104, 104});
    REQUIRE(padded.tile(2).is_partial());  // column 2, row 0: 104 x 448
    REQUIRE(padded.tile(2).valid_height == 448);
    REQUIRE_FALSE(padded.tile(4).is_partial());  // column 1, row 1
  }
  SECTION("with overlap only one partial column is added") {
    // stride 224: drop (1000 - 448) / 224 + 1 = 2 + 1 = 3; pad: 3 * 224 = 672
    // < 1000, one more (672 + 448 = 1120 covers 1000); a fifth at 896 would
    // cover nothing new.
    const TileSpec overlapping{{.size = {224, 224}, .stride = {112, 112}, .resolution = MPP{0.5}}};
    REQUIRE(plan_tiles(overlapping, slide).columns() == 3);
    REQUIRE(plan_tiles(overlapping, slide, {.partial_tiles = PartialTiles::pad}).columns() == 4);
  }
  SECTION("an exact fit has no partial tile") {
    // 896 = 2 * 448: drop and pad both give 2.
    const SlideGeometry exact = slide_at(0.25, 896, 896, {1.0});
    REQUIRE(plan_tiles(h0_tile, exact).columns() == 2);
    REQUIRE(plan_tiles(h0_tile, exact, {.partial_tiles = PartialTiles::pad}).columns() == 2);
  }
  REQUIRE(to_string(PartialTiles::pad) == "pad");
  REQUIRE(parse_partial_tiles("drop") == PartialTiles::drop);
  REQUIRE_FALSE(parse_partial_tiles("Drop").has_value());
}

TEST_CASE("Tissue bounds: the grid starts at the bounds' corner", "[tiling]") {
  // Bounds 4000 x 3000 at (1000, 2000): columns (4000 - 448) / 448 + 1 = 7 + 1 = 8,
  // rows (3000 - 448) / 448 + 1 = 5 + 1 = 6; 48 tiles. Tile 47 = column 7, row 5:
  // x = 1000 + 7 * 448 = 4136, y = 2000 + 5 * 448 = 4240.
  SlideGeometry::Fields fields{.mpp_x = MPP{0.25},
                               .mpp_y = MPP{0.25},
                               .level_dimensions = {{10000, 8000}, {5000, 4000}},
                               .level_downsamples = {1.0, 2.0},
                               .bounds = WSIBounds{1000, 2000, 4000, 3000}};
  const SlideGeometry slide{fields};
  const TilePlan plan = plan_tiles(h0_tile, slide);
  REQUIRE(plan.area() == WSIBounds{1000, 2000, 4000, 3000});
  REQUIRE(plan.size() == 48);
  REQUIRE(plan.tile(0).x == 1000);
  REQUIRE(plan.tile(0).y == 2000);
  REQUIRE(plan.tile(47).x == 4136);
  REQUIRE(plan.tile(47).y == 4240);
  // Ignoring the bounds gives the whole slide's 22 x 17.
  REQUIRE(plan_tiles(h0_tile, slide, {.use_bounds = false}).size() == 374);

  // Padded, 1000 x 1000 bounds at (1000, 2000): 3 x 3 as for a 1000 px slide;
  // the last tile starts at (1000 + 896, 2000 + 896) with 1000 - 896 = 104 px
  // of it inside the bounds each way.
  fields.bounds = WSIBounds{1000, 2000, 1000, 1000};
  const TilePlan padded = plan_tiles(h0_tile, SlideGeometry{fields}, {.partial_tiles = PartialTiles::pad});
  REQUIRE(padded.size() == 9);
  REQUIRE(padded.tile(8) == Tile{8, 2, 2, 1896, 2896, 448, 448, 104, 104});
}

TEST_CASE("Anisotropic MPP: x and y scale separately", "[tiling]") {
  SECTION("0.25 x 0.5 mpp") {
    // dx = 0.5 / 0.25 = 2, dy = 0.5 / 0.5 = 1. Level from the smaller, 1:
    // only level 0 (2 > 1.01). footprint 448 x 224, region 448 x 224 -> 224 x 224.
    // columns (8000 - 448) / 448 + 1 = 16 + 1 = 17, rows (4000 - 224) / 224 + 1 = 16 + 1 = 17.
    const SlideGeometry slide{{.mpp_x = MPP{0.25},
                               .mpp_y = MPP{0.5},
                               .level_dimensions = {{8000, 4000}, {4000, 2000}, {2000, 1000}},
                               .level_downsamples = {1.0, 2.0, 4.0}}};
    const TilePlan plan = plan_tiles(h0_tile, slide);
    REQUIRE(plan.target_downsample() == Extent{2.0, 1.0});
    REQUIRE(plan.level() == Level{0});
    REQUIRE(plan.footprint() == PixelExtent{.width = 448, .height = 224});
    REQUIRE(plan.stride() == PixelExtent{.width = 448, .height = 224});
    REQUIRE(plan.region_size() == PixelExtent{.width = 448, .height = 224});
    REQUIRE(plan.columns() == 17);
    REQUIRE(plan.rows() == 17);
    REQUIRE(plan.tile(18) == Tile{18, 1, 1, 448, 224, 448, 224, 448, 224});
  }
  SECTION("0.25 x 0.2525 mpp") {
    // dx = 2, dy = 1.980198; level from 1.980198 -> level 1 (2 <= 2.0).
    // footprint 448 x round(443.564) = 444; region 224 x round(221.782) = 222.
    const SlideGeometry slide{{.mpp_x = MPP{0.25},
                               .mpp_y = MPP{0.2525},
                               .level_dimensions = {{2048, 1536}, {1024, 768}, {256, 192}},
                               .level_downsamples = {1.0, 2.0, 8.0}}};
    const TilePlan plan = plan_tiles(h0_tile, slide);
    REQUIRE(plan.level() == Level{1});
    REQUIRE(plan.footprint() == PixelExtent{.width = 448, .height = 444});
    REQUIRE(plan.region_size() == PixelExtent{.width = 224, .height = 222});
    REQUIRE(plan.upsamples());  // 222 -> 224 vertically
  }
}

TEST_CASE("Missing slide MPP: an error unless overridden", "[tiling]") {
  const SlideGeometry no_mpp{
      {.level_dimensions = {{10000, 8000}, {5000, 4000}, {1250, 1000}}, .level_downsamples = {1.0, 2.0, 8.0}}};
  REQUIRE_THROWS_WITH(plan_tiles(h0_tile, no_mpp),
                      Contains("slide.mpp: resolution 0.5 mpp needs the slide's microns per pixel, but the slide "
                               "has none") &&
                          Contains("TilingOptions::mpp_override"));
  const TileSpec twenty_x{{.size = {224, 224}, .resolution = Magnification{20}}};
  REQUIRE_THROWS_AS(plan_tiles(twenty_x, no_mpp), ValidationError);

  // With an override of 0.25: exactly the 0.25 mpp plan (22 x 17 at level 1).
  const TilePlan plan = plan_tiles(h0_tile, no_mpp, {.mpp_override = MPP{0.25}});
  REQUIRE(plan.level() == Level{1});
  REQUIRE(plan.slide_mpp_x() == MPP{0.25});
  REQUIRE(plan.size() == 374);
  REQUIRE(plan == plan_tiles(h0_tile, slide_at(0.25, 10000, 8000, {1.0, 2.0, 8.0})));

  // A Level resolution needs no MPP: level 1 read as is, footprint 224 * 2 = 448.
  const TileSpec level_one{{.size = {224, 224}, .resolution = Level{1}}};
  const TilePlan by_level = plan_tiles(level_one, no_mpp);
  REQUIRE(by_level.level() == Level{1});
  REQUIRE(by_level.region_size() == PixelExtent{.width = 224, .height = 224});
  REQUIRE(by_level.footprint() == PixelExtent{.width = 448, .height = 448});
  REQUIRE_FALSE(by_level.target_mpp_x().has_value());
  REQUIRE(by_level.size() == 374);
}

TEST_CASE("Implausible slide MPP: outside [0.05, 20] um/px is an error unless overridden", "[tiling]") {
  SECTION("too large on both axes") {
    REQUIRE_THROWS_WITH(
        plan_tiles(h0_tile, slide_at(25.0, 1000, 1000, {1.0})),
        Contains("slide.mpp_x: expected a level-0 MPP in [0.05, 20] um/px, got 25") && Contains("slide.mpp_y"));
  }
  SECTION("a centimetre value") {
    REQUIRE_THROWS_WITH(plan_tiles(h0_tile, slide_at(0.000025, 1000, 1000, {1.0})), Contains("got 2.5e-05"));
  }
  SECTION("the ends of the range are accepted") {
    // 20 mpp: d = 0.5 / 20 = 0.025, footprint = region = round(224 * 0.025) = round(5.6) = 6.
    const TilePlan coarse = plan_tiles(h0_tile, slide_at(20.0, 1000, 1000, {1.0}));
    REQUIRE(coarse.footprint() == PixelExtent{.width = 6, .height = 6});
    REQUIRE(coarse.region_size() == PixelExtent{.width = 6, .height = 6});
    // 0.05 mpp: d = 10, footprint 2240.
    REQUIRE(plan_tiles(h0_tile, slide_at(0.05, 5000, 5000, {1.0})).footprint() ==
            PixelExtent{.width = 2240, .height = 2240});
    REQUIRE_THROWS_AS(plan_tiles(h0_tile, slide_at(20.01, 1000, 1000, {1.0})), ValidationError);
    REQUIRE_THROWS_AS(plan_tiles(h0_tile, slide_at(0.0499, 1000, 1000, {1.0})), ValidationError);
  }
  SECTION("an override is trusted") {
    // Override 0.25 on a slide claiming 25: d = 2, footprint 448, (1000 - 448) / 448 + 1 = 2.
    const TilePlan plan = plan_tiles(h0_tile, slide_at(25.0, 1000, 1000, {1.0}), {.mpp_override = MPP{0.25}});
    REQUIRE(plan.footprint() == PixelExtent{.width = 448, .height = 448});
    REQUIRE(plan.size() == 4);
    // Even an implausible override: 0.01 mpp gives d = 0.5 / 0.01 = 50,
    // footprint 224 * 50 = 11200 level-0 px.
    const TilePlan tiny = plan_tiles(h0_tile, slide_at(0.25, 1000, 1000, {1.0}), {.mpp_override = MPP{0.01}});
    REQUIRE(tiny.footprint() == PixelExtent{.width = 11200, .height = 11200});
    REQUIRE(tiny.empty());
  }
  REQUIRE(is_plausible_slide_mpp(MPP{0.05}));
  REQUIRE(is_plausible_slide_mpp(MPP{20.0}));
  REQUIRE_FALSE(is_plausible_slide_mpp(MPP{20.000001}));
}

TEST_CASE("Level resolution: that level, read as is", "[tiling]") {
  // Level 1 (downsample 2) of a 0.25 mpp slide: target mpp 0.25 * 2 = 0.5,
  // footprint 224 * 2 = 448, region 224, no resize.
  const TileSpec level_one{{.size = {224, 224}, .resolution = Level{1}}};
  const SlideGeometry slide = slide_at(0.25, 10000, 8000, {1.0, 2.0, 8.0});
  const TilePlan plan = plan_tiles(level_one, slide);
  REQUIRE(plan.level() == Level{1});
  REQUIRE(plan.target_mpp_x() == MPP{0.5});
  REQUIRE(plan.footprint() == PixelExtent{.width = 448, .height = 448});
  REQUIRE_FALSE(plan.needs_resize());
  const TileSpec level_three{{.size = {224, 224}, .resolution = Level{3}}};
  REQUIRE_THROWS_WITH(plan_tiles(level_three, slide),
                      Contains("tile_spec.resolution: expected a level of the slide (0 to 2), got level 3"));
}

TEST_CASE("Huge slide: 200,000 x 100,000 px at 0.25 mpp, exact counts", "[tiling]") {
  const SlideGeometry slide = slide_at(0.25, 200'000, 100'000, {1.0, 4.0, 16.0});
  SECTION("h0-mini, drop") {
    // footprint 448: columns (200000 - 448) / 448 + 1 = 199552 / 448 + 1 = 445 + 1 = 446
    // (446 * 448 = 199808 <= 200000); rows (100000 - 448) / 448 + 1 = 222 + 1 = 223
    // (223 * 448 = 99904); 446 * 223 = 99,458 tiles.
    const TilePlan plan = plan_tiles(h0_tile, slide);
    REQUIRE(plan.columns() == 446);
    REQUIRE(plan.rows() == 223);
    REQUIRE(plan.size() == 99'458);
    // Last tile 99457 = 222 * 446 + 445: x = 445 * 448 = 199360, y = 222 * 448 = 99456.
    REQUIRE(plan.tile(99'457) == Tile{99'457, 445, 222, 199'360, 99'456, 448, 448, 448, 448});
    REQUIRE(std::ranges::distance(plan) == 99'458);
  }
  SECTION("h0-mini, pad") {
    // 199808 < 200000 and 99904 < 100000: one more each, 447 * 224 = 100,128.
    const TilePlan plan = plan_tiles(h0_tile, slide, {.partial_tiles = PartialTiles::pad});
    REQUIRE(plan.size() == 100'128);
    // Last tile: x = 446 * 448 = 199808 with 200000 - 199808 = 192 px on the slide,
    // y = 223 * 448 = 99904 with 96 px.
    REQUIRE(plan.tile(100'127) == Tile{100'127, 446, 223, 199'808, 99'904, 448, 448, 192, 96});
  }
  SECTION("one-pixel tiles: 2e10 tiles, past 32 bits") {
    // Level 0, 1 x 1 px: 200000 * 100000 = 20,000,000,000 tiles; the last is
    // column 199999, row 99999.
    const TileSpec pixel{{.size = {1, 1}, .resolution = Level{0}}};
    const TilePlan plan = plan_tiles(pixel, slide);
    REQUIRE(plan.size() == 20'000'000'000);
    REQUIRE(plan.tile(19'999'999'999) == Tile{19'999'999'999, 199'999, 99'999, 199'999, 99'999, 1, 1, 1, 1});
    REQUIRE(plan.end() - plan.begin() == 20'000'000'000);
  }
}

TEST_CASE("Tile counts that overflow 64 bits are refused", "[tiling]") {
  // 2^40 x 2^40 px with 1 px tiles: 2^80 tiles.
  const std::int64_t side = std::int64_t{1} << 40;
  const SlideGeometry slide{{.level_dimensions = {{side, side}}, .level_downsamples = {1.0}}};
  const TileSpec pixel{{.size = {1, 1}, .resolution = Level{0}}};
  REQUIRE_THROWS_WITH(
      plan_tiles(pixel, slide),
      Contains("grid: expected at most 2^63 - 1 tiles, got 1099511627776 columns x 1099511627776 rows"));
  // 2^40 x 2^22: 2^62 tiles fit.
  const SlideGeometry tall{{.level_dimensions = {{side, std::int64_t{1} << 22}}, .level_downsamples = {1.0}}};
  REQUIRE(plan_tiles(pixel, tall).size() == std::int64_t{1} << 62);
}

TEST_CASE("A footprint over 2^20 level-0 px is refused", "[tiling]") {
  // 2^20 px at 0.5 mpp on 0.25 mpp: 2^21 level-0 px.
  const TileSpec giant{{.size = {1 << 20, 1 << 20}, .resolution = MPP{0.5}}};
  REQUIRE_THROWS_WITH(plan_tiles(giant, slide_at(0.25, 1000, 1000, {1.0})),
                      Contains("tile_spec: expected a tile and stride of at most 1048576 level-0 pixels per side") &&
                          Contains("got a footprint of 2097152 x 2097152"));
}

TEST_CASE("plan_tiles reports every problem at once", "[tiling]") {
  const SlideGeometry no_mpp{{.level_dimensions = {{1000, 1000}}, .level_downsamples = {1.0}}};
  try {
    const TilePlan plan = plan_tiles(h0_tile, no_mpp, {.level_tolerance = -0.1});
    FAIL("expected a ValidationError, got " << plan.size() << " tiles");
  } catch (const ValidationError& error) {
    REQUIRE(error.type_name() == "TilePlan");
    REQUIRE(error.violations().size() == 2);
    REQUIRE(error.violations()[0].field == "options.level_tolerance");
    REQUIRE(error.violations()[1].field == "slide.mpp");
  }
  REQUIRE_THROWS_WITH(plan_tiles(h0_tile, slide_at(0.25, 1000, 1000, {1.0}), {.level_tolerance = 1.0}),
                      Contains("options.level_tolerance: expected a number in [0, 1), got 1"));
}

TEST_CASE("Tiles by index, by position and by iteration agree", "[tiling]") {
  const TilePlan plan = plan_tiles(h0_tile, slide_at(0.25, 10000, 8000, {1.0, 2.0}));
  std::int64_t expected = 0;
  for (const Tile& tile : plan) {
    REQUIRE(tile.index == expected);
    REQUIRE(tile == plan.tile(expected));
    REQUIRE(tile == plan.tile_at(tile.column, tile.row));
    ++expected;
  }
  REQUIRE(expected == 374);
  const auto it = plan.begin() + 100;
  REQUIRE((*it).index == 100);
  REQUIRE(it[5] == plan.tile(105));
  REQUIRE((*std::ranges::next(plan.begin(), 373)).index == 373);
  REQUIRE_THROWS_AS(plan.tile(374), std::out_of_range);
  REQUIRE_THROWS_AS(plan.tile(-1), std::out_of_range);
  REQUIRE_THROWS_AS(plan.tile_at(22, 0), std::out_of_range);
  static_assert(std::ranges::random_access_range<const TilePlan&>);
  static_assert(std::random_access_iterator<TileIterator>);
}

TEST_CASE("A plan is a constant expression", "[tiling]") {
  // The 0.2525 mpp worked example, evaluated by the compiler.
  static constexpr TilePlan plan =
      plan_tiles(h0_tile, SlideGeometry{{.mpp_x = MPP{0.2525},
                                         .mpp_y = MPP{0.2525},
                                         .level_dimensions = {{2048, 1536}, {1024, 768}, {256, 192}},
                                         .level_downsamples = {1.0, 2.0, 8.0}}});
  STATIC_REQUIRE(plan.level() == Level{1});
  STATIC_REQUIRE(plan.region_size() == PixelExtent{.width = 222, .height = 222});
  STATIC_REQUIRE(plan.size() == 12);
  STATIC_REQUIRE(plan.tile(11) == Tile{11, 3, 2, 1332, 888, 444, 444, 444, 444});
}

TEST_CASE("The docs' snippet: a built-in model's tiles on a slide", "[tiling]") {
  const SlideGeometry slide = slide_at(0.2525, 2048, 1536, {1.0, 2.0, 8.0});
  std::vector<Tile> read;
  // --- docs/slide-geometry.md, "From a spec and a slide to tiles" ---
  using namespace bioptimus::extraction::wsi;
  const auto& model = bioptimus::models::Registry::builtin().get("h0-mini");
  const TilePlan plan = plan_tiles(model.tile_spec(), slide);  // level, region, resize, grid
  for (const Tile& tile : plan) {
    read.push_back(tile);  // read plan.region_size() px of plan.level() at (tile.x, tile.y), resize to plan.tile_size()
  }
  // --- end ---
  // h0-mini is 224 px at 0.5 mpp: the 0.2525 mpp worked example, 4 x 3 tiles.
  REQUIRE(read.size() == 12);
  REQUIRE(plan.level() == Level{1});
  REQUIRE(plan.region_size() == PixelExtent{.width = 222, .height = 222});
  REQUIRE(plan.tile_size() == PixelExtent{.width = 224, .height = 224});
  REQUIRE(read.back() == Tile{11, 3, 2, 1332, 888, 444, 444, 444, 444});  // x = 3 * 444, y = 2 * 444
}

namespace {

// The fields of a plan_tiles error, in order; empty when it plans.
std::vector<std::string> plan_problems(const TileSpec& tile, const SlideGeometry& slide, const TilingOptions& options) {
  try {
    static_cast<void>(plan_tiles(tile, slide, options));
  } catch (const ValidationError& error) {
    std::vector<std::string> fields;
    for (const auto& violation : error.violations()) {
      fields.push_back(violation.field);
    }
    return fields;
  }
  return {};
}

}  // namespace

TEST_CASE("plan_tiles names every problem, none hidden behind a stray MPP error", "[tiling][issue10]") {
  const TileSpec at_level_one{{.size = {224, 224}, .resolution = Level{1}}};
  // A level whose downsample puts the target MPP beyond MPP's range: the
  // footprint is the problem, named as such.
  CHECK(plan_problems(at_level_one, slide_at(0.25, 1000, 1000, {1.0, 1e308}), {}) ==
        std::vector<std::string>{"tile_spec"});
  CHECK(plan_problems(at_level_one, slide_at(0.25, 1000, 1000, {1.0, 1e300}), {.mpp_override = MPP{1e5}}) ==
        std::vector<std::string>{"tile_spec"});
  // ... with a bad tolerance too: both.
  CHECK(plan_problems(at_level_one, slide_at(0.25, 1000, 1000, {1.0, 1e308}), {.level_tolerance = -1.0}) ==
        std::vector<std::string>{"options.level_tolerance", "tile_spec"});
  // The most extreme magnification on a valid slide: its footprint.
  CHECK(plan_problems(TileSpec{{.size = {224, 224}, .resolution = Magnification{Magnification::min_value}}},
                      slide_at(0.25, 1000, 1000, {1.0}), {}) == std::vector<std::string>{"tile_spec"});
  // A missing MPP with a bad tolerance: both.
  const SlideGeometry no_mpp{{.level_dimensions = {{1000, 1000}}, .level_downsamples = {1.0}}};
  CHECK(plan_problems(h0_tile, no_mpp, {.level_tolerance = -1.0}) ==
        std::vector<std::string>{"options.level_tolerance", "slide.mpp"});
  // A bad tolerance does not hide a footprint problem.
  const TileSpec giant{{.size = {1 << 20, 1 << 20}, .resolution = MPP{0.5}}};
  CHECK(plan_problems(giant, slide_at(0.25, 1000, 1000, {1.0}), {.level_tolerance = 2.0}) ==
        std::vector<std::string>{"options.level_tolerance", "tile_spec"});
  // A level-defined tile on a slide without MPP at a downsample past 1000 plans.
  const SlideGeometry deep{{.level_dimensions = {{1 << 20, 1 << 20}, {512, 512}}, .level_downsamples = {1.0, 2048.0}}};
  CHECK(plan_problems(TileSpec{{.size = {224, 224}, .resolution = Level{1}}}, deep, {}).empty());
}
