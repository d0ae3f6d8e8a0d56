// Tissue masks and TileExtractor on generated slides whose tissue is known
// (make_tissue_slide's ground truth), and the exports, the HDF5 one read
// back with h5py.
#include <hdf5.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "bioptimus/extraction/wsi/megatile_extractor.hpp"
#include "bioptimus/extraction/wsi/thumbnail.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/extraction/wsi/tissue_mask.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "file_size_limit.hpp"
#include "host_hdf5_errors.hpp"
#include "temp_dir.hpp"
#include "wsi_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bioptimus::extraction::wsi;
using bioptimus::io::wsi::Level;
using bioptimus::io::wsi::MPP;
using bioptimus::io::wsi::SlideError;
using bioptimus::io::wsi::SlideMppError;
using bioptimus::io::wsi::SlideReader;
using bioptimus::testing::read_text;
using bioptimus::testing::score;
using bioptimus::testing::Scores;
using bioptimus::testing::TempDir;
using bioptimus::testing::Truth;
using Catch::Matchers::Contains;

const TileSpec tiles_256_at_half_mpp{{.size = Extent{256}, .resolution = MPP{0.5}}};

}  // namespace

TEST_CASE("A 20000 x 15000 slide: the tiles kept match the ground truth", "[wsi][extraction][large]") {
  const TempDir dir;
  const fs::path path = bioptimus::testing::make_tissue_slide(
      dir.path() / "large.tif", "--size 20000x15000 --mpp 0.25 --truth " + (dir.path() / "large.pgm").string());
  const Truth truth = bioptimus::testing::read_truth(dir.path() / "large.pgm");
  const SlideReader slide{path};
  TileExtractor extractor{tiles_256_at_half_mpp};
  extractor.fit(slide).extract();

  REQUIRE(extractor.plan().footprint() == PixelExtent{.width = 512, .height = 512});
  REQUIRE(extractor.mask()->mpp() == MPP{8.0});
  const Scores scores = score(extractor, truth);
  INFO("truth tiles " << scores.truth_tiles << ", kept " << scores.truth_tiles_kept << "; kept " << scores.kept
                      << ", without tissue " << scores.kept_without_tissue << ", on a speck " << scores.kept_on_speck);
  REQUIRE(scores.truth_tiles > 200);
  REQUIRE(static_cast<double>(scores.truth_tiles_kept) >= 0.99 * static_cast<double>(scores.truth_tiles));
  REQUIRE(static_cast<double>(scores.kept_without_tissue) <= 0.01 * static_cast<double>(scores.kept));
  REQUIRE(scores.kept_on_speck == 0);
}

