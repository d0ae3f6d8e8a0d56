// tests/geometry/openslide_test.cpp
//
// End to end with OpenSlide: each test writes a small Aperio-style slide with
// bioptimus_make_test_slide into its own temporary directory (removed
// afterwards; tests run in parallel), opens it with OpenSlide and checks the
// plan, and runs examples/openslide/openslide_tiles on it when that example
// is built. The slide (see make_test_slide.cpp): 2048 x 1536 px, levels of
// downsample 1, 2 and 8, each one uniform colour; level 1 is RGB (60, 120, 180).
#include <openslide.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "bioptimus/extraction/wsi/tiling.hpp"
#include "bioptimus/io/wsi/slide.hpp"
#include "bioptimus/models/registry.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bioptimus::extraction::wsi;
using bioptimus::io::wsi::Level;
using bioptimus::io::wsi::MPP;
using bioptimus::io::wsi::SlideGeometry;
using bioptimus::io::wsi::WSIDims;
using Catch::Matchers::Contains;

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::random_device entropy;
    for (int attempt = 0; attempt < 100; ++attempt) {
      const fs::path candidate = fs::temp_directory_path() /
                                 ("bioptimus-geometry-" + std::to_string(::getpid()) + "-" + std::to_string(entropy()));
      if (fs::create_directory(candidate)) {
        path_ = candidate;
        return;
      }
    }
    throw std::runtime_error("cannot create a temporary directory");
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  [[nodiscard]] const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

// Runs a shell command; its exit status (-1 when it did not exit normally).
int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

// Writes the test slide into `dir`; extra arguments go to the generator.
fs::path make_slide(const TempDir& dir, const std::string& arguments) {
  const fs::path slide = dir.path() / "slide.svs";
  const int status = run(std::string("'") + BIOPTIMUS_MAKE_TEST_SLIDE + "' " + quoted(slide) + " " + arguments);
  REQUIRE(status == 0);
  return slide;
}

struct SlideCloser {
  void operator()(openslide_t* slide) const noexcept { openslide_close(slide); }
};

// What the example program does with OpenSlide's levels and properties.
SlideGeometry read_geometry(openslide_t* slide) {
  SlideGeometry::Fields fields;
  const char* mpp_x = openslide_get_property_value(slide, OPENSLIDE_PROPERTY_NAME_MPP_X);
  const char* mpp_y = openslide_get_property_value(slide, OPENSLIDE_PROPERTY_NAME_MPP_Y);
  if (mpp_x != nullptr && mpp_y != nullptr) {
    fields.mpp_x = MPP{std::stod(mpp_x)};
    fields.mpp_y = MPP{std::stod(mpp_y)};
  }
  for (std::int32_t level = 0; level < openslide_get_level_count(slide); ++level) {
    WSIDims dims{0, 0};
    openslide_get_level_dimensions(slide, level, &dims.width, &dims.height);
    fields.level_dimensions.push_back(dims);
    fields.level_downsamples.push_back(openslide_get_level_downsample(slide, level));
  }
  return SlideGeometry{fields};
}

}  // namespace

