// bioptimus/io/wsi/magnification.hpp
//
// Magnification: the objective power a slide was scanned or is viewed at
// (20x, 40x), and its conventional relation to MPP (mpp ~ 10 / power).
#ifndef BIOPTIMUS_IO_WSI_MAGNIFICATION_HPP
#define BIOPTIMUS_IO_WSI_MAGNIFICATION_HPP

#include <compare>
#include <string>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/io/wsi/mpp.hpp"

namespace bioptimus::io::wsi {

/// Objective power in [min_value, max_value] (20 for "20x"). Immutable, ordered.
class Magnification {
 public:
  /// Smallest power accepted: 0.0001x, which stands for MPP::max_value.
  static constexpr double min_value = 10.0 / MPP::max_value;
  /// Largest power accepted: 10000x, which stands for MPP::min_value. The
  /// bounds make approximate_mpp() and approximate_magnification() total.
  static constexpr double max_value = 10.0 / MPP::min_value;

  /// @throws ValidationError unless `power` lies in [min_value, max_value].
  constexpr explicit Magnification(double power) : power_(power) {
    if (!is_valid(power)) {
      detail::throw_validation_error("Magnification", {{"magnification", describe_invalid(power)}});
    }
  }

  /// The rule every Magnification satisfies: in [min_value, max_value].
  [[nodiscard]] static constexpr bool is_valid(double power) noexcept {
    return power >= min_value && power <= max_value;
  }

  /// The objective power (20 for 20x).
  [[nodiscard]] constexpr double value() const noexcept { return power_; }

  friend constexpr bool operator==(Magnification, Magnification) noexcept = default;
  friend constexpr auto operator<=>(Magnification, Magnification) noexcept = default;

 private:
  static std::string describe_invalid(double power) {
    if (!detail::is_finite_positive(power)) {
      return "expected a finite number > 0, got " + detail::format_number(power);
    }
    return "expected a magnification in [" + detail::format_plain_number(min_value) + ", " +
           detail::format_plain_number(max_value) + "] (the range of MPP), got " + detail::format_number(power);
  }

  double power_;
};

/// The microns per pixel a magnification conventionally stands for: 10 / power
/// (20x is about 0.5 mpp, 40x about 0.25). Scanners differ (a "40x" scan may
/// be 0.2525 or 0.2431 mpp), so prefer a slide's own MPP when it has one.
[[nodiscard]] constexpr MPP approximate_mpp(Magnification magnification) { return MPP{10.0 / magnification.value()}; }

/// The objective power an MPP conventionally stands for: 10 / mpp (0.5 mpp is
/// about 20x). Never throws for a valid MPP: the bounds correspond.
[[nodiscard]] constexpr Magnification approximate_magnification(MPP mpp) {
  return Magnification{10.0 / mpp.microns_per_pixel()};
}

}  // namespace bioptimus::io::wsi

#endif  // BIOPTIMUS_IO_WSI_MAGNIFICATION_HPP
