// MegaTileExtractor on a generated slide whose tissue is known: the mask is
// the generator's ground truth (one mask pixel per 16 x 16 level-0 cell), so
// each tile's availability follows from counting truth cells, and the test
// counts the blocks of each ratio window by brute force over the grid it
// lays out itself. The exports are read back (the HDF5 file with h5py).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/extraction/wsi/megatile_extractor.hpp"
#include "bioptimus/extraction/wsi/megatile_spec.hpp"
#include "bioptimus/extraction/wsi/thumbnail.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "temp_dir.hpp"
#include "wsi_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bioptimus::extraction::wsi;
using bioptimus::io::wsi::MPP;
using bioptimus::io::wsi::SlideReader;
using bioptimus::testing::read_text;
using bioptimus::testing::TempDir;
using bioptimus::testing::Truth;
using Catch::Matchers::Contains;

// 256 px at 0.5 mpp on the 0.25 mpp slide: a 512 px footprint, 32 truth cells.
const TileSpec tile_256{{.size = Extent{256}, .resolution = MPP{0.5}}};
constexpr std::int64_t footprint = 512;
constexpr std::int64_t slide_width = 8192;
constexpr std::int64_t slide_height = 6144;

// A slide with its truth, and the truth as a mask (tissue cells only).
struct Fixture {
  TempDir dir;
  fs::path path;
  Truth truth;
  std::optional<TissueMask> mask;

  Fixture() {
    const fs::path truth_path = dir.path() / "truth.pgm";
    path = bioptimus::testing::make_tissue_slide(
        dir.path() / "blocks.tif", "--size 8192x6144 --mpp 0.25 --truth " + bioptimus::testing::quoted(truth_path));
    truth = bioptimus::testing::read_truth(truth_path);
    std::vector<std::uint8_t> pixels(truth.cells.size());
    std::transform(truth.cells.begin(), truth.cells.end(), pixels.begin(),
                   [](std::uint8_t cell) -> std::uint8_t { return cell == 255 ? 1 : 0; });
    mask.emplace(std::move(pixels), truth.width, truth.height, MPP{0.25 * Truth::cell});
  }
};

// The tile grid as the test understands the docs: row y = row * 512, x =
// (odd row ? shift : 0) + column * 512, whole tiles only.
struct Grid {
  std::int64_t shift;
  std::int64_t rows;
  std::int64_t even_columns;
  std::int64_t odd_columns;
};

Grid grid_of(GridLayout layout) {
  const std::int64_t shift = layout == GridLayout::hexagonal ? footprint / 2 : 0;
  return {.shift = shift,
          .rows = slide_height / footprint,
          .even_columns = slide_width / footprint,
          .odd_columns = (slide_width - shift) / footprint};
}

struct Expected {
  std::int64_t candidates = 0;
  std::vector<std::int64_t> valid;  // per kept block, in grid order
  std::vector<std::int64_t> x;      // bounding-box corner
  std::vector<std::int64_t> y;
};

Expected brute_force(const Truth& truth, GridLayout layout, TileGridShape shape, TileGridShape stride, double threshold,
                     double min_ratio, std::optional<double> max_ratio) {
  const Grid grid = grid_of(layout);
  const auto tile_x = [&](std::int64_t row, std::int64_t column) {
    return (row % 2 == 1 ? grid.shift : 0) + column * footprint;
  };
  const auto available = [&](std::int64_t row, std::int64_t column) {
    const auto [tissue, cells] = truth.count(tile_x(row, column), row * footprint, footprint, footprint, 255);
    return static_cast<double>(tissue) / static_cast<double>(cells) >= threshold;
  };
  Expected expected;
  for (std::int64_t r0 = 0; r0 + shape.rows <= grid.rows; r0 += stride.rows) {
    for (std::int64_t c0 = 0;; c0 += stride.cols) {
      bool fits = true;
      for (std::int64_t r = r0; r < r0 + shape.rows; ++r) {
        fits = fits && c0 + shape.cols <= (r % 2 == 0 ? grid.even_columns : grid.odd_columns);
      }
      if (!fits) {
        break;
      }
      ++expected.candidates;
      std::int64_t valid = 0;
      std::int64_t left = tile_x(r0, c0);
      for (std::int64_t r = r0; r < r0 + shape.rows; ++r) {
        left = std::min(left, tile_x(r, c0));
        for (std::int64_t c = c0; c < c0 + shape.cols; ++c) {
          valid += available(r, c) ? 1 : 0;
        }
      }
      const double ratio = static_cast<double>(valid) / static_cast<double>(shape.rows * shape.cols);
      if (ratio >= min_ratio && (!max_ratio || ratio <= *max_ratio)) {
        expected.valid.push_back(valid);
        expected.x.push_back(left);
        expected.y.push_back(r0 * footprint);
      }
    }
  }
  return expected;
}

