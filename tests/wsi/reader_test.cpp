// SlideReader on generated slides: properties and MPP sources, regions by
// Level / MPP / Magnification (the resized one against openslide-python +
// Pillow), errors that name the slide, moves and concurrent reads.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "bioptimus/image/resize.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "temp_dir.hpp"
#include "wsi_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bioptimus::io::wsi;
using bioptimus::testing::TempDir;
using Catch::Matchers::Contains;

// The small slide: 4096 x 3072 at 0.25 um/px; blob 0 is centred at
// (0.22, 0.30) of the slide, the top-left corner is background.
constexpr std::int64_t width = 4096;
constexpr std::int64_t height = 3072;
constexpr double blob_x = 0.22 * width;
constexpr double blob_y = 0.30 * height;

fs::path small_slide(const TempDir& dir, const std::string& arguments = "", const std::string& name = "slide.tif") {
  return bioptimus::testing::make_tissue_slide(dir.path() / name, "--size 4096x3072 " + arguments);
}

bool all_white(const bioptimus::image::Image& image) {
  for (const std::uint8_t value : image.bytes()) {
    if (value != 255) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("An Aperio slide: levels, MPP with its source, objective power, vendor", "[wsi][reader]") {
  const TempDir dir;
  const SlideReader slide{small_slide(dir)};
  const SlideProperties& props = slide.properties();
  REQUIRE(props.vendor == "aperio");
  REQUIRE(slide.name() == "slide");
  REQUIRE(SlideReader{slide.path(), {.name = "patient-7"}}.name() == "patient-7");
  REQUIRE_THROWS_WITH((SlideReader{slide.path(), {.name = "../x"}}), Contains("is not a file name"));
  REQUIRE(slide.level_count() == 3);
  REQUIRE(props.level_dimensions[0] == WSIDims{.width = 4096, .height = 3072});
  REQUIRE(props.level_dimensions[1] == WSIDims{.width = 1024, .height = 768});
  REQUIRE(slide.level_downsample(Level{2}) == Approx(16.0));
  REQUIRE(props.mpp.has_value());
  REQUIRE(props.mpp->x == MPP{0.25});
  REQUIRE(props.mpp->source == "openslide.mpp-x/openslide.mpp-y");
  REQUIRE(props.objective_power == 40.0);
  REQUIRE_FALSE(props.bounds.has_value());
  REQUIRE(props.all.at("aperio.MPP") == "0.25");

  const SlideGeometry geometry = slide.geometry();
  REQUIRE(geometry.mpp_x() == MPP{0.25});
  REQUIRE(geometry.level_count() == 3);
  REQUIRE(geometry.dimensions() == WSIDims{.width = 4096, .height = 3072});
  REQUIRE(slide.dimensions(true) == slide.dimensions());  // no bounds: the whole slide
  REQUIRE_THROWS_MATCHES(slide.level_dimensions(Level{3}), SlideError,
                         Catch::Message(slide.path().string() + ": no level 3 (the slide has 3)"));
}

TEST_CASE("read_region by Level reads that level: white background, tissue inside a blob", "[wsi][reader]") {
  const TempDir dir;
  const SlideReader slide{small_slide(dir)};
  const Region corner = slide.read_region({.x = 0, .y = 0}, {.width = 32, .height = 16}, Level{1});
  REQUIRE(corner.image.width() == 32);
  REQUIRE(corner.image.height() == 16);
  REQUIRE(corner.image.format() == bioptimus::image::PixelFormat::rgb8);
  REQUIRE(all_white(corner.image));
  REQUIRE(corner.spec.level == Level{1});
  REQUIRE(corner.spec.footprint == WSIDims{.width = 128, .height = 64});

  const Region tissue = slide.read_region({.x = blob_x, .y = blob_y}, {.width = 16, .height = 16}, Level{0});
  REQUIRE_FALSE(all_white(tissue.image));
  REQUIRE(tissue.spec.x == static_cast<std::int64_t>(blob_x + 0.5));

  // Into the caller's buffer: OpenSlide's own pixels, and only those.
  bioptimus::image::Image argb(16, 16, bioptimus::image::PixelFormat::argb32_premultiplied);
  slide.read_level_into(Level{0}, static_cast<std::int64_t>(blob_x + 0.5), static_cast<std::int64_t>(blob_y + 0.5),
                        argb.mutable_view());
  REQUIRE(bioptimus::image::to_rgb8(argb.view()) == tissue.image);
  bioptimus::image::Image rgb(16, 16, bioptimus::image::PixelFormat::rgb8);
  REQUIRE_THROWS_WITH(slide.read_level_into(Level{0}, 0, 0, rgb.mutable_view()),
                      Contains(slide.path().string()) && Contains("argb32_premultiplied destination"));

  // Beyond the slide: OpenSlide's transparent pixels come back white.
  const Region outside = slide.read_region({.x = width - 8, .y = 0}, {.width = 16, .height = 4}, Level{0});
  REQUIRE(all_white(outside.image));
}

TEST_CASE("read_region by MPP: an exact level is read as it is, else resized like Pillow", "[wsi][reader]") {
  const TempDir dir;
  const fs::path path = small_slide(dir);
  const SlideReader slide{path};
  const RegionLocation at{.x = blob_x - 100, .y = blob_y - 60};

  // 1 um/px is level 1 (downsample 4) exactly; 10x is 1 um/px too.
  const Region level1 = slide.read_region(at, {.width = 50, .height = 40}, MPP{1.0});
  REQUIRE(level1.spec.level == Level{1});
  REQUIRE(level1.spec.level_size == WSIDims{.width = 50, .height = 40});
  REQUIRE(level1.image == slide.read_region(at, {.width = 50, .height = 40}, Level{1}).image);
  REQUIRE(level1.image == slide.read_region(at, {.width = 50, .height = 40}, Magnification{10}).image);
  // Microns: 50 x 40 um at 1 um/px is the same region.
  REQUIRE(level1.image == slide
                              .read_region({.x = at.x * 0.25, .y = at.y * 0.25}, {.width = 50, .height = 40}, MPP{1.0},
                                           MeasurementUnit::um)
                              .image);

  // 0.5 um/px: level 0, 2 x 2 pixels per output pixel, bicubic as Pillow.
  const Region half = slide.read_region(at, {.width = 64, .height = 48}, MPP{0.5});
  REQUIRE(half.spec.level == Level{0});
  REQUIRE(half.spec.level_size == WSIDims{.width = 128, .height = 96});
  const fs::path expected = dir.path() / "expected.rgb";
  const std::string script =
      "import openslide, sys\n"
      "s = openslide.OpenSlide(sys.argv[1])\n"
      "r = s.read_region((int(sys.argv[2]), int(sys.argv[3])), 0, (128, 96)).convert('RGB')\n"
      "from PIL import Image\n"
      "open(sys.argv[4], 'wb').write(r.resize((64, 48), Image.BICUBIC).tobytes())\n";
  const fs::path script_file = dir.write("expected.py", script);
  REQUIRE(bioptimus::testing::run("/usr/bin/python3 " + bioptimus::testing::quoted(script_file) + " " +
                                  bioptimus::testing::quoted(path) + " " + std::to_string(half.spec.x) + " " +
                                  std::to_string(half.spec.y) + " " + bioptimus::testing::quoted(expected)) == 0);
  std::ifstream in(expected, std::ios::binary);
  const std::vector<std::uint8_t> pillow{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::vector<std::uint8_t> ours(half.image.bytes().begin(), half.image.bytes().end());
  REQUIRE(pillow.size() == ours.size());
  REQUIRE(pillow == ours);
}

TEST_CASE("A slide without MPP opens, and operations that need one ask for an override", "[wsi][reader]") {
  const TempDir dir;
  const fs::path path = small_slide(dir, "--no-mpp");
  const SlideReader slide{path};
  REQUIRE_FALSE(slide.properties().mpp.has_value());
  REQUIRE_FALSE(slide.geometry().has_mpp());
  REQUIRE(slide.read_region({.x = 0, .y = 0}, {.width = 8, .height = 8}, Level{0}).image.width() == 8);
  REQUIRE_THROWS_WITH(slide.read_region({.x = 0, .y = 0}, {.width = 8, .height = 8}, MPP{0.5}),
                      Contains(path.string()) && Contains("has no MPP") && Contains("MPP override"));
  REQUIRE_THROWS_AS(slide.require_mpp_x(), SlideMppError);
  REQUIRE_FALSE(slide.properties().unusable_mpp.has_value());

  const SlideReader overridden{path, {.mpp_override = MPP{0.25}}};
  REQUIRE(overridden.mpp_x() == MPP{0.25});
  REQUIRE(overridden.read_region({.x = 0, .y = 0}, {.width = 8, .height = 8}, MPP{1.0}).spec.level == Level{1});
}

TEST_CASE("A slide whose MPP is present but unusable is told so, not that it has none", "[wsi][reader]") {
  const TempDir dir;
  for (const std::string value : {"-1", "0", "1e-5", "inf"}) {
    const fs::path path = small_slide(dir, "--mpp " + value, "unusable.tif");
    const SlideReader slide{path};
    CAPTURE(value);
    REQUIRE_FALSE(slide.properties().mpp.has_value());
    REQUIRE(slide.properties().unusable_mpp.has_value());
    REQUIRE_THROWS_AS(slide.require_mpp_x(), SlideMppError);
    REQUIRE_THROWS_WITH(slide.require_mpp_x(), Contains(path.string()) && Contains("the slide's MPP is unusable: ") &&
                                                   Contains("(expected microns per pixel in [0.001, 100000])") &&
                                                   !Contains("has no MPP"));
    REQUIRE_THROWS_WITH(slide.read_region({.x = 0, .y = 0}, {.width = 8, .height = 8}, MPP{0.5}), Contains("unusable"));
    const SlideReader overridden{path, {.mpp_override = MPP{0.25}}};
    REQUIRE(overridden.require_mpp_x() == MPP{0.25});
    fs::remove(path);
  }
}

TEST_CASE("A single-level generic TIFF: the MPP comes from the resolution tags", "[wsi][reader]") {
  const TempDir dir;
  const SlideReader slide{small_slide(dir, "--generic")};
  REQUIRE(slide.properties().vendor == "generic-tiff");
  REQUIRE(slide.level_count() == 1);
  REQUIRE(slide.properties().mpp.has_value());
  REQUIRE(slide.properties().mpp->source == "tiff.XResolution/tiff.YResolution");
  REQUIRE(slide.properties().mpp->x.value() == Approx(0.25).epsilon(1e-5));
  REQUIRE_FALSE(slide.properties().objective_power.has_value());
  // 1 um/px needs a resize from level 0.
  const Region region = slide.read_region({.x = 0, .y = 0}, {.width = 10, .height = 10}, MPP{1.0});
  REQUIRE(region.spec.level == Level{0});
  REQUIRE(region.spec.level_size == WSIDims{.width = 40, .height = 40});
  REQUIRE(all_white(region.image));
}

TEST_CASE("Missing, foreign and truncated files are SlideErrors naming the slide", "[wsi][reader]") {
  const TempDir dir;
  const fs::path missing = dir.path() / "missing.svs";
  REQUIRE_THROWS_MATCHES(SlideReader{missing}, SlideError,
                         Catch::Message(missing.string() + ": cannot open slide: no such file"));
  const fs::path text = dir.write("notes.svs", "not a slide\n");
  REQUIRE_THROWS_WITH(SlideReader{text}, Contains(text.string()) && Contains("not a format OpenSlide reads"));

  // Cut a slide after its first level's tile data: the directories that
  // describe it are gone or point past the end.
  const fs::path whole = small_slide(dir, "", "whole.tif");
  const fs::path cut = dir.path() / "cut.tif";
  fs::copy_file(whole, cut);
  fs::resize_file(cut, fs::file_size(whole) / 2);
  bool reported = false;
  try {
    const SlideReader slide{cut};
    for (std::int32_t level = 0; level < static_cast<std::int32_t>(slide.level_count()); ++level) {
      const WSIDims dims = slide.level_dimensions(Level{level});
      (void)slide.read_level(Level{level}, 0, 0, dims);
    }
  } catch (const SlideError& error) {
    reported = std::string(error.what()).find(cut.string()) == 0;
  }
  REQUIRE(reported);
}

TEST_CASE("A corrupt tile is a SlideError naming the slide and the region read", "[wsi][reader]") {
  const TempDir dir;
  const fs::path path = small_slide(dir);
  // Overwrite the middle of the file, which holds level 0's tile data.
  const auto size = static_cast<std::streamoff>(fs::file_size(path));
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(size / 3);
    const std::string garbage(static_cast<std::size_t>(size / 10), '\xa5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  const SlideReader slide{path};
  REQUIRE_THROWS_WITH(slide.read_level(Level{0}, 0, 0, slide.level_dimensions(Level{0})),
                      Contains(path.string() + ": cannot read region at level-0 (0, 0), 4096 x 3072 px of level 0: "));
}

TEST_CASE("Readers move, and read the same pixels from several threads", "[wsi][reader]") {
  const TempDir dir;
  SlideReader first{small_slide(dir)};
  SlideReader slide = std::move(first);
  const RegionLocation at{.x = blob_x, .y = blob_y};
  const Region expected = slide.read_region(at, {.width = 64, .height = 64}, MPP{0.5});
  std::vector<int> same(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < same.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        same[t] += slide.read_region(at, {.width = 64, .height = 64}, MPP{0.5}).image == expected.image ? 1 : 0;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  REQUIRE(same == std::vector<int>(4, 5));
}

TEST_CASE("A slide with openslide.bounds-* (Leica SCN): bounded sizes and reads are relative to the bounds",
          "[wsi][reader]") {
  const TempDir dir;
  const SlideReader slide{small_slide(dir, "--leica 1200,800", "leica.scn")};
  const SlideProperties& props = slide.properties();
  REQUIRE(props.vendor == "leica");
  REQUIRE(props.bounds == WSIBounds{.x = 1200, .y = 800, .width = 4096, .height = 3072});
  REQUIRE(slide.geometry().bounds() == props.bounds);
  REQUIRE(slide.dimensions() == WSIDims{.width = 1200 + 4096 + 1000, .height = 800 + 3072 + 1000});
  REQUIRE(slide.dimensions(true) == WSIDims{.width = 4096, .height = 3072});
  REQUIRE(slide.level_dimensions(Level{1}, true) == WSIDims{.width = 1024, .height = 768});
  REQUIRE(props.mpp->source == "openslide.mpp-x/openslide.mpp-y");
  REQUIRE(props.objective_power == 40.0);

  const Region bounded = slide.read_region({.x = blob_x, .y = blob_y}, {.width = 24, .height = 24}, Level{0},
                                           MeasurementUnit::pixels, true);
  REQUIRE(bounded.spec.x == 1200 + static_cast<std::int64_t>(blob_x + 0.5));
  REQUIRE_FALSE(all_white(bounded.image));
  REQUIRE(bounded.image ==
          slide
              .read_region({.x = static_cast<double>(bounded.spec.x), .y = static_cast<double>(bounded.spec.y)},
                           {.width = 24, .height = 24}, Level{0})
              .image);
}