TEST_CASE("OpenSlide opens the generated slide as Aperio, with its MPP and levels", "[openslide]") {
  const TempDir dir;
  const fs::path path = make_slide(dir, "--mpp 0.2525");
  const char* vendor = openslide_detect_vendor(path.c_str());
  REQUIRE(vendor != nullptr);
  REQUIRE(std::string(vendor) == "aperio");
  const std::unique_ptr<openslide_t, SlideCloser> slide(openslide_open(path.c_str()));
  REQUIRE(slide != nullptr);
  REQUIRE(openslide_get_error(slide.get()) == nullptr);
  REQUIRE(std::string(openslide_get_property_value(slide.get(), OPENSLIDE_PROPERTY_NAME_MPP_X)) == "0.2525");
  REQUIRE(std::string(openslide_get_property_value(slide.get(), OPENSLIDE_PROPERTY_NAME_OBJECTIVE_POWER)) == "40");

  const SlideGeometry geometry = read_geometry(slide.get());
  REQUIRE(geometry.mpp_y() == MPP{0.2525});
  REQUIRE(geometry.level_count() == 3);
  REQUIRE(geometry.level_dimensions()[1] == WSIDims{1024, 768});
  REQUIRE(geometry.level_downsamples()[2] == 8.0);  // (2048 / 256 + 1536 / 192) / 2

  // The worked example: level 1, footprint 444, region 222, 4 x 3 tiles.
  const auto& model = bioptimus::models::Registry::builtin().get("h0-mini");
  const TilePlan plan = plan_tiles(model.tile_spec(), geometry);
  REQUIRE(plan.level() == Level{1});
  REQUIRE(plan.region_size() == PixelExtent{.width = 222, .height = 222});
  REQUIRE(plan.size() == 12);

  // Tile 5 (column 1, row 1) read at level 1 is level 1's colour, opaque.
  const Tile tile = plan.tile(5);
  REQUIRE(tile.x == 444);
  REQUIRE(tile.y == 444);
  std::vector<std::uint32_t> pixels(222 * 222);
  openslide_read_region(slide.get(), pixels.data(), tile.x, tile.y, plan.level().index(), 222, 222);
  REQUIRE(openslide_get_error(slide.get()) == nullptr);
  REQUIRE(pixels.front() == 0xff3c78b4U);  // A 255, R 60, G 120, B 180
  REQUIRE(pixels.back() == 0xff3c78b4U);
}

#ifdef BIOPTIMUS_OPENSLIDE_TILES

namespace {

struct Output {
  int status = -1;
  std::map<std::string, std::string> values;  // `key: value` lines
  std::string errors;
};

// Runs the example on `slide` with `arguments`, collecting its report.
Output run_example(const TempDir& dir, const fs::path& slide, const std::string& arguments) {
  const fs::path out = dir.path() / "out.txt";
  const fs::path err = dir.path() / "err.txt";
  Output output;
  output.status = run(std::string("'") + BIOPTIMUS_OPENSLIDE_TILES + "' " + quoted(slide) + " " + arguments + " >" +
                      quoted(out) + " 2>" + quoted(err));
  std::ifstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(": ");
    if (colon != std::string::npos) {
      output.values[line.substr(0, colon)] = line.substr(colon + 2);
    }
  }
  std::stringstream text;
  text << std::ifstream(err).rdbuf();
  output.errors = text.str();
  return output;
}

}  // namespace

TEST_CASE("openslide_tiles on a 0.2525 mpp slide reads level 1", "[openslide][example]") {
  const TempDir dir;
  const Output output = run_example(dir, make_slide(dir, "--mpp 0.2525"), "h0-mini --tiles 3");
  INFO(output.errors);
  REQUIRE(output.status == 0);
  REQUIRE(output.values.at("vendor") == "aperio");
  REQUIRE(output.values.at("slide mpp") == "0.2525 x 0.2525");
  // d = 0.5 / 0.2525 = 1.9802; level 1 (2 <= 1.9802 * 1.01 = 2.0); footprint
  // round(224 * 1.9802) = 444; region round(443.56 / 2) = 222 -> 224; grid
  // (2048 - 444) / 444 + 1 = 4 by (1536 - 444) / 444 + 1 = 3.
  REQUIRE(output.values.at("target downsample") == "1.9802 x 1.9802");
  REQUIRE(output.values.at("level") == "1");
  REQUIRE(output.values.at("region") == "222x222");
  REQUIRE(output.values.at("resize") == "222x222 -> 224x224 (upsample)");
  REQUIRE(output.values.at("footprint") == "444x444");
  REQUIRE(output.values.at("grid") == "4x3");
  REQUIRE(output.values.at("tiles") == "12");
  // 3 tiles of 222 * 222 = 49284 px: 147852 px, all of level 1's colour.
  REQUIRE(output.values.at("read") == "3 tiles, 147852 opaque and 0 padding pixels");
  REQUIRE(output.values.at("mean rgb") == "60.000 120.000 180.000");
  REQUIRE(output.values.at("mean") == "120.000");
}