// The number of blocks kept, after checking each against the brute force.
std::size_t check_against_truth(const Fixture& fixture, GridLayout layout, TileGridShape shape,
                                std::optional<TileGridShape> stride, double min_ratio,
                                std::optional<double> max_ratio) {
  CAPTURE(to_string(layout), shape.rows, shape.cols, min_ratio, max_ratio.value_or(-1.0));
  const MegaTileSpec spec{{.megatile_shape = shape,
                           .tile_spec = tile_256,
                           .grid_layout = layout,
                           .megatile_stride = stride,
                           .min_valid_tiles_ratio = min_ratio,
                           .max_valid_tiles_ratio = max_ratio}};
  const SlideReader slide{fixture.path};
  MegaTileExtractor extractor{spec, {.mask_threshold = 0.5, .mask = fixture.mask, .segmentation = {}}};
  const std::vector<MegaTileRegion>& blocks = extractor.fit(slide).extract();
  const Expected expected =
      brute_force(fixture.truth, layout, shape, stride.value_or(shape), 0.5, min_ratio, max_ratio);
  REQUIRE(extractor.candidates() == expected.candidates);
  REQUIRE(blocks.size() == expected.valid.size());
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const MegaTileRegion& block = blocks[i];
    REQUIRE(block.valid_tiles == expected.valid[i]);
    REQUIRE(block.x == expected.x[i]);
    REQUIRE(block.y == expected.y[i]);
    REQUIRE(block.tiles.size() == static_cast<std::size_t>(shape.rows * shape.cols));
    REQUIRE(std::count(block.available.begin(), block.available.end(), 1) == block.valid_tiles);
  }
  return blocks.size();
}

}  // namespace

TEST_CASE("Mega tiles on a slide with known tissue: block counts per ratio window", "[wsi][megatile]") {
  const Fixture fixture;
  // 16 x 12 tiles of 512 px. 2 x 2 blocks without overlap: 8 x 6 = 48 candidates.
  const TileGridShape two{.rows = 2, .cols = 2};
  REQUIRE(check_against_truth(fixture, GridLayout::rectangular, two, std::nullopt, 0.5, std::nullopt) > 0);
  REQUIRE(check_against_truth(fixture, GridLayout::rectangular, two, std::nullopt, 0.25, 0.75) > 0);
  REQUIRE(check_against_truth(fixture, GridLayout::rectangular, two, std::nullopt, 1.0, 1.0) > 0);
  REQUIRE(check_against_truth(fixture, GridLayout::rectangular, two, std::nullopt, 0.0, 0.0) > 0);
  // Overlapping 3 x 4 blocks every tile: 10 x 13 = 130 candidates.
  REQUIRE(check_against_truth(fixture, GridLayout::rectangular, {.rows = 3, .cols = 4},
                              TileGridShape{.rows = 1, .cols = 1}, 0.6, std::nullopt) > 0);
  // A honeycomb: odd rows start at 256 and hold 15 tiles, so 3 x 2 blocks
  // every tile fit 14 columns and 10 rows: 140 candidates.
  REQUIRE(check_against_truth(fixture, GridLayout::hexagonal, {.rows = 3, .cols = 2},
                              TileGridShape{.rows = 1, .cols = 1}, 0.5, std::nullopt) > 0);
  // One-row blocks in a honeycomb: an even row fits 16 - 4 + 1, an odd 15 - 4 + 1.
  REQUIRE(check_against_truth(fixture, GridLayout::hexagonal, {.rows = 1, .cols = 4},
                              TileGridShape{.rows = 1, .cols = 1}, 0.5, 0.9) > 0);
}

