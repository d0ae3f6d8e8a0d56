// bioptimus/io/wsi/slide.hpp
//
// SlideGeometry: what a whole-slide reader knows about a slide's pyramid, as
// a validated value: level-0 MPP per axis (possibly missing), the dimensions
// and downsample of every level, and optional tissue bounds. A reader
// (OpenSlide, cuCIM, ...) fills it in; tiling (bioptimus/extraction/wsi/
// tiling.hpp) reads it.
//
//   using namespace bioptimus::io::wsi;
//   const SlideGeometry slide{{
//       .mpp_x = MPP{0.2525},
//       .mpp_y = MPP{0.2525},
//       .level_dimensions = {{2048, 1536}, {1024, 768}, {256, 192}},
//       .level_downsamples = {1.0, 2.0, 8.0},
//   }};
//   slide.dimensions();  // {2048, 1536}
#ifndef BIOPTIMUS_IO_WSI_SLIDE_HPP
#define BIOPTIMUS_IO_WSI_SLIDE_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/io/wsi/mpp.hpp"

namespace bioptimus::io::wsi {

/// A width and a height in whole pixels (SDK: WSIDims).
struct WSIDims {
  std::int64_t width;
  std::int64_t height;

  friend constexpr bool operator==(const WSIDims&, const WSIDims&) noexcept = default;
};

/// A rectangle in level-0 pixels: top-left corner and size (SDK: WSIBounds).
struct WSIBounds {
  std::int64_t x;
  std::int64_t y;
  std::int64_t width;
  std::int64_t height;

  friend constexpr bool operator==(const WSIBounds&, const WSIBounds&) noexcept = default;
};

/// The geometry of one slide's resolution pyramid. Immutable, copyable,
/// comparable, a literal type (the levels are kept in a fixed array).
///
/// Invariants, checked at construction (all violations reported at once):
/// - mpp_x and mpp_y are both given or both missing;
/// - 1 to max_levels levels, with as many downsamples as dimensions;
/// - every level's width and height are in [1, max_side_pixels];
/// - level 0's downsample is 1 within a relative level0_tolerance; every
///   other downsample is finite, >= 1 and >= the previous level's;
/// - bounds, when given, have width and height > 0 and lie inside level 0.
class SlideGeometry {
 public:
  /// Most pyramid levels a slide may have: 32 (a 2^40 px side halved 31 times
  /// is still a pixel wide; real slides have fewer than 10).
  static constexpr std::size_t max_levels = 32;
  /// Largest level side, in pixels: 2^40 (about 1.1e12), so that sums and
  /// products of coordinates stay far from 64-bit overflow.
  static constexpr std::int64_t max_side_pixels = std::int64_t{1} << 40;
  /// Relative tolerance of level 0's downsample around 1.
  static constexpr double level0_tolerance = 1e-6;

  /// The constructor's arguments, named after the reader properties they
  /// usually come from (openslide.mpp-x, openslide.mpp-y, the level
  /// dimensions and downsamples, openslide.bounds-*).
  struct Fields {
    std::optional<MPP> mpp_x = std::nullopt;
    std::optional<MPP> mpp_y = std::nullopt;
    std::vector<WSIDims> level_dimensions = {};
    std::vector<double> level_downsamples = {};
    std::optional<WSIBounds> bounds = std::nullopt;
  };

  /// @throws ValidationError listing every broken invariant.
  constexpr explicit SlideGeometry(const Fields& fields)
      : mpp_x_(fields.mpp_x), mpp_y_(fields.mpp_y), bounds_(fields.bounds) {
    if (!check(fields, nullptr)) {
      detail::throw_validation_error("SlideGeometry", describe(fields));
    }
    level_count_ = fields.level_dimensions.size();
    for (std::size_t i = 0; i < level_count_; ++i) {
      dimensions_[i] = fields.level_dimensions[i];
      downsamples_[i] = i == 0 ? 1.0 : fields.level_downsamples[i];
    }
  }

  /// Level-0 microns per pixel along x; nothing when the slide does not say.
  [[nodiscard]] constexpr std::optional<MPP> mpp_x() const noexcept { return mpp_x_; }
  /// Level-0 microns per pixel along y; nothing when the slide does not say.
  [[nodiscard]] constexpr std::optional<MPP> mpp_y() const noexcept { return mpp_y_; }
  /// Whether the slide has an MPP (both axes, as the invariants require).
  [[nodiscard]] constexpr bool has_mpp() const noexcept { return mpp_x_.has_value(); }
  /// Number of pyramid levels (>= 1).
  [[nodiscard]] constexpr std::size_t level_count() const noexcept { return level_count_; }
  /// Every level's dimensions, level 0 first.
  [[nodiscard]] constexpr std::span<const WSIDims> level_dimensions() const noexcept {
    return {dimensions_.data(), level_count_};
  }
  /// Every level's downsample relative to level 0 (level 0's is exactly 1).
  [[nodiscard]] constexpr std::span<const double> level_downsamples() const noexcept {
    return {downsamples_.data(), level_count_};
  }
  /// Level 0's dimensions: the slide's full size in level-0 pixels.
  [[nodiscard]] constexpr WSIDims dimensions() const noexcept { return dimensions_[0]; }
  /// The tissue bounds in level-0 pixels, when known.
  [[nodiscard]] constexpr std::optional<WSIBounds> bounds() const noexcept { return bounds_; }
  /// The whole slide as a rectangle: {0, 0, width, height} of level 0.
  [[nodiscard]] constexpr WSIBounds full_extent() const noexcept {
    return {0, 0, dimensions_[0].width, dimensions_[0].height};
  }

