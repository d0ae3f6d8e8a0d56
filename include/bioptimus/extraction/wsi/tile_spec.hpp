// bioptimus/extraction/wsi/tile_spec.hpp
//
// TileSpec: the geometry of the tiles cut from a slide (size, stride, the
// resolution they are defined at, and the unit of size and stride).
//
//   using namespace bioptimus::io::wsi;
//   constexpr bioptimus::extraction::wsi::TileSpec tile{{
//       .size = {224, 224},
//       .stride = {224, 224},
//       .resolution = MPP{0.5},
//       .unit = MeasurementUnit::pixels,
//   }};
//   tile.size_microns();  // {112, 112}
#ifndef BIOPTIMUS_EXTRACTION_WSI_TILE_SPEC_HPP
#define BIOPTIMUS_EXTRACTION_WSI_TILE_SPEC_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/io/wsi/measurement_unit.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/io/wsi/resolution.hpp"

namespace bioptimus::extraction::wsi {

/// A width and a height in a TileSpec's unit (pixels or microns). `{224, 224}`
/// gives both; `Extent{224}` is the one-number form for a square.
struct Extent {
  double width;
  double height;

  constexpr Extent(double width_value, double height_value) noexcept : width(width_value), height(height_value) {}
  /// A square: the same length for width and height.
  constexpr explicit Extent(double side) noexcept : width(side), height(side) {}

  friend constexpr bool operator==(const Extent&, const Extent&) noexcept = default;
};

/// An Extent or nothing. Unlike std::optional<Extent> it also accepts the
/// `{width, height}` form, so `.stride = {224, 224}` reads like the size.
class OptionalExtent {
 public:
  constexpr OptionalExtent() noexcept = default;
  constexpr OptionalExtent(std::nullopt_t) noexcept {}  // NOLINT(google-explicit-constructor): mirrors std::optional
  constexpr OptionalExtent(Extent extent) noexcept : extent_(extent) {}  // NOLINT(google-explicit-constructor)
  constexpr OptionalExtent(double width, double height) noexcept : extent_(Extent{width, height}) {}

  /// The extent, or `fallback` when there is none.
  [[nodiscard]] constexpr Extent value_or(Extent fallback) const noexcept { return extent_.value_or(fallback); }
  /// Whether an extent was given.
  [[nodiscard]] constexpr bool has_value() const noexcept { return extent_.has_value(); }

 private:
  std::optional<Extent> extent_;
};

/// A width and a height in whole pixels. Signed, because an overlap can be
/// negative (a gap between tiles).
struct PixelExtent {
  std::int64_t width;
  std::int64_t height;

  friend constexpr bool operator==(const PixelExtent&, const PixelExtent&) noexcept = default;
};

/// Tile geometry: size and stride as (width, height), the resolution they are
/// defined at (a Level, an MPP or a Magnification) and their unit.
///
/// Invariants, checked at construction (all violations reported at once):
/// - size and stride components are finite and > 0;
/// - in `pixels`, they are whole numbers;
/// - in `um`, the resolution is an MPP and every length divided by it is a
///   whole number of pixels within a relative 1e-6;
/// - no side exceeds max_side_pixels, so derived products never overflow.
/// Stride smaller than size means overlapping tiles, larger means gaps.
class TileSpec {
 public:
  /// Largest tile side or stride, in pixels: 2^20 (1,048,576).
  static constexpr std::int64_t max_side_pixels = std::int64_t{1} << 20;
  /// Relative tolerance within which a micron length must be whole pixels.
  static constexpr double whole_pixel_tolerance = 1e-6;

  /// The constructor's arguments, named so that they read like the SDK's
  /// keyword arguments. `stride` defaults to `size`, `unit` to pixels.
  struct Fields {
    Extent size;
    OptionalExtent stride = std::nullopt;
    io::wsi::Resolution resolution;
    io::wsi::MeasurementUnit unit = io::wsi::MeasurementUnit::pixels;
  };