TEST_CASE("Mega tiles: the hand-counted candidates, geometry and statistics of one block", "[wsi][megatile]") {
  const Fixture fixture;
  const SlideReader slide{fixture.path};
  const MegaTileSpec spec{{.megatile_shape = {.rows = 3, .cols = 2},
                           .tile_spec = tile_256,
                           .grid_layout = GridLayout::hexagonal,
                           .megatile_stride = TileGridShape{.rows = 1, .cols = 1},
                           .min_valid_tiles_ratio = 0.0}};
  MegaTileExtractor extractor{spec, {.mask = fixture.mask, .segmentation = {}}};
  const std::vector<MegaTileRegion>& blocks = extractor.fit(slide).extract();
  REQUIRE(extractor.plan().odd_row_shift() == 256);
  REQUIRE(extractor.candidates() == 140);
  REQUIRE(blocks.size() == 140);  // min 0 keeps every block
  // Block 15 starts at grid row 1 (14 blocks per block row), column 1: an odd
  // row, x = 256 + 512 = 768; its even second row starts at 512, so the box
  // spans 512 .. 768 + 2 * 512 = 1792, and rows 1..3: y 512 .. 2048.
  const MegaTileRegion& block = blocks[15];
  REQUIRE(block.grid_row == 1);
  REQUIRE(block.grid_col == 1);
  REQUIRE(block.x == 512);
  REQUIRE(block.y == 512);
  REQUIRE(block.width == 1280);
  REQUIRE(block.height == 1536);
  REQUIRE(block.tiles[0].x == 768);
  REQUIRE(block.tiles[2].x == 512);
  REQUIRE(block.tiles[5].y == 1536);
  double sum = 0.0;
  for (const TileRegion& tile : block.tiles) {
    sum += tile.tissue_fraction;
  }
  REQUIRE(block.mean_tissue_fraction == Approx(sum / 6.0));
  REQUIRE(block.valid_ratio == Approx(static_cast<double>(block.valid_tiles) / 6.0));
}

TEST_CASE("Mega tiles: the cap keeps the blocks with the most tissue, in grid order", "[wsi][megatile]") {
  const Fixture fixture;
  const SlideReader slide{fixture.path};
  const MegaTileSpec spec{
      {.megatile_shape = {.rows = 2, .cols = 2}, .tile_spec = tile_256, .min_valid_tiles_ratio = 0.25}};
  MegaTileExtractor all{spec, {.mask = fixture.mask, .segmentation = {}}};
  std::vector<MegaTileRegion> every = all.fit(slide).extract();
  REQUIRE(every.size() > 5);
  MegaTileExtractor capped{spec, {.mask = fixture.mask, .segmentation = {}, .max_megatiles = 5}};
  const std::vector<MegaTileRegion>& five = capped.fit(slide).extract();
  REQUIRE(five.size() == 5);
  std::stable_sort(every.begin(), every.end(),
                   [](const MegaTileRegion& a, const MegaTileRegion& b) { return a.valid_tiles > b.valid_tiles; });
  every.resize(5);
  std::sort(every.begin(), every.end(), [](const MegaTileRegion& a, const MegaTileRegion& b) {
    return a.grid_row != b.grid_row ? a.grid_row < b.grid_row : a.grid_col < b.grid_col;
  });
  REQUIRE(five == every);
}

TEST_CASE("MegaTileExtractor options are checked, and extract needs fit", "[wsi][megatile]") {
  const MegaTileSpec spec{{.megatile_shape = {.rows = 2, .cols = 2}, .tile_spec = tile_256}};
  REQUIRE_THROWS_WITH(
      MegaTileExtractor(spec, {.mask_threshold = -0.5}),
      Contains("MegaTileExtractor") && Contains("mask_threshold: expected a number in [0, 1], got -0.5"));
  REQUIRE_THROWS_WITH(MegaTileExtractor(spec, {.max_megatiles = 0}),
                      Contains("max_megatiles: expected a count >= 1 or none, got 0"));
  REQUIRE_THROWS_WITH(MegaTileExtractor(spec, {.tiling = {.grid_layout = GridLayout::hexagonal}}),
                      Contains("tiling.grid_layout: expected the spec's layout rectangular (or the default), got "
                               "hexagonal"));
  MegaTileExtractor unfitted{spec};
  REQUIRE_THROWS_WITH(unfitted.extract(), Contains("call fit(slide) first"));
  REQUIRE_THROWS_WITH(unfitted.to_csv("unused"), Contains("call fit(slide) first"));
  REQUIRE_THROWS_WITH(unfitted.plan(), Contains("MegaTileExtractor::plan: call fit(slide) first"));
}

