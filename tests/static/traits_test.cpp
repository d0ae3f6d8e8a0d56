// Type properties, pinned at compile time: this file compiling is the test.
#include <catch2/catch.hpp>

#include <concepts>
#include <type_traits>

#include "bioptimus/extraction/wsi/types.hpp"
#include "bioptimus/io/wsi/types.hpp"
#include "bioptimus/models/types.hpp"

using namespace bioptimus::io::wsi;
using bioptimus::extraction::wsi::TileSpec;
using bioptimus::models::ModelSpec;

// Physical quantities are never built from or turned into a bare number implicitly.
static_assert(!std::is_convertible_v<double, MPP>);
static_assert(!std::is_convertible_v<MPP, double>);
static_assert(!std::is_convertible_v<double, Magnification>);
static_assert(!std::is_convertible_v<int, Level>);
static_assert(!std::is_constructible_v<Level, double>);  // no silent truncation
static_assert(std::is_constructible_v<MPP, double>);

// No default where none makes sense.
static_assert(!std::is_default_constructible_v<MPP>);
static_assert(!std::is_default_constructible_v<Magnification>);
static_assert(!std::is_default_constructible_v<Level>);
static_assert(!std::is_default_constructible_v<Resolution>);
static_assert(!std::is_default_constructible_v<TileSpec>);
static_assert(!std::is_default_constructible_v<ModelSpec>);
static_assert(!std::is_default_constructible_v<TileSpec::Fields>);

// Constructors from fields are explicit.
static_assert(!std::is_convertible_v<TileSpec::Fields, TileSpec>);
static_assert(!std::is_convertible_v<ModelSpec::Fields, ModelSpec>);

// Small values are trivially copyable, to be passed by value.
static_assert(std::is_trivially_copyable_v<MPP>);
static_assert(std::is_trivially_copyable_v<Magnification>);
static_assert(std::is_trivially_copyable_v<Level>);
static_assert(std::is_trivially_copyable_v<TileSpec>);
static_assert(sizeof(MPP) == sizeof(double));

// Values are regular: copyable, assignable, comparable.
static_assert(std::copyable<TileSpec> && std::equality_comparable<TileSpec>);
static_assert(std::copyable<ModelSpec> && std::equality_comparable<ModelSpec>);
static_assert(std::totally_ordered<MPP> && std::totally_ordered<Level> && std::totally_ordered<Magnification>);

// Scoped enums only.
static_assert(!std::is_convertible_v<MeasurementUnit, int>);
static_assert(!std::is_convertible_v<bioptimus::models::OutputType, int>);
static_assert(!std::is_convertible_v<bioptimus::models::Models, int>);

TEST_CASE("Type properties are pinned by static_assert", "[static]") {
  // The assertions above are the test; this case makes the file part of the run.
  STATIC_REQUIRE(std::is_nothrow_copy_constructible_v<TileSpec>);
}