TEST_CASE("The mask drops specks and keeps the hole, which fill_holes fills", "[wsi][extraction]") {
  const TempDir dir;
  const fs::path path = bioptimus::testing::make_tissue_slide(
      dir.path() / "slide.tif", "--size 8192x6144 --truth " + (dir.path() / "truth.pgm").string());
  const Truth truth = bioptimus::testing::read_truth(dir.path() / "truth.pgm");
  const SlideReader slide{path};
  // Areas scaled to this small slide: blobs are ~1 mm^2 here, specks ~1000 um^2.
  TissueMaskParams params;
  params.min_tissue_area_um2 = 50000.0;
  params.min_hole_area_um2 = 10000.0;
  const TissueMask mask = segment_tissue(slide, params);
  REQUIRE(mask.width() == 256);  // 8192 px * 0.25 um/px / 8 um/px
  REQUIRE(mask.height() == 192);
  const auto mask_at = [&](double u, double v) {
    return mask.is_tissue(static_cast<std::int64_t>(u * 256), static_cast<std::int64_t>(v * 192));
  };
  REQUIRE(mask_at(0.22, 0.30));        // a blob
  REQUIRE_FALSE(mask_at(0.30, 0.72));  // the centre of the hole
  REQUIRE_FALSE(mask_at(0.45, 0.50));  // a speck
  REQUIRE_FALSE(mask_at(0.05, 0.05));  // another
  REQUIRE_FALSE(mask_at(0.01, 0.60));  // background
  // The mask agrees with the truth on most of the slide.
  std::int64_t agree = 0;
  for (std::int64_t y = 0; y < 192; ++y) {
    for (std::int64_t x = 0; x < 256; ++x) {
      const bool tissue = truth.at((x * 32 + 16) / Truth::cell, (y * 32 + 16) / Truth::cell) == 255;
      agree += tissue == mask.is_tissue(x, y) ? 1 : 0;
    }
  }
  // They differ only along the outlines (about 2% of the pixels here).
  REQUIRE(static_cast<double>(agree) >= 0.97 * 256 * 192);

  params.fill_holes = true;
  REQUIRE(segment_tissue(slide, params)
              .is_tissue(static_cast<std::int64_t>(0.30 * 256), static_cast<std::int64_t>(0.72 * 192)));
  // CLAM's tcga preset at 40x (0.26 mm^2) drops every blob of this 2 x 1.5
  // mm slide (the largest is about 0.2 mm^2); the default keeps them all.
  REQUIRE(segment_tissue(slide, TissueMaskParams::clam_preset(ClamPreset::tcga, MPP{0.25})).tissue_fraction() == 0.0);
  const TissueMask kept = segment_tissue(slide);
  for (const auto& [u, v] : {std::pair{0.22, 0.30}, {0.55, 0.28}, {0.82, 0.36}, {0.38, 0.72}, {0.72, 0.74}}) {
    INFO("blob at " << u << ", " << v);
    REQUIRE(kept.is_tissue(static_cast<std::int64_t>(u * 256), static_cast<std::int64_t>(v * 192)));
  }
  REQUIRE_FALSE(kept.is_tissue(static_cast<std::int64_t>(0.45 * 256), static_cast<std::int64_t>(0.50 * 192)));
}

TEST_CASE("Mask parameters are checked, and CLAM's presets convert to microns", "[wsi][extraction]") {
  TissueMaskParams params;
  params.median_kernel = 4;
  params.max_holes = -1;
  const std::vector<std::uint8_t> white(3 * 4 * 4, 255);
  const bioptimus::image::ImageView view{
      .data = white.data(), .width = 4, .height = 4, .stride_bytes = 12, .format = bioptimus::image::PixelFormat::rgb8};
  REQUIRE_THROWS_WITH(segment_tissue(view, MPP{8.0}, params),
                      Contains("median_kernel: expected an odd side from 3 to 255, got 4") &&
                          Contains("max_holes: expected a count >= 0, got -1"));

  // CLAM counts areas in 512 x 512 level-0 patches: tcga's a_t 16 is 0.26
  // mm^2 on a 40x slide; the defaults keep tcga's thresholds and kernels
  // with areas in microns for small fragments.
  const TissueMaskParams tcga = TissueMaskParams::clam_preset(ClamPreset::tcga, MPP{0.25});
  const TissueMaskParams defaults;
  REQUIRE(tcga.min_tissue_area_um2 == 262144.0);
  REQUIRE(tcga.min_hole_area_um2 == 65536.0);
  REQUIRE(defaults.min_tissue_area_um2 == 10000.0);
  REQUIRE(defaults.min_hole_area_um2 == 10000.0);
  REQUIRE(tcga.saturation_threshold == defaults.saturation_threshold);
  REQUIRE(tcga.median_kernel == defaults.median_kernel);
  REQUIRE(tcga.close_kernel == defaults.close_kernel);
  REQUIRE(tcga.max_holes == defaults.max_holes);
  for (const ClamPreset preset : {ClamPreset::tcga, ClamPreset::bwh_biopsy, ClamPreset::bwh_resection}) {
    REQUIRE(parse_clam_preset(to_string(preset)) == preset);
  }
  REQUIRE(to_string(ClamPreset::bwh_biopsy) == "bwh_biopsy");
  REQUIRE_FALSE(parse_clam_preset("TCGA").has_value());
  const TissueMaskParams biopsy = TissueMaskParams::clam_preset(ClamPreset::bwh_biopsy, MPP{0.5}, 16.0);
  REQUIRE(biopsy.min_tissue_area_um2 == 512.0 * 512.0 * 0.25);
  REQUIRE(biopsy.median_kernel == 11);
  REQUIRE(biopsy.mpp == 16.0);
  REQUIRE(segment_tissue(view, MPP{8.0}).tissue_fraction() == 0.0);
}

