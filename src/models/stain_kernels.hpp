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
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "bioptimus/models/stain_target.hpp"
#include "stain_math.hpp"

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

/// The tissue pixels' optical densities, one array per channel.
struct TissueDensities {
  const double* r;
  const double* g;
  const double* b;
  std::size_t count;
};

/// One thread's working memory, grown to the largest tile seen and reused.
struct StainWork {
  std::array<std::vector<double>, 3> density;  // of the tissue pixels
  std::vector<std::uint32_t> background;       // the other pixels, r | g << 8 | b << 16
  std::size_t tissue_count = 0;
  std::size_t background_count = 0;
  stain::SelectionWork selection;
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
/// The optical densities of the tissue pixels, in order, into work.density
/// (and with `keep_background`, the colours of the others into
/// work.background).
[[nodiscard]] TissueDensities collect_tissue(const RgbPixels& pixels, StainWork& work, bool keep_background = false);

/// A key that orders 2-D vectors as atan2(y, x) does over (-pi, pi], signed
/// zeros included, without a transcendental: y / (|x| + |y|) in [-1, 1] for
/// x >= 0, mirrored out to (1, 2] above and [-2, -1) below for x < 0.
[[nodiscard]] inline double angle_key(double x, double y) noexcept {
  const double sum = std::abs(x) + std::abs(y);
  const double p = sum == 0 ? 0.0 : y / sum;
  return std::signbit(x) ? std::copysign(2.0, y) - p : p;
}

/// Macenko's bracket passes: two linear forms of each pixel's densities
/// (the projections on the eigenvector plane, or the concentrations of the
/// two stains), and two brackets to rank within: the forms' angle key in
/// both (angle_brackets), or form k in bracket k (form_brackets).
struct AngleJob {
  std::array<std::array<double, 3>, 2> plane;
  std::array<double, 2> low;
  std::array<double, 2> high;

  /// Form j of pixel i, `ODhat.dot(eigvecs[:, 1:3])[i, j]` as OpenBLAS's dgemm computes it.
  [[nodiscard]] double project(std::size_t j, const TissueDensities& densities, std::size_t i) const noexcept {
    return std::fma(densities.b[i], plane[j][2], std::fma(densities.g[i], plane[j][1], densities.r[i] * plane[j][0]));
  }
  [[nodiscard]] std::array<double, 2> forms(const TissueDensities& densities, std::size_t i) const noexcept {
    return {project(0, densities, i), project(1, densities, i)};
  }
  [[nodiscard]] std::array<double, 2> keys(const TissueDensities& densities, std::size_t i) const noexcept {
    const double key = angle_key(project(0, densities, i), project(1, densities, i));
    return {key, key};
  }
  /// The forms and keys without fused multiply-adds (no libm call where the
  /// build has no FMA): for samples and rankings whose values only need to
  /// be consistent among themselves.
  [[nodiscard]] std::array<double, 2> sample_forms(const TissueDensities& densities, std::size_t i) const noexcept {
    const auto form = [&](std::size_t j) {
      return densities.r[i] * plane[j][0] + densities.g[i] * plane[j][1] + densities.b[i] * plane[j][2];
    };
    return {form(0), form(1)};
  }
  [[nodiscard]] std::array<double, 2> sample_keys(const TissueDensities& densities, std::size_t i) const noexcept {
    const std::array<double, 2> forms = sample_forms(densities, i);
    const double key = angle_key(forms[0], forms[1]);
    return {key, key};
  }
};

/// What a bracket pass found: per bracket, the values below it (counted)
/// and inside it (kept, with their pixel).
struct AngleBracketResult {
  std::array<std::size_t, 2> under{};
  std::array<std::vector<Ranked>, 2>* kept;