  /// @throws ValidationError listing every broken invariant.
  constexpr explicit TileSpec(const Fields& fields)
      : size_(fields.size),
        stride_(fields.stride.value_or(fields.size)),
        resolution_(fields.resolution),
        unit_(fields.unit) {
    const Faults faults = find_faults();
    if (!faults.ok()) {
      detail::throw_validation_error("TileSpec", describe(faults));
    }
  }

  /// Tile size as (width, height), in unit().
  [[nodiscard]] constexpr Extent size() const noexcept { return size_; }
  /// Step between neighbouring tiles as (width, height), in unit().
  [[nodiscard]] constexpr Extent stride() const noexcept { return stride_; }
  /// Tile width, in unit().
  [[nodiscard]] constexpr double width() const noexcept { return size_.width; }
  /// Tile height, in unit().
  [[nodiscard]] constexpr double height() const noexcept { return size_.height; }
  /// Horizontal stride, in unit().
  [[nodiscard]] constexpr double stride_width() const noexcept { return stride_.width; }
  /// Vertical stride, in unit().
  [[nodiscard]] constexpr double stride_height() const noexcept { return stride_.height; }
  /// The resolution size and stride are defined at.
  [[nodiscard]] constexpr const io::wsi::Resolution& resolution() const noexcept { return resolution_; }
  /// The unit of size and stride.
  [[nodiscard]] constexpr io::wsi::MeasurementUnit unit() const noexcept { return unit_; }
  /// The resolution's MPP, when the resolution is one.
  [[nodiscard]] constexpr std::optional<io::wsi::MPP> mpp() const noexcept { return io::wsi::mpp_of(resolution_); }

  /// Tile size in whole pixels at resolution().
  [[nodiscard]] constexpr PixelExtent size_pixels() const noexcept { return to_pixels(size_); }
  /// Stride in whole pixels at resolution().
  [[nodiscard]] constexpr PixelExtent stride_pixels() const noexcept { return to_pixels(stride_); }
  /// size - stride per axis, in pixels: > 0 is overlap, < 0 a gap.
  [[nodiscard]] constexpr PixelExtent overlap_pixels() const noexcept {
    const PixelExtent size = size_pixels();
    const PixelExtent stride = stride_pixels();
    return {size.width - stride.width, size.height - stride.height};
  }
  /// Tile size in microns; nothing unless the resolution is an MPP.
  [[nodiscard]] constexpr std::optional<Extent> size_microns() const noexcept { return to_microns(size_); }
  /// Stride in microns; nothing unless the resolution is an MPP.
  [[nodiscard]] constexpr std::optional<Extent> stride_microns() const noexcept { return to_microns(stride_); }