TEST_CASE("A user's mask without an MPP spans the slide, and no mask keeps every tile", "[wsi][extraction]") {
  const TempDir dir;
  const SlideReader slide{bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size 4096x3072")};
  // The left half is tissue: 2 x 1 mask pixels.
  TileExtractor left{tiles_256_at_half_mpp, {.mask = TissueMask({1, 0}, 2, 1, std::nullopt), .segmentation = {}}};
  const std::vector<TileRegion>& regions = left.fit(slide).extract();
  REQUIRE(left.plan().size() == 8 * 6);
  REQUIRE(regions.size() == 4 * 6);
  for (const TileRegion& region : regions) {
    REQUIRE(region.x < 2048);
    REQUIRE(region.tissue_fraction == Approx(1.0));
    REQUIRE(region.level == Level{0});
    REQUIRE(region.size == bioptimus::io::wsi::WSIDims{.width = 512, .height = 512});
  }
  TileExtractor everything{tiles_256_at_half_mpp, {.segmentation = {}}};
  REQUIRE(everything.fit(slide).extract().size() == 48);
  REQUIRE_THROWS_WITH(TileExtractor(tiles_256_at_half_mpp, {.mask_threshold = 1.5}),
                      Contains("mask_threshold: expected a number in [0, 1], got 1.5"));
  TileExtractor unfitted{tiles_256_at_half_mpp};
  REQUIRE_THROWS_WITH(unfitted.extract(), Contains("call fit(slide) first"));
}

TEST_CASE("A slide without MPP: fit asks for an override, and works with one", "[wsi][extraction]") {
  const TempDir dir;
  const fs::path path = bioptimus::testing::make_tissue_slide(dir.path() / "nompp.tif", "--size 4096x3072 --no-mpp");
  TileExtractor extractor{tiles_256_at_half_mpp};
  const SlideReader slide{path};
  REQUIRE_THROWS_AS(extractor.fit(slide), SlideMppError);
  REQUIRE_THROWS_WITH(extractor.fit(slide), Contains(path.string()) && Contains("MPP override"));
  const SlideReader overridden{path, {.mpp_override = MPP{0.25}}};
  TissueMaskParams small;
  small.min_tissue_area_um2 = 10000.0;
  TileExtractor with_override{tiles_256_at_half_mpp, {.segmentation = small}};
  REQUIRE_FALSE(with_override.fit(overridden).extract().empty());
}

TEST_CASE("Exports: CSV, JSON and an HDF5 file in CLAM's and TRIDENT's layout, read by h5py", "[wsi][extraction]") {
  const TempDir dir;
  const SlideReader slide{bioptimus::testing::make_tissue_slide(dir.path() / "case-7.tif", "--size 8192x6144")};
  TissueMaskParams params;
  params.min_tissue_area_um2 = 50000.0;
  TileExtractor extractor{tiles_256_at_half_mpp, {.segmentation = params, .model = "h0-mini@1.0.0"}};
  const std::vector<TileRegion>& regions = extractor.fit(slide).extract();
  REQUIRE(regions.size() > 10);
  const fs::path out = dir.path() / "out";

  const fs::path csv = extractor.to_csv(out);
  REQUIRE(csv == out / "case-7.csv");
  const std::string text = read_text(csv);
  REQUIRE(text.rfind("x,y,level,width,height,tissue_fraction\n", 0) == 0);
  REQUIRE(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) == regions.size() + 1);
  REQUIRE(text.find("\n" + std::to_string(regions[0].x) + "," + std::to_string(regions[0].y) + ",0,512,512,") !=
          std::string::npos);

  const auto json = nlohmann::json::parse(read_text(extractor.to_json(out)));
  REQUIRE(json["slide"] == "case-7");
  REQUIRE(json["model"] == "h0-mini@1.0.0");
  REQUIRE(json["tiles"].size() == regions.size());
  REQUIRE(json["tiles"][0]["x"] == regions[0].x);
  REQUIRE(json["tile_size"] == nlohmann::json::array({256, 256}));

  const fs::path h5 = extractor.to_hdf5(out);
  REQUIRE(h5 == out / "case-7.h5");
  for (const auto& entry : fs::directory_iterator(out)) {
    REQUIRE(entry.path().string().find(".tmp-") == std::string::npos);  // renamed into place
  }
  const std::string script =
      "import h5py, json, sys\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "c = f['coords']\n"
      "a = {k: (v.tolist() if hasattr(v, 'tolist') else v) for k, v in c.attrs.items()}\n"
      "t, m = f['thumbnail'], f['tissue_mask']\n"
      "print(json.dumps({'dtype': str(c.dtype), 'shape': list(c.shape), 'first': c[0].tolist(),\n"
      "                  'fractions': f['tissue_fraction'].shape[0], 'attrs': a,\n"
      "                  'thumbnail': [str(t.dtype), list(t.shape), int(t[()].astype('int64').sum()),\n"
      "                                t.attrs['downsample'].tolist(), float(t.attrs['mpp'])],\n"
      "                  'mask': [str(m.dtype), list(m.shape), int(m[()].astype('int64').sum()),\n"
      "                           m.attrs['downsample'].tolist(), float(m.attrs['mpp'])]}))\n";
  int status = 0;
  const std::string output =
      bioptimus::testing::run_output("/usr/bin/python3 " + bioptimus::testing::quoted(dir.write("read.py", script)) +
                                         " " + bioptimus::testing::quoted(h5),
                                     &status);
  REQUIRE(status == 0);
  const auto read = nlohmann::json::parse(output);
  INFO(output);
  REQUIRE(read["dtype"] == "int64");
  REQUIRE(read["shape"] == nlohmann::json::array({regions.size(), 2}));
  REQUIRE(read["first"] == nlohmann::json::array({regions[0].x, regions[0].y}));
  REQUIRE(read["fractions"] == regions.size());
  const auto& attrs = read["attrs"];
  // CLAM
  REQUIRE(attrs["patch_size"] == 512);
  REQUIRE(attrs["patch_level"] == 0);
  REQUIRE(attrs["downsample"] == nlohmann::json::array({1.0, 1.0}));
  REQUIRE(attrs["downsampled_level_dim"] == nlohmann::json::array({8192, 6144}));
  REQUIRE(attrs["level_dim"] == nlohmann::json::array({8192, 6144}));
  REQUIRE(attrs["name"] == "case-7");
  REQUIRE(attrs["save_path"] == out.string());
  // TRIDENT: the magnification of the level read (level 0 of a 40x slide),
  // so that its reader reads patch_size pixels there as CLAM's does.
  REQUIRE(attrs["patch_size_level0"] == 512);
  REQUIRE(attrs["level0_magnification"] == 40.0);
  REQUIRE(attrs["target_magnification"] == 40.0);
  REQUIRE(attrs["overlap"] == 0);
  REQUIRE(attrs["level0_width"] == 8192);
  REQUIRE(attrs["level0_height"] == 6144);
  REQUIRE(attrs["savetodir"] == out.string());
  // Ours: the model's tiles.
  REQUIRE(attrs["model"] == "h0-mini@1.0.0");
  REQUIRE(attrs["tile_size"] == nlohmann::json::array({256, 256}));
  REQUIRE(attrs["tile_stride"] == nlohmann::json::array({256, 256}));
  REQUIRE(attrs["tile_resolution"] == "0.5 mpp");
  REQUIRE(attrs["target_mpp"] == 0.5);
  REQUIRE(attrs["region_size"] == nlohmann::json::array({512, 512}));
  REQUIRE(attrs["footprint"] == nlohmann::json::array({512, 512}));
  REQUIRE(attrs["mask_threshold"] == 0.5);
  REQUIRE(extractor.to_hdf5(out, CoordinatesFileName::trident) == out / "case-7_patches.h5");
  REQUIRE(fs::is_regular_file(out / "case-7_patches.h5"));
  // The slide's thumbnail and the mask the tiles were chosen on, as the extractor kept them.
  const SlideThumbnail& thumbnail = *extractor.thumbnail();
  const TissueMask& mask = *extractor.mask();
  const auto sum = [](std::span<const std::uint8_t> bytes) {
    return std::accumulate(bytes.begin(), bytes.end(), std::int64_t{0});
  };
  REQUIRE(read["thumbnail"] == nlohmann::json::array({"uint8",
                                                      {thumbnail.rgb.height(), thumbnail.rgb.width(), 3},
                                                      sum(thumbnail.rgb.bytes()),
                                                      {thumbnail.downsample_x, thumbnail.downsample_y},
                                                      thumbnail.mpp->value()}));
  REQUIRE(read["mask"] ==
          nlohmann::json::array({"uint8", {mask.height(), mask.width()}, sum(mask.pixels()), {32.0, 32.0}, 8.0}));

  const fs::path png = write_thumbnail(out, slide, extractor, 512);
  const std::string bytes = read_text(png);
  REQUIRE(bytes.substr(1, 3) == "PNG");
}

