// The stain methods' kernels, on packed rgb8 pixels. Each method splits in
// two: `estimate` finds an image's own stains (the same computation as
// torchstain's `fit`), `apply` maps pixels from given source stains to a
// target. StainNormalizer (stain.cpp) decides which source a tile gets.
//
// Optical density is torchstain's: OD = -log((value + 1) / 240), and a
// tissue pixel has OD >= 0.15 in every channel (its `ODhat` rows).
#ifndef BIOPTIMUS_SRC_MODELS_STAIN_KERNELS_HPP
#define BIOPTIMUS_SRC_MODELS_STAIN_KERNELS_HPP

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "bioptimus/models/stain_target.hpp"

namespace bioptimus::detail {

/// rgb8 pixels: `height` rows of `width` pixels, `stride` bytes apart.
struct RgbPixels {
  const std::uint8_t* data;
  std::int64_t width;
  std::int64_t height;
  std::int64_t stride;

  [[nodiscard]] std::int64_t count() const noexcept { return width * height; }
  [[nodiscard]] const std::uint8_t* row(std::int64_t y) const noexcept { return data + y * stride; }
};

/// Writable rgb8 pixels of the same layout. May be the pixels an RgbPixels
/// reads: every method reads all its input before it writes.
struct MutableRgbPixels {
  std::uint8_t* data;
  std::int64_t width;
  std::int64_t height;
  std::int64_t stride;

  [[nodiscard]] std::uint8_t* row(std::int64_t y) const noexcept { return data + y * stride; }
};

/// A tissue pixel's colour, packed as r | g << 8 | b << 16.
using PackedColour = std::uint32_t;

/// One thread's working memory, grown to the largest tile seen and reused.
struct StainWork {
  std::vector<PackedColour> tissue;
  struct AngleKey {
    double key;
    std::uint32_t index;
  };
  std::vector<AngleKey> angles;
  std::array<std::vector<double>, 2> concentrations;
  std::array<std::vector<float>, 3> lab;
  std::vector<float> squares;
  std::vector<std::array<double, 3>> samples;
  std::vector<std::array<double, 2>> codes;
};

namespace stain {

/// torchstain's Macenko defaults (numpy/normalizers/macenko.py): the
/// transmitted light intensity, the OD below which a channel counts as
/// transparent, and the angular percentile.
inline constexpr double transmitted_light = 240;
inline constexpr double transparent_below = 0.15;
inline constexpr double angle_percentile = 1;
/// The percentile of a stain's concentrations taken as its maximum.
inline constexpr double max_concentration_percentile = 99;

/// OD of every 8-bit value, computed as numpy does (float64).
[[nodiscard]] const std::array<double, 256>& optical_density() noexcept;
/// The largest 8-bit value whose OD is at least transparent_below: a pixel is
/// tissue when no channel exceeds it.
[[nodiscard]] int max_tissue_value() noexcept;
/// Tissue pixels of `pixels`.
[[nodiscard]] std::int64_t count_tissue(const RgbPixels& pixels) noexcept;
/// Fills work.tissue with the packed colours of the tissue pixels, in order.
void collect_tissue(const RgbPixels& pixels, StainWork& work);

/// A tile's stains as torchstain's numpy Macenko estimates them (HE and
/// maxC), or nothing when it has fewer than max(min_tissue_pixels, 2) tissue
/// pixels or the estimate is degenerate (parallel stain vectors, a maximum
/// concentration that is not > 0).
[[nodiscard]] std::optional<models::StainVectors> macenko_estimate(const RgbPixels& pixels,
                                                                   std::int64_t min_tissue_pixels, StainWork& work);
/// The pixels' least-squares concentrations under `source`, rescaled by
/// target/source maximum concentrations, recomposed with the target's
/// vectors: Io exp(-HE_target C2), above 255 set to 255, truncated.
void macenko_apply(const RgbPixels& pixels, const models::StainVectors& source, const models::StainVectors& target,
                   const MutableRgbPixels& out) noexcept;

/// The dictionary-learning side of Vahadane et al. 2016 (see vahadane.cpp for
/// the solver): stains by sparse non-negative factorisation of the tissue
/// pixels' OD, maximum concentrations from the non-negative lasso
/// concentrations of every pixel.
[[nodiscard]] std::optional<models::StainVectors> vahadane_estimate(const RgbPixels& pixels,
                                                                    std::int64_t min_tissue_pixels, StainWork& work);
/// As macenko_apply with non-negative lasso concentrations.
void vahadane_apply(const RgbPixels& pixels, const models::StainVectors& source, const models::StainVectors& target,
                    const MutableRgbPixels& out) noexcept;

/// torchstain's float32 LAB of every pixel into work.lab (L / 2.55 and a, b
/// as its lab_split leaves them).
void reinhard_lab(const RgbPixels& pixels, StainWork& work);
/// Mean and standard deviation of work.lab's planes (the first `count`
/// values), in float32 as numpy computes them.
[[nodiscard]] models::LabStatistics reinhard_statistics(StainWork& work, std::int64_t count);
/// work.lab standardised with `source`, scaled to `target`, back to RGB.
void reinhard_apply(const StainWork& work, const models::LabStatistics& source, const models::LabStatistics& target,
                    const MutableRgbPixels& out) noexcept;
/// Whether `statistics` can be divided by: every standard deviation above a
/// thousandth of a LAB unit (a flat channel has none).
[[nodiscard]] bool reinhard_usable(const models::LabStatistics& statistics) noexcept;

/// skimage.color.rgb2hed (scikit-image 0.19) of every pixel, rounded to
/// float32, then `(value - mean[c]) / std[c]` in float32, written channel-
/// first: plane c at out + c * width * height.
void rgb_to_hed(const RgbPixels& pixels, const std::array<float, 3>& mean, const std::array<float, 3>& std,
                float* out) noexcept;

}  // namespace stain
}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_MODELS_STAIN_KERNELS_HPP
