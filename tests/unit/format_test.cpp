// The {fmt} formatters of bioptimus/format.hpp.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "bioptimus/format.hpp"
#include "bioptimus/models/registry.hpp"

using namespace bioptimus::io::wsi;
using namespace bioptimus::models;

TEST_CASE("Resolutions format with their unit", "[format]") {
  CHECK(fmt::format("{}", MPP{0.5}) == "0.5 mpp");
  CHECK(fmt::format("{}", Level{2}) == "level 2");
  CHECK(fmt::format("{}", Magnification{40}) == "40x");
  CHECK(fmt::format("{}", Resolution{MPP{0.25}}) == "0.25 mpp");
}

TEST_CASE("Enums format as their YAML spelling and honour width and alignment", "[format]") {
  CHECK(fmt::format("{}", OutputType::cls_patch_mean) == "cls+patch_mean");
  CHECK(fmt::format("[{:>6}]", Precision::fp16) == "[  fp16]");
  CHECK(fmt::format("[{:<5}]", ColorSpace::rgb) == "[RGB  ]");
  CHECK(fmt::format("{}", MeasurementUnit::um) == "um");
  CHECK(fmt::format("{}", Models::uni2_h) == "uni2-h");
}

TEST_CASE("Tiles and specs format readably", "[format]") {
  const ModelSpec& spec = Registry::builtin().get(Models::h0_mini);
  CHECK(fmt::format("{}", spec) == "h0-mini@1.0.0");
  CHECK(fmt::format("{}", spec.tile_spec()) == "224x224 px at 0.5 mpp, stride 224x224 px");
  CHECK(fmt::format("{}", spec.tile_size_pixels()) == "224x224 px");
  CHECK(fmt::format("{:>16}", spec) == "   h0-mini@1.0.0");
}