TEST_CASE("fit() keeps a thumbnail: the picture the mask was segmented on, reduced; read when it did not segment",
          "[wsi][extraction]") {
  const TempDir dir;
  // 8192 x 6144 px at 0.25 um/px: the mask at 8 um/px is 256 x 192.
  const SlideReader slide{bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size 8192x6144")};
  TileExtractor segmenting{tiles_256_at_half_mpp};
  segmenting.fit(slide);
  const SlideThumbnail& picture = *segmenting.thumbnail();
  REQUIRE(picture.rgb.width() == 256);
  REQUIRE(picture.rgb.height() == 192);
  REQUIRE(picture.downsample_x == 32.0);
  REQUIRE(picture.mpp->value() == 8.0);
  REQUIRE(segmenting.mask_downsample() == std::array<double, 2>{32.0, 32.0});
  // The same picture segmented again gives the extractor's mask: it is what the mask was made from.
  const TissueMask again = segment_tissue(picture.rgb.view(), MPP{8.0});
  REQUIRE(std::equal(again.pixels().begin(), again.pixels().end(), segmenting.mask()->pixels().begin(),
                     segmenting.mask()->pixels().end()));

  TileExtractor small{tiles_256_at_half_mpp, {.thumbnail_max_side = 100}};
  const SlideThumbnail& reduced = *small.fit(slide).thumbnail();
  REQUIRE(reduced.rgb.width() == 100);
  REQUIRE(reduced.rgb.height() == 75);
  REQUIRE(reduced.downsample_x == Approx(81.92));
  REQUIRE(reduced.downsample_y == Approx(6144.0 / 75.0));
  REQUIRE(reduced.mpp->value() == Approx(81.92 * 0.25));

  // A mask of the user's, spanning the slide: the thumbnail is read, at most 1024 px.
  TileExtractor with_mask{tiles_256_at_half_mpp, {.mask = TissueMask({1, 0}, 2, 1, std::nullopt)}};
  with_mask.fit(slide);
  REQUIRE(with_mask.thumbnail()->rgb.width() == 1024);
  REQUIRE(with_mask.thumbnail()->rgb.height() == 768);
  REQUIRE(with_mask.thumbnail()->downsample_x == 8.0);
  REQUIRE(with_mask.mask_downsample() == std::array<double, 2>{4096.0, 6144.0});

  TileExtractor without{tiles_256_at_half_mpp, {.segmentation = std::nullopt, .thumbnail_max_side = 0}};
  without.fit(slide);
  REQUIRE_FALSE(without.thumbnail());
  REQUIRE_THROWS_WITH(without.mask_downsample(), Contains("has no tissue mask"));
}

TEST_CASE("The HDF5 export leaves the host program's HDF5 error printing as it found it", "[wsi][extraction]") {
  const bioptimus::testing::HostHdf5Errors host;
  const TempDir dir;
  const SlideReader slide{bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size 4096x3072")};
  TileExtractor extractor{tiles_256_at_half_mpp, {.mask = TissueMask({1, 0}, 2, 1, std::nullopt), .segmentation = {}}};
  REQUIRE_FALSE(extractor.fit(slide).extract().empty());
  REQUIRE(fs::exists(extractor.to_hdf5(dir.path() / "written")));
  REQUIRE(host.installed());

  // A failure inside HDF5: no byte may be written (a full disk).
  const fs::path blocked = dir.path() / "blocked";
  fs::create_directories(blocked);
  const bioptimus::testing::FileSizeLimit full_disk(0);
  REQUIRE_THROWS_WITH(extractor.to_hdf5(blocked), Contains("HDF5 could not"));
  REQUIRE(host.installed());
  REQUIRE(host.count == 0);
}

TEST_CASE("An HDF5 export that fails on a full disk leaves nothing open in HDF5 and nothing on disk",
          "[wsi][extraction]") {
  const TempDir dir;
  const SlideReader slide{bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size 4096x3072")};
  TileExtractor tiles{tiles_256_at_half_mpp, {.mask = TissueMask({1, 1}, 2, 1, std::nullopt), .segmentation = {}}};
  REQUIRE_FALSE(tiles.fit(slide).extract().empty());
  const MegaTileSpec shape{{.megatile_shape = {.rows = 2, .cols = 2}, .tile_spec = tiles_256_at_half_mpp}};
  MegaTileExtractor blocks{shape, {.mask = TissueMask({1, 1}, 2, 1, std::nullopt), .segmentation = {}}};
  REQUIRE_FALSE(blocks.fit(slide).extract().empty());
  const fs::path out = dir.path() / "out";
  fs::create_directories(out);
  {
    const bioptimus::testing::FileSizeLimit full_disk(4096);
    const auto full = Catch::Matchers::Contains("slide.h5: HDF5 could not write the file: File too large");
    CHECK_THROWS_WITH(tiles.to_hdf5(out), full);
    CHECK_THROWS_WITH(blocks.to_hdf5(out), full);
  }
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
  CHECK(fs::is_empty(out));
}

TEST_CASE("A slide with bounds: the grid covers the bounds, coordinates are level-0 of the whole slide",
          "[wsi][extraction]") {
  const TempDir dir;
  const fs::path path = bioptimus::testing::make_tissue_slide(
      dir.path() / "leica.scn", "--size 8192x6144 --leica 1000,600 --truth " + (dir.path() / "truth.pgm").string());
  const Truth truth = bioptimus::testing::read_truth(dir.path() / "truth.pgm");
  const SlideReader slide{path};
  TissueMaskParams params;
  params.min_tissue_area_um2 = 50000.0;
  TileExtractor extractor{tiles_256_at_half_mpp, {.segmentation = params}};
  const std::vector<TileRegion>& regions = extractor.fit(slide).extract();
  REQUIRE(extractor.plan().area() == bioptimus::io::wsi::WSIBounds{.x = 1000, .y = 600, .width = 8192, .height = 6144});
  REQUIRE(regions.size() > 10);
  for (const TileRegion& region : regions) {
    REQUIRE(region.x >= 1000);
    REQUIRE(region.y >= 600);
    // Back in the image's own frame, every kept tile is on tissue.
    const auto [tissue, cells] = truth.count(region.x - 1000, region.y - 600, 512, 512, 255);
    REQUIRE(tissue > 0);
  }
}
