// bioptimus/io/wsi/resolution.hpp
//
// Resolution: where in a slide's pyramid a region or tile is defined, in one
// of the SDK's three ways: a pyramid Level, a physical MPP, or an objective
// Magnification.
#ifndef BIOPTIMUS_IO_WSI_RESOLUTION_HPP
#define BIOPTIMUS_IO_WSI_RESOLUTION_HPP

#include <optional>
#include <string>
#include <variant>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/io/wsi/level.hpp"
#include "bioptimus/io/wsi/magnification.hpp"
#include "bioptimus/io/wsi/mpp.hpp"

namespace bioptimus::io::wsi {

/// A Level, an MPP or a Magnification. Not default-constructible.
using Resolution = std::variant<Level, MPP, Magnification>;

/// The MPP when `resolution` holds one, else nothing. A Level or a
/// Magnification has no exact physical size without a slide.
[[nodiscard]] constexpr std::optional<MPP> mpp_of(const Resolution& resolution) noexcept {
  if (const MPP* mpp = std::get_if<MPP>(&resolution)) {
    return *mpp;
  }
  return std::nullopt;
}

/// Human-readable text: "level 0", "0.5 mpp", "20x".
[[nodiscard]] inline std::string describe(const Resolution& resolution) {
  struct Describe {
    std::string operator()(Level level) const { return "level " + std::to_string(level.index()); }
    std::string operator()(MPP mpp) const { return detail::format_number(mpp.microns_per_pixel()) + " mpp"; }
    std::string operator()(Magnification power) const { return detail::format_number(power.value()) + "x"; }
  };
  return std::visit(Describe{}, resolution);
}

}  // namespace bioptimus::io::wsi

#endif  // BIOPTIMUS_IO_WSI_RESOLUTION_HPP
