// bioptimus/io/wsi/measurement_unit.hpp
//
// MeasurementUnit: the unit a tile's size and stride are given in.
#ifndef BIOPTIMUS_IO_WSI_MEASUREMENT_UNIT_HPP
#define BIOPTIMUS_IO_WSI_MEASUREMENT_UNIT_HPP

#include <array>
#include <optional>
#include <string_view>

#include "bioptimus/detail/text.hpp"

namespace bioptimus::io::wsi {

/// Unit of a TileSpec's size and stride. YAML spellings: `pixels`, `um`.
enum class MeasurementUnit {
  pixels,  ///< whole pixels at the tile's resolution
  um,      ///< micrometres: physical lengths, converted with the resolution's MPP
};

/// Every MeasurementUnit, in declaration order.
inline constexpr std::array all_measurement_units{MeasurementUnit::pixels, MeasurementUnit::um};

/// The YAML spelling: "pixels" or "um".
[[nodiscard]] constexpr std::string_view to_string(MeasurementUnit unit) noexcept {
  switch (unit) {
    case MeasurementUnit::pixels:
      return "pixels";
    case MeasurementUnit::um:
      return "um";
  }
  return "";
}

/// The unit spelled `text` (exact, case-sensitive), or nothing.
[[nodiscard]] constexpr std::optional<MeasurementUnit> parse_measurement_unit(std::string_view text) noexcept {
  return detail::parse_enum(text, all_measurement_units);
}

}  // namespace bioptimus::io::wsi

#endif  // BIOPTIMUS_IO_WSI_MEASUREMENT_UNIT_HPP
