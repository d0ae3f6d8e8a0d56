// tests/geometry/slide_geometry_test.cpp
//
// SlideGeometry: accessors of a valid slide and every validation rule, each
// checked to fail alone and named in the message.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/io/wsi/slide.hpp"

namespace {

using bioptimus::ValidationError;
using bioptimus::io::wsi::MPP;
using bioptimus::io::wsi::SlideGeometry;
using bioptimus::io::wsi::WSIBounds;
using bioptimus::io::wsi::WSIDims;
using Catch::Matchers::Contains;

// A valid three-level slide; each test breaks one field.
SlideGeometry::Fields valid_fields() {
  return {.mpp_x = MPP{0.2525},
          .mpp_y = MPP{0.2525},
          .level_dimensions = {{2048, 1536}, {1024, 768}, {256, 192}},
          .level_downsamples = {1.0, 2.0, 8.0},
          .bounds = std::nullopt};
}

}  // namespace

TEST_CASE("SlideGeometry keeps what it was given", "[slide]") {
  SlideGeometry::Fields fields = valid_fields();
  fields.bounds = WSIBounds{100, 200, 1000, 800};
  const SlideGeometry slide{fields};
  REQUIRE(slide.has_mpp());
  REQUIRE(slide.mpp_x() == MPP{0.2525});
  REQUIRE(slide.mpp_y() == MPP{0.2525});
  REQUIRE(slide.level_count() == 3);
  REQUIRE(slide.level_dimensions()[2] == WSIDims{256, 192});
  REQUIRE(slide.level_downsamples()[1] == 2.0);
  REQUIRE(slide.dimensions() == WSIDims{2048, 1536});
  REQUIRE(slide.bounds() == WSIBounds{100, 200, 1000, 800});
  REQUIRE(slide.full_extent() == WSIBounds{0, 0, 2048, 1536});
  REQUIRE(slide == SlideGeometry{fields});
  REQUIRE_FALSE(slide == SlideGeometry{valid_fields()});  // differs by the bounds only
}

TEST_CASE("SlideGeometry may have no MPP", "[slide]") {
  SlideGeometry::Fields fields = valid_fields();
  fields.mpp_x = std::nullopt;
  fields.mpp_y = std::nullopt;
  const SlideGeometry slide{fields};
  REQUIRE_FALSE(slide.has_mpp());
  REQUIRE_FALSE(slide.mpp_x().has_value());
}

TEST_CASE("SlideGeometry wants both MPP axes or neither", "[slide]") {
  SlideGeometry::Fields fields = valid_fields();
  fields.mpp_y = std::nullopt;
  REQUIRE_THROWS_WITH(SlideGeometry{fields},
                      Contains("mpp_y: expected both mpp_x and mpp_y or neither, got only mpp_x = 0.2525"));
  fields = valid_fields();
  fields.mpp_x = std::nullopt;
  REQUIRE_THROWS_WITH(SlideGeometry{fields}, Contains("mpp_x: expected both"));
}

TEST_CASE("SlideGeometry level-0 downsample within 1e-6 of 1 is stored as 1", "[slide]") {
  SlideGeometry::Fields fields = valid_fields();
  fields.level_downsamples[0] = 1.0000005;  // 5e-7 from 1: inside the tolerance
  REQUIRE(SlideGeometry{fields}.level_downsamples()[0] == 1.0);
  fields.level_downsamples[0] = 1.00001;  // 1e-5 from 1: outside
  REQUIRE_THROWS_WITH(SlideGeometry{fields},
                      Contains("level_downsamples[0]: expected 1 for level 0 (within a relative 1e-6), got 1.00001"));
}