  void keep(const std::array<double, 2>& values, std::size_t index, const AngleJob& job) {
    for (std::size_t k = 0; k < 2; ++k) {
      if (values[k] >= job.low[k] && values[k] <= job.high[k]) {
        (*kept)[k].push_back({values[k], static_cast<std::uint32_t>(index)});
      }
    }
  }
};

/// Per-channel sums of the densities.
[[nodiscard]] Vector3 density_sums(const TissueDensities& tissue) noexcept;
/// Sums of the centred products rr, rg, rb, gg, gb, bb.
[[nodiscard]] std::array<double, 6> centred_products(const TissueDensities& tissue, const Vector3& mean) noexcept;
/// The bracket passes (vectorised).
void angle_brackets(const TissueDensities& tissue, const AngleJob& job, AngleBracketResult& result);
void form_brackets(const TissueDensities& densities, const AngleJob& job, AngleBracketResult& result);

/// numpy.percentile(..., 99) of each stain's concentration over every
/// pixel (`concentrations` takes a pointer to a pixel's three bytes and
/// gives both), by selection, in one pass.
template <class Concentrations>
[[nodiscard]] std::array<double, 2> max_concentrations(const RgbPixels& pixels, const Concentrations& concentrations,
                                                       StainWork& work) {
  const PercentileRanks ranks = percentile_ranks(pixels.count(), max_concentration_percentile);
  if (ranks.above == ranks.below) {  // a single pixel
    return concentrations(pixels.data);
  }
  const auto rank = static_cast<std::size_t>(ranks.below);
  const std::array<std::size_t, 2> both{rank, rank};
  const auto count = static_cast<std::size_t>(pixels.count());
  const auto for_each = [&](const auto& emit) {
    std::size_t i = 0;
    for (std::int64_t y = 0; y < pixels.height; ++y) {
      const std::uint8_t* row = pixels.row(y);
      for (std::int64_t x = 0; x < pixels.width; ++x, ++i) {
        emit(concentrations(row + x * 3), i);
      }
    }
  };
  std::optional<std::array<std::array<Ranked, 2>, 2>> pairs;
  const auto brackets = bracket_ranks(
      count, both,
      [&](std::size_t i) {
        const std::int64_t y = static_cast<std::int64_t>(i) / pixels.width;
        return concentrations(pixels.row(y) + (static_cast<std::int64_t>(i) - y * pixels.width) * 3);
      },
      work.selection);
  if (brackets) {
    // The bracket pass written out: counters in locals, not behind a
    // callback, keep it in registers.
    std::vector<Ranked>& kept_h = work.selection.kept[0];
    std::vector<Ranked>& kept_e = work.selection.kept[1];
    kept_h.clear();
    kept_e.clear();
    std::size_t under_h = 0;
    std::size_t under_e = 0;
    const double low_h = brackets->low[0];
    const double high_h = brackets->high[0];
    const double low_e = brackets->low[1];
    const double high_e = brackets->high[1];
    std::size_t i = 0;
    for (std::int64_t y = 0; y < pixels.height; ++y) {
      const std::uint8_t* row = pixels.row(y);
      for (std::int64_t x = 0; x < pixels.width; ++x, ++i) {
        const std::array<double, 2> c = concentrations(row + x * 3);
        under_h += static_cast<std::size_t>(c[0] < low_h);
        under_e += static_cast<std::size_t>(c[1] < low_e);
        if (c[0] >= low_h && c[0] <= high_h) {
          kept_h.push_back({c[0], static_cast<std::uint32_t>(i)});
        }
        if (c[1] >= low_e && c[1] <= high_e) {
          kept_e.push_back({c[1], static_cast<std::uint32_t>(i)});
        }
      }
    }
    pairs = finish_ranks(both, {under_h, under_e}, work.selection);
  }
  if (!pairs) {
    pairs = rank_all(both, for_each, work.selection);
  }
  return {numpy_lerp((*pairs)[0][0].value, (*pairs)[0][1].value, ranks.fraction),
          numpy_lerp((*pairs)[1][0].value, (*pairs)[1][1].value, ranks.fraction)};
}

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
