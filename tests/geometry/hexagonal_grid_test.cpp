// tests/geometry/hexagonal_grid_test.cpp
//
// GridLayout and plan_tiles' hexagonal layout, against honeycombs worked out
// by hand in the comments. The slides have one level and the tiles are
// defined at Level{0}, so footprint = tile size and stride = tile stride.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "bioptimus/extraction/wsi/grid_layout.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/extraction/wsi/tiling.hpp"
#include "bioptimus/io/wsi/slide.hpp"

namespace {

using namespace bioptimus::extraction::wsi;
using bioptimus::io::wsi::Level;
using bioptimus::io::wsi::SlideGeometry;
using bioptimus::io::wsi::WSIBounds;
using bioptimus::io::wsi::WSIDims;

// One level of `width` x `height` px, no MPP (a Level tile needs none).
constexpr SlideGeometry one_level(std::int64_t width, std::int64_t height) {
  return SlideGeometry{{.level_dimensions = {WSIDims{.width = width, .height = height}}, .level_downsamples = {1.0}}};
}

struct Corner {
  std::int64_t x;
  std::int64_t y;
  friend bool operator==(const Corner&, const Corner&) = default;
};

std::vector<Corner> corners(const TilePlan& plan) {
  std::vector<Corner> result;
  for (const Tile& tile : plan) {
    result.push_back({.x = tile.x, .y = tile.y});
  }
  return result;
}

constexpr TileSpec square_100{{.size = {100, 100}, .resolution = Level{0}}};
constexpr TilingOptions hexagonal{.grid_layout = GridLayout::hexagonal};

}  // namespace

TEST_CASE("GridLayout spellings round-trip, others are refused", "[tiling][hexagonal]") {
  STATIC_REQUIRE(to_string(GridLayout::rectangular) == "rectangular");
  STATIC_REQUIRE(to_string(GridLayout::hexagonal) == "hexagonal");
  for (const GridLayout layout : all_grid_layouts) {
    REQUIRE(parse_grid_layout(to_string(layout)) == layout);
  }
  REQUIRE_FALSE(parse_grid_layout("HEXAGONAL").has_value());  // the SDK's member name is not the spelling
  REQUIRE_FALSE(parse_grid_layout("hex").has_value());
  REQUIRE_FALSE(parse_grid_layout("").has_value());
}

TEST_CASE("Honeycomb on 430 x 300 px, 100 px tiles, drop: odd rows shifted by 50 hold one tile fewer",
          "[tiling][hexagonal]") {
  // Even rows: starts 0, 100, 200, 300 (300 + 100 <= 430; 400 + 100 > 430): 4.
  // Odd rows: shift 100 / 2 = 50, starts 50, 150, 250 (250 + 100 <= 430;
  // 350 + 100 = 450 > 430): 3. Rows: y = 0, 100, 200 (200 + 100 <= 300): 3.
  // Tiles: 4 + 3 + 4 = 11.
  const TilePlan plan = plan_tiles(square_100, one_level(430, 300), hexagonal);
  REQUIRE(plan.grid_layout() == GridLayout::hexagonal);
  REQUIRE(plan.odd_row_shift() == 50);
  REQUIRE(plan.columns() == 4);
  REQUIRE(plan.columns_in_row(0) == 4);
  REQUIRE(plan.columns_in_row(1) == 3);
  REQUIRE(plan.columns_in_row(2) == 4);
  REQUIRE(plan.rows() == 3);
  REQUIRE(plan.size() == 11);
  const std::vector<Corner> expected{{0, 0},    {100, 0},   {200, 0},   {300, 0},  //
                                     {50, 100}, {150, 100}, {250, 100},            //
                                     {0, 200},  {100, 200}, {200, 200}, {300, 200}};
  REQUIRE(corners(plan) == expected);
  // Index, column and row agree between tile(), tile_at() and iteration.
  std::int64_t index = 0;
  for (const Tile& tile : plan) {
    REQUIRE(tile.index == index);
    REQUIRE(plan.tile(index) == tile);
    REQUIRE(plan.tile_at(tile.column, tile.row) == tile);
    REQUIRE_FALSE(tile.is_partial());
    ++index;
  }
  REQUIRE(plan.tile(5) == Tile{5, 1, 1, 150, 100, 100, 100, 100, 100});
  REQUIRE(plan.tile(7) == Tile{7, 0, 2, 0, 200, 100, 100, 100, 100});
  REQUIRE_THROWS_AS(plan.tile_at(3, 1), std::out_of_range);  // the odd row has no fourth tile
  REQUIRE_THROWS_AS(plan.tile(11), std::out_of_range);
}