TEST_CASE("Mega-tile exports: CSV, JSON and HDF5 read back by h5py, and a thumbnail", "[wsi][megatile]") {
  const Fixture fixture;
  const SlideReader slide{fixture.path};
  const MegaTileSpec spec{{.megatile_shape = {.rows = 2, .cols = 3},
                           .tile_spec = tile_256,
                           .grid_layout = GridLayout::hexagonal,
                           .min_valid_tiles_ratio = 0.5,
                           .max_valid_tiles_ratio = 1.0}};
  MegaTileExtractor extractor{spec, {.mask = fixture.mask, .segmentation = {}, .model = "h0-mini@1.0.0"}};
  const std::vector<MegaTileRegion>& blocks = extractor.fit(slide).extract();
  REQUIRE(blocks.size() > 3);
  const fs::path out = fixture.dir.path() / "out";

  const std::string csv = read_text(extractor.to_csv(out));
  REQUIRE(csv.rfind("megatile,megatile_x,megatile_y,tile_row,tile_col,x,y,level,width,height,available,"
                    "tissue_fraction\n",
                    0) == 0);
  REQUIRE(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) == blocks.size() * 6 + 1);
  // The second tile of the first block: row 0, column 1.
  const TileRegion& second = blocks[0].tiles[1];
  REQUIRE(csv.find("\n0," + std::to_string(blocks[0].x) + "," + std::to_string(blocks[0].y) + ",0,1," +
                   std::to_string(second.x) + "," + std::to_string(second.y) + ",0,512,512," +
                   std::to_string(int{blocks[0].available[1]}) + ",") != std::string::npos);

  const auto json = nlohmann::json::parse(read_text(extractor.to_json(out)));
  REQUIRE(json["slide"] == "blocks");
  REQUIRE(json["megatile_spec"]["megatile_shape"] == nlohmann::json::array({2, 3}));
  REQUIRE(json["megatile_spec"]["grid_layout"] == "hexagonal");
  REQUIRE(json["odd_row_shift"] == 256);
  REQUIRE(json["megatiles"].size() == blocks.size());
  REQUIRE(json["megatiles"][0]["tiles"].size() == 6);
  REQUIRE(json["megatiles"][0]["valid_tiles"] == blocks[0].valid_tiles);

  const fs::path h5 = extractor.to_hdf5(out);
  const std::string script =
      "import h5py, json, sys\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "a = {k: (v.tolist() if hasattr(v, 'tolist') else v) for k, v in f.attrs.items()}\n"
      "print(json.dumps({k: {'dtype': str(f[k].dtype), 'shape': list(f[k].shape)} for k in f.keys()} |\n"
      "                 {'attrs': a, 'first': f['megatile_coords'][0].tolist(), 'tile': f['coords'][0, 0, "
      "1].tolist(),\n"
      "                  'first_available': f['available'][0].tolist()}))\n";
  int status = 0;
  const std::string output = bioptimus::testing::run_output(
      "/usr/bin/python3 " + bioptimus::testing::quoted(fixture.dir.write("read.py", script)) + " " +
          bioptimus::testing::quoted(h5),
      &status);
  REQUIRE(status == 0);
  INFO(output);
  const auto read = nlohmann::json::parse(output);
  const auto count = blocks.size();
  REQUIRE(read["megatile_coords"]["shape"] == nlohmann::json::array({count, 2}));
  REQUIRE(read["megatile_coords"]["dtype"] == "int64");
  REQUIRE(read["megatile_size"]["shape"] == nlohmann::json::array({count, 2}));
  REQUIRE(read["megatile_grid_index"]["shape"] == nlohmann::json::array({count, 2}));
  REQUIRE(read["coords"]["shape"] == nlohmann::json::array({count, 2, 3, 2}));
  REQUIRE(read["available"]["shape"] == nlohmann::json::array({count, 2, 3}));
  REQUIRE(read["available"]["dtype"] == "uint8");
  REQUIRE(read["tissue_fraction"]["shape"] == nlohmann::json::array({count, 2, 3}));
  REQUIRE(read["valid_ratio"]["shape"] == nlohmann::json::array({count}));
  REQUIRE(read["first"] == nlohmann::json::array({blocks[0].x, blocks[0].y}));
  REQUIRE(read["tile"] == nlohmann::json::array({second.x, second.y}));
  const std::vector<std::uint8_t>& mask = blocks[0].available;
  REQUIRE(read["first_available"] == nlohmann::json::array({nlohmann::json::array({mask[0], mask[1], mask[2]}),
                                                            nlohmann::json::array({mask[3], mask[4], mask[5]})}));
  const auto& attrs = read["attrs"];
  REQUIRE(attrs["name"] == "blocks");
  REQUIRE(attrs["model"] == "h0-mini@1.0.0");
  REQUIRE(attrs["grid_layout"] == "hexagonal");
  REQUIRE(attrs["megatile_shape"] == nlohmann::json::array({2, 3}));
  REQUIRE(attrs["megatile_stride"] == nlohmann::json::array({2, 3}));
  REQUIRE(attrs["footprint"] == nlohmann::json::array({512, 512}));
  REQUIRE(attrs["odd_row_shift"] == 256);
  REQUIRE(attrs["max_valid_tiles_ratio"] == 1.0);
  REQUIRE(attrs["candidates"] == extractor.candidates());

  const std::string png = read_text(write_thumbnail(out, slide, extractor, 512));
  REQUIRE(png.substr(1, 3) == "PNG");
  for (const auto& entry : fs::directory_iterator(out)) {
    REQUIRE(entry.path().string().find(".tmp-") == std::string::npos);
  }
}
