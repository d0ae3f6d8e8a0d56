// bioptimus/io/wsi/mpp.hpp
//
// MPP: the physical size of one pixel, in microns per pixel. 0.25 mpp is a
// typical 40x scan, 0.5 mpp a typical 20x one.
//
//   constexpr bioptimus::io::wsi::MPP twenty_x{0.5};
//   twenty_x.microns_per_pixel();  // 0.5
#ifndef BIOPTIMUS_IO_WSI_MPP_HPP
#define BIOPTIMUS_IO_WSI_MPP_HPP

#include <compare>
#include <string>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"

namespace bioptimus::io::wsi {

/// Microns per pixel: a number in [min_value, max_value]. Built explicitly
/// (never converted from or to a double implicitly), immutable, ordered
/// (smaller is finer).
class MPP {
 public:
  /// Relative tolerance of is_close_to() by default: one part in a million.
  static constexpr double default_relative_tolerance = 1e-6;
  /// Finest MPP accepted: 0.001 um/px (1 nm), fifty times finer than any
  /// optical scanner (about 0.05 um/px at 200x).
  static constexpr double min_value = 1e-3;
  /// Coarsest MPP accepted: 100000 um/px (10 cm), far beyond the coarsest
  /// pyramid level or thumbnail of any slide. With both bounds every derived
  /// value (10 / mpp, a tile's size in microns, a pixel count) is finite.
  static constexpr double max_value = 1e5;

  /// @throws ValidationError unless `microns_per_pixel` lies in [min_value, max_value].
  constexpr explicit MPP(double microns_per_pixel) : microns_per_pixel_(microns_per_pixel) {
    if (!is_valid(microns_per_pixel)) {
      detail::throw_validation_error("MPP", {{"mpp", describe_invalid(microns_per_pixel)}});
    }
  }

  /// The rule every MPP satisfies: in [min_value, max_value] (so finite and > 0).
  [[nodiscard]] static constexpr bool is_valid(double microns_per_pixel) noexcept {
    return microns_per_pixel >= min_value && microns_per_pixel <= max_value;
  }

  /// The number of microns one pixel spans.
  [[nodiscard]] constexpr double microns_per_pixel() const noexcept { return microns_per_pixel_; }
  /// Same as microns_per_pixel(), under the SDK's name.
  [[nodiscard]] constexpr double value() const noexcept { return microns_per_pixel_; }

  /// True when the two differ by at most `relative_tolerance` of the larger
  /// one, so that 0.25 and 0.25000001 (two readings of one scan) compare close.
  [[nodiscard]] constexpr bool is_close_to(MPP other,
                                           double relative_tolerance = default_relative_tolerance) const noexcept {
    const double larger = microns_per_pixel_ > other.microns_per_pixel_ ? microns_per_pixel_ : other.microns_per_pixel_;
    const double difference = microns_per_pixel_ > other.microns_per_pixel_
                                  ? microns_per_pixel_ - other.microns_per_pixel_
                                  : other.microns_per_pixel_ - microns_per_pixel_;
    return difference <= relative_tolerance * larger;
  }

  friend constexpr bool operator==(MPP, MPP) noexcept = default;
  friend constexpr auto operator<=>(MPP, MPP) noexcept = default;

 private:
  static std::string describe_invalid(double microns_per_pixel) {
    if (!detail::is_finite_positive(microns_per_pixel)) {
      return "expected a finite number > 0, got " + detail::format_number(microns_per_pixel);
    }
    return "expected an MPP in [" + detail::format_plain_number(min_value) + ", " +
           detail::format_plain_number(max_value) + "] um/px (no slide is finer or coarser), got " +
           detail::format_number(microns_per_pixel);
  }

  double microns_per_pixel_;
};

}  // namespace bioptimus::io::wsi

#endif  // BIOPTIMUS_IO_WSI_MPP_HPP