TEST_CASE("openslide_tiles on a 0.2431 mpp slide downsamples level 1", "[openslide][example]") {
  const TempDir dir;
  const Output output = run_example(dir, make_slide(dir, "--mpp 0.2431"), "h0-mini --tiles 2");
  INFO(output.errors);
  REQUIRE(output.status == 0);
  // d = 0.5 / 0.2431 = 2.0568; level 1; footprint round(460.716) = 461;
  // region round(230.358) = 230 -> 224; grid (2048 - 461) / 461 + 1 = 4 by
  // (1536 - 461) / 461 + 1 = 3.
  REQUIRE(output.values.at("level") == "1");
  REQUIRE(output.values.at("region") == "230x230");
  REQUIRE(output.values.at("resize") == "230x230 -> 224x224 (downsample)");
  REQUIRE(output.values.at("footprint") == "461x461");
  REQUIRE(output.values.at("tiles") == "12");
  REQUIRE(output.values.at("mean rgb") == "60.000 120.000 180.000");
}

TEST_CASE("openslide_tiles refuses a slide without MPP unless overridden", "[openslide][example]") {
  const TempDir dir;
  const fs::path slide = make_slide(dir, "--no-mpp");
  const Output refused = run_example(dir, slide, "h0-mini");
  REQUIRE(refused.status == 1);
  REQUIRE_THAT(refused.errors, Contains("slide.mpp") && Contains("mpp_override"));

  // Override 0.25: d = 2, level 1 (downsample 2) read as is: region 224, no
  // resize; footprint 448; grid (2048 - 448) / 448 + 1 = 4 by (1536 - 448) / 448 + 1 = 3.
  const Output overridden = run_example(dir, slide, "h0-mini --mpp-override 0.25 --tiles 1");
  INFO(overridden.errors);
  REQUIRE(overridden.status == 0);
  REQUIRE(overridden.values.at("slide mpp") == "unknown x unknown");
  REQUIRE(overridden.values.at("mpp used") == "0.25 x 0.25 (override)");
  REQUIRE(overridden.values.at("level") == "1");
  REQUIRE(overridden.values.at("resize") == "224x224 -> 224x224 (none)");
  REQUIRE(overridden.values.at("footprint") == "448x448");
  REQUIRE(overridden.values.at("tiles") == "12");
  REQUIRE(overridden.values.at("mean rgb") == "60.000 120.000 180.000");
}

TEST_CASE("openslide_tiles pads partial edge tiles", "[openslide][example]") {
  const TempDir dir;
  const Output output = run_example(dir, make_slide(dir, "--mpp 0.2525"), "h0-mini --partial pad --tiles 20");
  INFO(output.errors);
  REQUIRE(output.status == 0);
  // pad: 4 * 444 = 1776 < 2048 and 3 * 444 = 1332 < 1536 add one column and
  // one row: 5 x 4 = 20 tiles.
  REQUIRE(output.values.at("grid") == "5x4");
  REQUIRE(output.values.at("tiles") == "20");
  // All 20 regions of 222 x 222 at level 1 (stride 444 / 2 = 222, no overlap)
  // tile level 1's 1024 x 768 exactly once, the rest is padding:
  // 20 * 49284 = 985680 px read, 1024 * 768 = 786432 opaque, 199248 padding.
  REQUIRE(output.values.at("read") == "20 tiles, 786432 opaque and 199248 padding pixels");
  REQUIRE(output.values.at("mean rgb") == "60.000 120.000 180.000");
}

#endif  // BIOPTIMUS_OPENSLIDE_TILES
