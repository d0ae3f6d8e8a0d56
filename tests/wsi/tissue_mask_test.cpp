// The default tissue mask on generated slides of several sizes, against
// make_tissue_slide's ground truth: every piece of tissue down to 150 x 150
// um is kept (the tiles half covered by tissue, and each piece itself), no
// speck of dust and no background. The 40,000 x 30,000 px slides are in
// scripts/check-tissue-mask.sh (their generation alone takes seconds).
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/extraction/wsi/tissue_mask.hpp"
#include "bioptimus/image/image.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "temp_dir.hpp"
#include "wsi_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bioptimus::extraction::wsi;
using bioptimus::io::wsi::MPP;
using bioptimus::io::wsi::SlideReader;
using bioptimus::testing::TempDir;

const TileSpec tiles_224_at_half_mpp{{.size = Extent{224}, .resolution = MPP{0.5}}};

}  // namespace

TEST_CASE("The closing leaves a piece's outline where it is", "[wsi][extraction][mask]") {
  // A 20 x 12 px pink rectangle on glass: with no area filter the mask is
  // that rectangle, whatever the (even or odd) closing kernel.
  constexpr std::int64_t width = 48;
  constexpr std::int64_t height = 40;
  std::vector<std::uint8_t> rgb(width * height * 3, 255);
  for (std::int64_t y = 14; y < 26; ++y) {
    for (std::int64_t x = 10; x < 30; ++x) {
      std::uint8_t* pixel = rgb.data() + (y * width + x) * 3;
      pixel[0] = 232;
      pixel[1] = 150;
      pixel[2] = 196;
    }
  }
  const bioptimus::image::ImageView view{.data = rgb.data(),
                                         .width = width,
                                         .height = height,
                                         .stride_bytes = width * 3,
                                         .format = bioptimus::image::PixelFormat::rgb8};
  for (const int close : {0, 2, 3, 4, 5}) {
    TissueMaskParams params;
    params.close_kernel = close;
    params.median_kernel = 3;
    params.min_tissue_area_um2 = 0.0;
    const TissueMask mask = segment_tissue(view, MPP{8.0}, params);
    INFO("close_kernel " << close);
    for (std::int64_t y = 0; y < height; ++y) {
      for (std::int64_t x = 0; x < width; ++x) {
        // The median blur rounds the four corner pixels off.
        const bool corner = (x == 10 || x == 29) && (y == 14 || y == 25);
        const bool inside = x >= 10 && x < 30 && y >= 14 && y < 26 && !corner;
        INFO(x << ", " << y);
        REQUIRE(mask.is_tissue(x, y) == inside);
      }
    }
  }
}

TEST_CASE("The default mask keeps every piece down to 150 um and no dust, on slides of every size",
          "[wsi][extraction][mask]") {
  const TempDir dir;
  // make_tissue_slide's --fragments: physical pieces (150 x 150 um = 0.0225
  // mm^2 and up) and dust 20-90 um across; its default layout: five blobs
  // and nine specks in fractions of the slide (0.07-0.16 mm^2 blobs at
  // 6000 x 6000, 0.16-0.36 mm^2 at 12000 x 9000).
  const auto [size, layout] = GENERATE(table<std::string, std::string>({
      {"6000x6000", "--fragments 150,150,200"},
      {"12000x9000", "--fragments 150,200,300,500"},
      {"12000x9000", "--fragments 150,150,150,150"},
      {"6000x6000", ""},
      {"12000x9000", ""},
  }));
  const fs::path path = bioptimus::testing::make_tissue_slide(
      dir.path() / "slide.tif",
      "--size " + size + " --mpp 0.25 " + layout + " --truth " + (dir.path() / "truth.pgm").string());
  const auto truth = bioptimus::testing::read_truth(dir.path() / "truth.pgm");
  const SlideReader slide{path};
  for (const TileSpec& spec : {tiles_224_at_half_mpp, TileSpec{{.size = Extent{256}, .resolution = MPP{0.5}}}}) {
    TileExtractor extractor{spec};
    extractor.fit(slide).extract();
    const auto scores = bioptimus::testing::score(extractor, truth);
    INFO(size << " " << layout << ", " << spec.size_pixels().width << " px tiles: truth tiles " << scores.truth_tiles
              << ", kept " << scores.truth_tiles_kept << "; kept " << scores.kept << ", without tissue "
              << scores.kept_without_tissue << ", on a speck " << scores.kept_on_speck);
    REQUIRE(scores.truth_tiles > 0);
    REQUIRE(scores.coverage() >= 0.99);
    REQUIRE(scores.kept_on_speck == 0);
    REQUIRE(static_cast<double>(scores.kept_without_tissue) <= 0.01 * static_cast<double>(scores.kept));

    // Every piece itself, whatever the tiles' alignment: almost all of its cells.
    const auto pieces = bioptimus::testing::piece_coverage(truth, *extractor.mask(), 0.25);
    REQUIRE(pieces.size() >= 3);
    for (const auto& piece : pieces) {
      INFO("a piece of " << piece.cells << " cells (" << static_cast<double>(piece.cells) * 16.0 << " um^2)");
      REQUIRE(piece.covered >= 0.95);
    }
  }

  // CLAM's tcga preset, as CLAM applies it to this 40x slide, drops every
  // piece under 0.26 mm^2: all the fragments, and the blobs of the small slide.
  if (!layout.empty() || size == "6000x6000") {
    TileExtractor clam{tiles_224_at_half_mpp, {.clam_preset = ClamPreset::tcga}};
    REQUIRE(clam.fit(slide).extract().empty());
  }
}
