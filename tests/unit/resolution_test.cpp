// MPP, Magnification, Level, MeasurementUnit and Resolution.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "bioptimus/io/wsi/types.hpp"

using namespace bioptimus::io::wsi;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinRel;

namespace {
constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
}  // namespace

TEST_CASE("MPP keeps its value under both accessor names", "[mpp]") {
  const MPP mpp{0.25};
  CHECK(mpp.microns_per_pixel() == 0.25);
  CHECK(mpp.value() == 0.25);
}

TEST_CASE("MPP rejects zero, negative, infinite and NaN values, naming the value", "[mpp][validation]") {
  const auto [bad, shown] = GENERATE(table<double, std::string>({{0.0, "got 0"},
                                                                 {-0.0, "got -0"},
                                                                 {-1.0, "got -1"},
                                                                 {infinity, "got inf"},
                                                                 {-infinity, "got -inf"},
                                                                 {not_a_number, "got nan"}}));
  REQUIRE_THROWS_AS(MPP{bad}, bioptimus::ValidationError);
  REQUIRE_THROWS_WITH(MPP{bad}, Contains("mpp: expected a finite number > 0") && Contains(shown));
}

TEST_CASE("MPP orders finer resolutions first and compares with a tolerance", "[mpp]") {
  CHECK(MPP{0.25} < MPP{0.5});
  CHECK(MPP{0.5} == MPP{0.5});
  CHECK(MPP{0.25}.is_close_to(MPP{0.25000001}));
  CHECK_FALSE(MPP{0.25}.is_close_to(MPP{0.2525}));
  CHECK(MPP{0.25}.is_close_to(MPP{0.2525}, 0.02));
}

TEST_CASE("MPP and Magnification convert by the 10 / x convention", "[mpp][magnification]") {
  CHECK_THAT(approximate_magnification(MPP{0.5}).value(), WithinRel(20.0));
  CHECK_THAT(approximate_magnification(MPP{0.25}).value(), WithinRel(40.0));
  CHECK_THAT(approximate_mpp(Magnification{20}).value(), WithinRel(0.5));
  CHECK_THAT(approximate_mpp(Magnification{10}).value(), WithinRel(1.0));
}

TEST_CASE("Magnification rejects non-positive and non-finite powers", "[magnification][validation]") {
  const double bad = GENERATE(0.0, -20.0, infinity, not_a_number);
  REQUIRE_THROWS_WITH(Magnification{bad}, Contains("magnification: expected a finite number > 0"));
  CHECK(Magnification{40}.value() == 40.0);
  CHECK(Magnification{20} < Magnification{40});
}

TEST_CASE("An MPP so small that 10 / mpp overflows has no magnification", "[mpp][magnification][validation]") {
  REQUIRE_THROWS_AS(approximate_magnification(MPP{1e-320}), bioptimus::ValidationError);
}

TEST_CASE("Level is an index >= 0", "[level][validation]") {
  CHECK(Level{0}.index() == 0);
  CHECK(Level{3}.index() == 3);
  CHECK(Level{0} < Level{1});
  REQUIRE_THROWS_WITH(Level{-1}, Contains("level: expected an index in [0, 2147483647], got -1"));
  // A 64-bit index is range-checked, never truncated to its low 32 bits.
  REQUIRE_THROWS_WITH(Level{(std::int64_t{1} << 32) + 3}, Contains("got 4294967299"));
}

TEST_CASE("MeasurementUnit spells pixels and um, and parses only those", "[unit]") {
  CHECK(to_string(MeasurementUnit::pixels) == "pixels");
  CHECK(to_string(MeasurementUnit::um) == "um");
  CHECK(parse_measurement_unit("um") == MeasurementUnit::um);
  CHECK(parse_measurement_unit("pixels") == MeasurementUnit::pixels);
  CHECK_FALSE(parse_measurement_unit("PIXELS").has_value());
  CHECK_FALSE(parse_measurement_unit("microns").has_value());
}

TEST_CASE("Resolution holds a Level, an MPP or a Magnification", "[resolution]") {
  const Resolution by_mpp = MPP{0.5};
  const Resolution by_level = Level{2};
  const Resolution by_power = Magnification{20};
  CHECK(mpp_of(by_mpp) == MPP{0.5});
  CHECK_FALSE(mpp_of(by_level).has_value());
  CHECK_FALSE(mpp_of(by_power).has_value());
  CHECK(describe(by_mpp) == "0.5 mpp");
  CHECK(describe(by_level) == "level 2");
  CHECK(describe(by_power) == "20x");
}