  /// The same tile re-expressed in the pixels of a reference pyramid level,
  /// as the SDK's TileSpec.scale_to_reference does.
  ///
  /// - `downsample_ratio`: the reference level's downsample divided by the
  ///   target resolution's downsample, both relative to level 0 (> 1 when the
  ///   reference level is coarser than the resolution the tile is defined at).
  /// - `target_mpp`: microns per pixel at the resolution the tile is defined
  ///   at; it converts a `um` tile to target pixels (unused for `pixels`).
  ///
  /// Result: unit pixels, size and stride divided by `downsample_ratio` and
  /// rounded to the nearest whole pixel (at least 1), resolution
  /// MPP(target_mpp * downsample_ratio), the reference level's pixel size.
  ///
  /// Worked example: a 224 px tile at 0.5 mpp on a slide whose level 0 is
  /// 0.25 mpp. The target is downsample 2 (0.5 / 0.25); with level 0 as the
  /// reference (downsample 1) the ratio is 1 / 2 = 0.5, so the result is
  /// 224 / 0.5 = 448 px at MPP(0.5 * 0.5) = 0.25 mpp.
  ///
  /// @throws ValidationError if `downsample_ratio` is not finite and > 0, or
  ///         if the scaled tile breaks an invariant (e.g. exceeds
  ///         max_side_pixels).
  [[nodiscard]] constexpr TileSpec scale_to_reference(double downsample_ratio, io::wsi::MPP target_mpp) const {
    if (!detail::is_finite_positive(downsample_ratio)) {
      detail::throw_validation_error("TileSpec", {{"downsample_ratio", "expected a finite number > 0, got " +
                                                                           detail::format_number(downsample_ratio)}});
    }
    if (const std::optional<io::wsi::MPP> own = mpp(); own && !own->is_close_to(target_mpp)) {
      detail::throw_validation_error(
          "TileSpec", {{"target_mpp", "expected the tile's own resolution " + io::wsi::describe(resolution_) +
                                          ", got " + detail::format_number(target_mpp.value()) + " mpp"}});
    }
    const auto scale = [&](Extent lengths) {
      const double width = lengths.width / (unit_ == io::wsi::MeasurementUnit::um ? target_mpp.value() : 1.0);
      const double height = lengths.height / (unit_ == io::wsi::MeasurementUnit::um ? target_mpp.value() : 1.0);
      return Extent{round_to_pixel(width / downsample_ratio), round_to_pixel(height / downsample_ratio)};
    };
    const Extent size = scale(size_);
    const Extent stride = scale(stride_);
    const double reference_mpp = target_mpp.value() * downsample_ratio;
    if (!io::wsi::MPP::is_valid(reference_mpp)) {
      // The size rules first (an extreme ratio usually breaks them too), then
      // the reference resolution that left MPP's range.
      static_cast<void>(TileSpec{
          {.size = size, .stride = stride, .resolution = target_mpp, .unit = io::wsi::MeasurementUnit::pixels}});
      detail::throw_validation_error(
          "TileSpec", {{"downsample_ratio", "expected a ratio that keeps the reference resolution in [" +
                                                detail::format_plain_number(io::wsi::MPP::min_value) + ", " +
                                                detail::format_plain_number(io::wsi::MPP::max_value) + "] mpp, got " +
                                                detail::format_number(downsample_ratio) + " (" +
                                                detail::format_number(reference_mpp) + " mpp)"}});
    }
    return TileSpec{{.size = size,
                     .stride = stride,
                     .resolution = io::wsi::MPP{reference_mpp},
                     .unit = io::wsi::MeasurementUnit::pixels}};
  }

  friend constexpr bool operator==(const TileSpec&, const TileSpec&) noexcept = default;

 private:
  enum class Problem { none, not_positive, not_whole_pixels, too_large };
  struct Faults {
    Problem size = Problem::none;
    Problem stride = Problem::none;
    bool microns_without_mpp = false;
    [[nodiscard]] constexpr bool ok() const noexcept {
      return size == Problem::none && stride == Problem::none && !microns_without_mpp;
    }
  };

  [[nodiscard]] constexpr double pixels_per_unit_length() const noexcept {
    const std::optional<io::wsi::MPP> resolution_mpp = mpp();
    return unit_ == io::wsi::MeasurementUnit::um && resolution_mpp ? 1.0 / resolution_mpp->value() : 1.0;
  }

  [[nodiscard]] constexpr std::optional<std::int64_t> whole_pixels(double length) const noexcept {
    if (unit_ == io::wsi::MeasurementUnit::pixels) {
      return detail::as_whole(length, max_side_pixels);
    }
    const std::optional<io::wsi::MPP> resolution_mpp = mpp();
    if (!resolution_mpp) {
      return std::nullopt;
    }
    return detail::as_nearly_whole(length / resolution_mpp->value(), max_side_pixels, whole_pixel_tolerance);
  }

