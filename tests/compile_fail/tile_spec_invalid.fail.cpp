// Claim (bioptimus/error.hpp, tile_spec.hpp): a TileSpec that breaks an
// invariant is a compile error in a constant expression.
// clang-format off
// CASE ZERO_WIDTH: throw_validation_error
// CASE FRACTIONAL_PIXELS: throw_validation_error
// CASE MICRONS_WITHOUT_MPP: throw_validation_error
// CASE TOO_LARGE: throw_validation_error
// clang-format on
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/io/wsi/level.hpp"

using bioptimus::extraction::wsi::TileSpec;
using bioptimus::io::wsi::Level;
using bioptimus::io::wsi::MeasurementUnit;
using bioptimus::io::wsi::MPP;

#if defined(BIOPTIMUS_FAIL_ZERO_WIDTH)
constexpr TileSpec tile{{.size = {0, 224}, .resolution = MPP{0.5}}};
#elif defined(BIOPTIMUS_FAIL_FRACTIONAL_PIXELS)
constexpr TileSpec tile{{.size = {224.5, 224}, .resolution = MPP{0.5}}};
#elif defined(BIOPTIMUS_FAIL_MICRONS_WITHOUT_MPP)
constexpr TileSpec tile{{.size = {112, 112}, .resolution = Level{0}, .unit = MeasurementUnit::um}};
#elif defined(BIOPTIMUS_FAIL_TOO_LARGE)
constexpr TileSpec tile{{.size = {TileSpec::max_side_pixels + 1, 224}, .resolution = MPP{0.5}}};
#else
constexpr TileSpec tile{{.size = {224, 112}, .stride = {112, 112}, .resolution = MPP{0.5}}};
#endif
static_assert(tile.width() > 0.0);