TEST_CASE("SlideGeometry level checks", "[slide]") {
  SlideGeometry::Fields fields = valid_fields();
  SECTION("no level") {
    fields.level_dimensions.clear();
    fields.level_downsamples.clear();
    REQUIRE_THROWS_WITH(SlideGeometry{fields}, Contains("level_dimensions: expected 1 to 32 levels, got 0"));
  }
  SECTION("33 levels") {
    fields.level_dimensions.assign(33, WSIDims{16, 16});
    fields.level_downsamples.assign(33, 1.0);
    REQUIRE_THROWS_WITH(SlideGeometry{fields}, Contains("expected 1 to 32 levels, got 33"));
  }
  SECTION("32 levels are fine") {
    fields.level_dimensions.assign(32, WSIDims{16, 16});
    fields.level_downsamples.assign(32, 1.0);
    REQUIRE(SlideGeometry{fields}.level_count() == 32);
  }
  SECTION("one downsample per level") {
    fields.level_downsamples.pop_back();
    REQUIRE_THROWS_WITH(SlideGeometry{fields},
                        Contains("level_downsamples: expected one downsample per level (3), got 2"));
  }
  SECTION("zero width") {
    fields.level_dimensions[1].width = 0;
    REQUIRE_THROWS_WITH(SlideGeometry{fields},
                        Contains("level_dimensions[1]: expected width and height in [1, 1099511627776], got 0 x 768"));
  }
  SECTION("negative height") {
    fields.level_dimensions[2].height = -192;
    REQUIRE_THROWS_WITH(SlideGeometry{fields}, Contains("level_dimensions[2]"));
  }
  SECTION("over 2^40 px") {
    fields.level_dimensions[0].width = (std::int64_t{1} << 40) + 1;
    REQUIRE_THROWS_WITH(SlideGeometry{fields}, Contains("got 1099511627777 x 1536"));
  }
  SECTION("downsample below 1") {
    fields.level_downsamples[1] = 0.5;
    REQUIRE_THROWS_WITH(SlideGeometry{fields},
                        Contains("level_downsamples[1]: expected a finite number >= 1, got 0.5"));
  }
  SECTION("downsample NaN") {
    fields.level_downsamples[2] = std::numeric_limits<double>::quiet_NaN();
    REQUIRE_THROWS_WITH(SlideGeometry{fields},
                        Contains("level_downsamples[2]: expected a finite number >= 1, got nan"));
  }
  SECTION("downsamples decrease") {
    fields.level_downsamples = {1.0, 8.0, 2.0};
    REQUIRE_THROWS_WITH(SlideGeometry{fields},
                        Contains("level_downsamples[2]: expected downsamples that never decrease (>= 8 of level 1), "
                                 "got 2"));
  }
  SECTION("equal downsamples are fine") {
    fields.level_downsamples = {1.0, 2.0, 2.0};
    REQUIRE(SlideGeometry{fields}.level_downsamples()[2] == 2.0);
  }
}

TEST_CASE("SlideGeometry bounds lie inside level 0", "[slide]") {
  SlideGeometry::Fields fields = valid_fields();
  SECTION("the whole slide is fine") {
    fields.bounds = WSIBounds{0, 0, 2048, 1536};
    REQUIRE(SlideGeometry{fields}.bounds() == WSIBounds{0, 0, 2048, 1536});
  }
  SECTION("zero height") {
    fields.bounds = WSIBounds{0, 0, 10, 0};
    REQUIRE_THROWS_WITH(SlideGeometry{fields}, Contains("bounds: expected width and height > 0, got x 0, y 0, 10 x 0"));
  }
  SECTION("one pixel too wide") {
    fields.bounds = WSIBounds{1, 0, 2048, 1536};  // 1 + 2048 = 2049 > 2048
    REQUIRE_THROWS_WITH(
        SlideGeometry{fields},
        Contains("bounds: expected a rectangle inside level 0 (2048 x 1536), got x 1, y 0, 2048 x 1536"));
  }
  SECTION("negative origin") {
    fields.bounds = WSIBounds{0, -1, 10, 10};
    REQUIRE_THROWS_WITH(SlideGeometry{fields}, Contains("bounds: expected a rectangle inside level 0"));
  }
  SECTION("an origin whose sum with the width would overflow") {
    fields.bounds = WSIBounds{std::numeric_limits<std::int64_t>::max() - 5, 0, 10, 10};
    REQUIRE_THROWS_WITH(SlideGeometry{fields}, Contains("bounds: expected a rectangle inside level 0"));
  }
}

TEST_CASE("SlideGeometry reports every violation at once", "[slide]") {
  SlideGeometry::Fields fields = valid_fields();
  fields.mpp_y = std::nullopt;              // 1
  fields.level_dimensions[0].height = 0;    // 2
  fields.level_downsamples[1] = 0.5;        // 3
  fields.bounds = WSIBounds{0, 0, -1, 10};  // 4
  try {
    const SlideGeometry slide{fields};
    FAIL("expected a ValidationError");
  } catch (const ValidationError& error) {
    REQUIRE(error.type_name() == "SlideGeometry");
    REQUIRE(error.violations().size() == 4);
    REQUIRE(error.violations()[0].field == "mpp_y");
    REQUIRE(error.violations()[1].field == "level_dimensions[0]");
    REQUIRE(error.violations()[2].field == "level_downsamples[1]");
    REQUIRE(error.violations()[3].field == "bounds");
  }
}