  friend constexpr bool operator==(const SlideGeometry&, const SlideGeometry&) noexcept = default;

 private:
  // Checks every invariant; true when all hold. With `out`, appends one
  // Violation per broken invariant. Field and message are callables, so that
  // without `out` no text is built and a valid slide can be a constant.
  static constexpr bool check(const Fields& fields, std::vector<Violation>* out) {
    bool valid = true;
    const auto report = [&valid, out](const auto& field, const auto& message) {
      valid = false;
      if (out != nullptr) {
        out->push_back({field(), message()});
      }
    };
    const auto number = [](auto value) { return detail::format_number(value); };
    const auto index = [](std::size_t i) { return std::to_string(i); };
    if (fields.mpp_x.has_value() != fields.mpp_y.has_value()) {
      report([&] { return std::string(fields.mpp_x ? "mpp_y" : "mpp_x"); },
             [&] {
               return "expected both mpp_x and mpp_y or neither, got only " +
                      (fields.mpp_x ? "mpp_x = " + number(fields.mpp_x->value())
                                    : "mpp_y = " + number(fields.mpp_y->value()));
             });
    }
    const std::size_t count = fields.level_dimensions.size();
    if (count == 0 || count > max_levels) {
      report([] { return std::string("level_dimensions"); },
             [&] { return "expected 1 to " + index(max_levels) + " levels, got " + index(count); });
    }
    if (fields.level_downsamples.size() != count) {
      report([] { return std::string("level_downsamples"); },
             [&] {
               return "expected one downsample per level (" + index(count) + "), got " +
                      index(fields.level_downsamples.size());
             });
    }
    for (std::size_t i = 0; i < count && i < max_levels; ++i) {
      const WSIDims dims = fields.level_dimensions[i];
      if (dims.width < 1 || dims.width > max_side_pixels || dims.height < 1 || dims.height > max_side_pixels) {
        report([&] { return "level_dimensions[" + index(i) + "]"; },
               [&] {
                 return "expected width and height in [1, " + number(max_side_pixels) + "], got " + number(dims.width) +
                        " x " + number(dims.height);
               });
      }
    }
    const std::vector<double>& downsamples = fields.level_downsamples;
    for (std::size_t i = 0; i < downsamples.size() && i < max_levels; ++i) {
      const double value = downsamples[i];
      const auto field = [&] { return "level_downsamples[" + index(i) + "]"; };
      if (i == 0) {
        const double distance = value > 1.0 ? value - 1.0 : 1.0 - value;
        if (!detail::is_finite(value) || distance > level0_tolerance) {
          report(field, [&] { return "expected 1 for level 0 (within a relative 1e-6), got " + number(value); });
        }
      } else if (!detail::is_finite(value) || value < 1.0) {
        report(field, [&] { return "expected a finite number >= 1, got " + number(value); });
      } else if (detail::is_finite(downsamples[i - 1]) && value < downsamples[i - 1]) {
        report(field, [&] {
          return "expected downsamples that never decrease (>= " + number(downsamples[i - 1]) + " of level " +
                 index(i - 1) + "), got " + number(value);
        });
      }
    }
    if (fields.bounds) {
      const WSIBounds b = *fields.bounds;
      const auto got = [&] {
        return "got x " + number(b.x) + ", y " + number(b.y) + ", " + number(b.width) + " x " + number(b.height);
      };
      const auto field = [] { return std::string("bounds"); };
      if (b.width < 1 || b.height < 1) {
        report(field, [&] { return "expected width and height > 0, " + got(); });
      } else if (count >= 1) {
        const WSIDims level0 = fields.level_dimensions[0];
        // Written as subtractions so that no sum can overflow.
        if (b.x < 0 || b.y < 0 || b.width > level0.width || b.height > level0.height || b.x > level0.width - b.width ||
            b.y > level0.height - b.height) {
          report(field, [&] {
            return "expected a rectangle inside level 0 (" + number(level0.width) + " x " + number(level0.height) +
                   "), " + got();
          });
        }
      }
    }
    return valid;
  }

  [[nodiscard]] static std::vector<Violation> describe(const Fields& fields) {
    std::vector<Violation> violations;
    check(fields, &violations);
    return violations;
  }

  std::optional<MPP> mpp_x_;
  std::optional<MPP> mpp_y_;
  std::optional<WSIBounds> bounds_;
  std::size_t level_count_ = 0;
  std::array<WSIDims, max_levels> dimensions_{};
  std::array<double, max_levels> downsamples_{};
};

}  // namespace bioptimus::io::wsi

#endif  // BIOPTIMUS_IO_WSI_SLIDE_HPP