  [[nodiscard]] constexpr Problem check(Extent lengths) const noexcept {
    if (!detail::is_finite_positive(lengths.width) || !detail::is_finite_positive(lengths.height)) {
      return Problem::not_positive;
    }
    if (unit_ == io::wsi::MeasurementUnit::um && !mpp()) {
      return Problem::none;  // reported once, as microns_without_mpp
    }
    const double factor = pixels_per_unit_length();
    if (lengths.width * factor > static_cast<double>(max_side_pixels) + 0.5 ||
        lengths.height * factor > static_cast<double>(max_side_pixels) + 0.5) {
      return Problem::too_large;
    }
    if (!whole_pixels(lengths.width) || !whole_pixels(lengths.height)) {
      return Problem::not_whole_pixels;
    }
    return Problem::none;
  }

  [[nodiscard]] constexpr Faults find_faults() const noexcept {
    return {.size = check(size_),
            .stride = check(stride_),
            .microns_without_mpp = unit_ == io::wsi::MeasurementUnit::um && !mpp()};
  }

  [[nodiscard]] std::vector<Violation> describe(const Faults& faults) const {
    std::vector<Violation> violations;
    const auto add = [&](const char* field, Problem problem, Extent lengths) {
      const std::string got = "got " + detail::format_list(std::vector<double>{lengths.width, lengths.height});
      switch (problem) {
        case Problem::none:
          return;
        case Problem::not_positive:
          violations.push_back({field, "expected [width, height] as two finite numbers > 0, " + got});
          return;
        case Problem::too_large:
          violations.push_back(
              {field,
               "expected at most " + std::to_string(max_side_pixels) + " pixels per side, " + got + " " +
                   std::string(io::wsi::to_string(unit_)) +
                   (unit_ == io::wsi::MeasurementUnit::um ? " at " + io::wsi::describe(resolution_) : std::string())});
          return;
        case Problem::not_whole_pixels:
          if (unit_ == io::wsi::MeasurementUnit::pixels) {
            violations.push_back({field, "expected whole pixels, " + got});
          } else {
            const double factor = pixels_per_unit_length();
            violations.push_back(
                {field, "expected lengths that are whole pixels at " + io::wsi::describe(resolution_) +
                            " (within a relative 1e-6), " + got + " um = " +
                            detail::format_list(std::vector<double>{lengths.width * factor, lengths.height * factor}) +
                            " px"});
          }
          return;
      }
    };
    add("size", faults.size, size_);
    add("stride", faults.stride, stride_);
    if (faults.microns_without_mpp) {
      violations.push_back({"resolution", "unit um needs an MPP resolution to convert microns to pixels, got " +
                                              io::wsi::describe(resolution_)});
    }
    return violations;
  }

  [[nodiscard]] constexpr PixelExtent to_pixels(Extent lengths) const noexcept {
    // Validated at construction, so both conversions have a value.
    return {whole_pixels(lengths.width).value_or(0), whole_pixels(lengths.height).value_or(0)};
  }

  [[nodiscard]] constexpr std::optional<Extent> to_microns(Extent lengths) const noexcept {
    if (unit_ == io::wsi::MeasurementUnit::um) {
      return lengths;
    }
    const std::optional<io::wsi::MPP> resolution_mpp = mpp();
    if (!resolution_mpp) {
      return std::nullopt;
    }
    return Extent{lengths.width * resolution_mpp->value(), lengths.height * resolution_mpp->value()};
  }

  // Rounds half up to a whole pixel, at least 1; values too large to matter
  // are passed through so that the constructor reports them.
  [[nodiscard]] static constexpr double round_to_pixel(double pixels) noexcept {
    if (!(pixels < static_cast<double>(max_side_pixels) * 2.0)) {
      return pixels;
    }
    return static_cast<double>(detail::round_to_whole_pixels(pixels));
  }

  Extent size_;
  Extent stride_;
  io::wsi::Resolution resolution_;
  io::wsi::MeasurementUnit unit_;
};

}  // namespace bioptimus::extraction::wsi

#endif  // BIOPTIMUS_EXTRACTION_WSI_TILE_SPEC_HPP
