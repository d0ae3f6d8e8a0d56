// The value types at compile time. Built twice: with STATIC_REQUIRE checked by
// the compiler, and (relaxed_constexpr_test) at run time for debugging.
#include <catch2/catch.hpp>

#include "bioptimus/extraction/wsi/types.hpp"
#include "bioptimus/io/wsi/types.hpp"
#include "bioptimus/models/types.hpp"

using namespace bioptimus::io::wsi;
using bioptimus::extraction::wsi::Extent;
using bioptimus::extraction::wsi::PixelExtent;
using bioptimus::extraction::wsi::TileSpec;
namespace models = bioptimus::models;

namespace {
constexpr TileSpec twenty_x{{.size = {224, 224}, .stride = {112, 112}, .resolution = MPP{0.5}}};
constexpr TileSpec microns{{.size = {112, 56}, .resolution = MPP{0.5}, .unit = MeasurementUnit::um}};
}  // namespace

TEST_CASE("Resolutions are usable in constant expressions", "[constexpr]") {
  STATIC_REQUIRE(MPP{0.25} < MPP{0.5});
  STATIC_REQUIRE(MPP{0.5}.microns_per_pixel() == 0.5);
  STATIC_REQUIRE(approximate_magnification(MPP{0.5}).value() == 20.0);
  STATIC_REQUIRE(Level{2}.index() == 2);
  STATIC_REQUIRE(mpp_of(Resolution{MPP{0.5}}) == MPP{0.5});
  STATIC_REQUIRE(!MPP::is_valid(0.0));
  STATIC_REQUIRE(!Level::is_valid(-1));
}

TEST_CASE("TileSpec derived values are constant expressions", "[constexpr]") {
  STATIC_REQUIRE(twenty_x.size_pixels() == PixelExtent{.width = 224, .height = 224});
  STATIC_REQUIRE(twenty_x.overlap_pixels() == PixelExtent{.width = 112, .height = 112});
  STATIC_REQUIRE(twenty_x.size_microns() == Extent{112, 112});
  STATIC_REQUIRE(microns.size_pixels() == PixelExtent{.width = 224, .height = 112});
  STATIC_REQUIRE(twenty_x.scale_to_reference(0.5, MPP{0.5}).size_pixels() == PixelExtent{.width = 448, .height = 448});
}

TEST_CASE("Spellings convert both ways at compile time", "[constexpr]") {
  STATIC_REQUIRE(to_string(MeasurementUnit::um) == "um");
  STATIC_REQUIRE(parse_measurement_unit("pixels") == MeasurementUnit::pixels);
  STATIC_REQUIRE(models::parse_output_type("cls+patch_mean") == models::OutputType::cls_patch_mean);
  STATIC_REQUIRE(models::parse_model("h0-mini") == models::Models::h0_mini);
  STATIC_REQUIRE(models::ModelSpec::is_valid_model_name("h-optimus-0"));
  STATIC_REQUIRE(models::ModelSpec::is_valid_version("1.0.0-rc.1+build.5"));
  STATIC_REQUIRE(!models::ModelSpec::is_valid_version("1.0"));
}
