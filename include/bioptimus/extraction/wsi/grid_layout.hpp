// bioptimus/extraction/wsi/grid_layout.hpp
//
// GridLayout: how the tiles of a grid are laid out (SDK:
// bioptimus.extraction.wsi.types.GridLayout).
#ifndef BIOPTIMUS_EXTRACTION_WSI_GRID_LAYOUT_HPP
#define BIOPTIMUS_EXTRACTION_WSI_GRID_LAYOUT_HPP

#include <array>
#include <optional>
#include <string_view>

#include "bioptimus/detail/text.hpp"

namespace bioptimus::extraction::wsi {

/// The layout of a tile grid. The SDK's members are GridLayout.RECTANGULAR
/// and GridLayout.HEXAGONAL; YAML and the command line spell them
/// `rectangular` and `hexagonal`, as MeasurementUnit's PIXELS is `pixels`.
enum class GridLayout {
  rectangular,  ///< every row starts at the area's left edge (SDK RECTANGULAR)
  hexagonal,    ///< odd rows shift right by half the stride: a honeycomb (SDK HEXAGONAL)
};

/// Every GridLayout, in declaration order.
inline constexpr std::array all_grid_layouts{GridLayout::rectangular, GridLayout::hexagonal};

/// The spelling: "rectangular" or "hexagonal".
[[nodiscard]] constexpr std::string_view to_string(GridLayout layout) noexcept {
  switch (layout) {
    case GridLayout::rectangular:
      return "rectangular";
    case GridLayout::hexagonal:
      return "hexagonal";
  }
  return "";
}

/// The layout spelled `text` (exact, case-sensitive), or nothing.
[[nodiscard]] constexpr std::optional<GridLayout> parse_grid_layout(std::string_view text) noexcept {
  return detail::parse_enum(text, all_grid_layouts);
}

}  // namespace bioptimus::extraction::wsi

#endif  // BIOPTIMUS_EXTRACTION_WSI_GRID_LAYOUT_HPP