TEST_CASE("Honeycomb with pad: each row gets its padded tile at the right edge", "[tiling][hexagonal]") {
  // Even rows: 4 whole tiles, and a 5th starting at 400 < 430 (30 px inside).
  // Odd rows: 3 whole tiles from 50, and a 4th starting at 350 < 430 (80 px
  // inside). Rows: 3 whole, 300 < 300 is false: no padded row. 5 + 4 + 5 = 14.
  TilingOptions options = hexagonal;
  options.partial_tiles = PartialTiles::pad;
  const TilePlan plan = plan_tiles(square_100, one_level(430, 300), options);
  REQUIRE(plan.columns_in_row(0) == 5);
  REQUIRE(plan.columns_in_row(1) == 4);
  REQUIRE(plan.size() == 14);
  REQUIRE(plan.tile_at(4, 0) == Tile{4, 4, 0, 400, 0, 100, 100, 30, 100});
  REQUIRE(plan.tile_at(3, 1) == Tile{8, 3, 1, 350, 100, 100, 100, 80, 100});
  REQUIRE(plan.tile_at(0, 2) == Tile{9, 0, 2, 0, 200, 100, 100, 100, 100});
}

TEST_CASE("Honeycomb where both row kinds fit the same count", "[tiling][hexagonal]") {
  // 450 wide: even starts 0..300 (4; 400 + 100 > 450), odd starts 50..350
  // (350 + 100 = 450 <= 450: 4). Two rows: 8 tiles.
  const TilePlan plan = plan_tiles(square_100, one_level(450, 200), hexagonal);
  REQUIRE(plan.columns_in_row(0) == 4);
  REQUIRE(plan.columns_in_row(1) == 4);
  REQUIRE(plan.size() == 8);
  REQUIRE(plan.tile(7) == Tile{7, 3, 1, 350, 100, 100, 100, 100, 100});
}

TEST_CASE("An odd stride shifts odd rows by half of it, rounded down", "[tiling][hexagonal]") {
  // Stride 101: shift 101 / 2 = 50. Even: 0, 101, 202, 303 (403 <= 430): 4.
  // Odd: 50, 151, 252 (352 <= 430; 353 + 100 > 430): 3. Rows: 0, 101 (201 <= 300): 2.
  constexpr TileSpec spaced{{.size = {100, 100}, .stride = {101, 101}, .resolution = Level{0}}};
  const TilePlan plan = plan_tiles(spaced, one_level(430, 300), hexagonal);
  REQUIRE(plan.odd_row_shift() == 50);
  const std::vector<Corner> expected{{0, 0}, {101, 0}, {202, 0}, {303, 0}, {50, 101}, {151, 101}, {252, 101}};
  REQUIRE(corners(plan) == expected);
}

TEST_CASE("The shift is measured from the tissue bounds, and a rectangular plan is unchanged", "[tiling][hexagonal]") {
  // Bounds at x = 1000, 250 wide: even 1000, 1100 (1200 + 100 > 1250): 2;
  // odd 1050, 1150 (1150 + 100 = 1250): 2.
  const SlideGeometry slide{{.level_dimensions = {WSIDims{.width = 4000, .height = 3000}},
                             .level_downsamples = {1.0},
                             .bounds = WSIBounds{.x = 1000, .y = 500, .width = 250, .height = 200}}};
  const TilePlan plan = plan_tiles(square_100, slide, hexagonal);
  const std::vector<Corner> expected{{1000, 500}, {1100, 500}, {1050, 600}, {1150, 600}};
  REQUIRE(corners(plan) == expected);

  const TilePlan rectangular = plan_tiles(square_100, slide);
  REQUIRE(rectangular.grid_layout() == GridLayout::rectangular);
  REQUIRE(rectangular.odd_row_shift() == 0);
  REQUIRE(rectangular.columns_in_row(1) == rectangular.columns());
  REQUIRE(rectangular.size() == rectangular.columns() * rectangular.rows());
}

TEST_CASE("An area narrower than the shift plus a tile has empty odd rows", "[tiling][hexagonal]") {
  // 120 wide: even rows 1 tile (0); odd rows 120 - 50 = 70 < 100: none (drop),
  // and with pad one tile starting at 50 (70 px inside).
  const TilePlan dropped = plan_tiles(square_100, one_level(120, 300), hexagonal);
  REQUIRE(dropped.columns_in_row(1) == 0);
  REQUIRE(dropped.size() == 2);  // rows 0 and 2
  REQUIRE(dropped.tile(1) == Tile{1, 0, 2, 0, 200, 100, 100, 100, 100});
  TilingOptions options = hexagonal;
  options.partial_tiles = PartialTiles::pad;
  const TilePlan padded = plan_tiles(square_100, one_level(120, 300), options);
  REQUIRE(padded.columns_in_row(0) == 2);  // 0, and 100 < 120
  REQUIRE(padded.columns_in_row(1) == 1);  // 50
  REQUIRE(padded.tile_at(0, 1) == Tile{2, 0, 1, 50, 100, 100, 100, 70, 100});
}

TEST_CASE("A hexagonal plan is a constant expression", "[tiling][hexagonal]") {
  constexpr TilePlan plan = plan_tiles(square_100, one_level(430, 300), hexagonal);
  STATIC_REQUIRE(plan.size() == 11);
  STATIC_REQUIRE(plan.tile(10).x == 300);
  STATIC_REQUIRE(plan.tile(6).x == 250);
}
