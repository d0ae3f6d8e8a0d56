// Macenko stain normalisation as torchstain's numpy backend computes it
// (EIDOSLAB/torchstain@c94179d, torchstain/numpy/normalizers/macenko.py),
// float64 throughout like numpy. Optical density comes from a table of the
// 256 values; percentiles come from selection, not sorting (and most values
// only from being counted below a bracket, see stain_math.hpp); the passes
// over densities are vectorised (macenko_simd.cpp); the output is a product
// of per-channel tables.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "stain_kernels.hpp"
#include "stain_math.hpp"

namespace bioptimus::detail::stain {
namespace {

using models::StainVectors;

const std::array<double, 256> optical_density_table = [] {
  std::array<double, 256> table{};
  for (std::size_t value = 0; value < 256; ++value) {
    // macenko.py:19, `-np.log((I.astype(float) + 1) / Io)`.
    table[value] = -std::log((static_cast<double>(value) + 1) / transmitted_light);
  }
  return table;
}();

const int max_tissue_value_cached = [] {
  int last = -1;
  for (int value = 0; value < 256; ++value) {
    // macenko.py:22 drops a row when any channel has `OD < beta`.
    if (!(optical_density_table[static_cast<std::size_t>(value)] < transparent_below)) {
      last = value;
    }
  }
  return last;
}();

// The least-squares inverse (HE^T HE)^-1 HE^T of a 3x2 stain matrix, or
// nothing when its columns are (nearly) parallel.
[[nodiscard]] std::optional<std::array<std::array<double, 3>, 2>> pseudo_inverse(const Vector3& h,
                                                                                 const Vector3& e) noexcept {
  const auto dot = [](const Vector3& a, const Vector3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; };
  const double hh = dot(h, h);
  const double ee = dot(e, e);
  const double he = dot(h, e);
  const double determinant = hh * ee - he * he;
  // sin^2 of the angle between the vectors below 1e-12: one stain.
  if (!(determinant > 1e-12 * hh * ee) || !std::isfinite(determinant)) {
    return std::nullopt;
  }
  std::array<std::array<double, 3>, 2> inverse{};
  for (std::size_t c = 0; c < 3; ++c) {
    inverse[0][c] = (ee * h[c] - he * e[c]) / determinant;
    inverse[1][c] = (hh * e[c] - he * h[c]) / determinant;
  }
  return inverse;
}

// The pairs at `ranks` of the values `job` gives the `count` elements
// (sampled through `value_at`): brackets from a sample, then `pass(job,
// result)` counts and keeps against them; every value ranked when a bracket
// misses or the elements are too few for a sample.
template <class ValueAt, class Pass>
std::array<std::array<Ranked, 2>, 2> bracketed_pairs(std::size_t count, const std::array<std::size_t, 2>& ranks,
                                                     const ValueAt& value_at, AngleJob& job, const Pass& pass,
                                                     StainWork& work) {
  if (const auto brackets = bracket_ranks(count, ranks, value_at, work.selection)) {
    job.low = brackets->low;
    job.high = brackets->high;
    AngleBracketResult result{.under = {}, .kept = &work.selection.kept};
    for (std::vector<Ranked>& kept : work.selection.kept) {
      kept.clear();
    }
    pass(job, result);
    if (const auto pairs = finish_ranks(ranks, result.under, work.selection)) {
      return *pairs;
    }
  }
  return rank_all(
      ranks,
      [&](const auto& emit) {
        for (std::size_t i = 0; i < count; ++i) {
          emit(value_at(i), i);
        }
      },
      work.selection);
}

}  // namespace

const std::array<double, 256>& optical_density() noexcept { return optical_density_table; }

int max_tissue_value() noexcept { return max_tissue_value_cached; }

std::int64_t count_tissue(const RgbPixels& pixels) noexcept {
  const int limit = max_tissue_value_cached;
  std::int64_t count = 0;
  for (std::int64_t y = 0; y < pixels.height; ++y) {
    const std::uint8_t* row = pixels.row(y);
    for (std::int64_t x = 0; x < pixels.width; ++x) {
      const std::uint8_t* p = row + x * 3;
      count += static_cast<std::int64_t>(std::max({p[0], p[1], p[2]}) <= limit);
    }
  }
  return count;
}

TissueDensities collect_tissue(const RgbPixels& pixels, StainWork& work, bool keep_background) {
  const int limit = max_tissue_value_cached;
  const std::array<double, 256>& od = optical_density_table;
  const auto capacity = static_cast<std::size_t>(pixels.count());
  for (std::vector<double>& channel : work.density) {
    channel.resize(std::max(channel.size(), capacity));
  }
  work.background.resize(std::max(work.background.size(), capacity));
  double* r = work.density[0].data();
  double* g = work.density[1].data();
  double* b = work.density[2].data();
  std::uint32_t* background = work.background.data();
  std::size_t count = 0;
  std::size_t others = 0;
  for (std::int64_t y = 0; y < pixels.height; ++y) {
    const std::uint8_t* row = pixels.row(y);
    for (std::int64_t x = 0; x < pixels.width; ++x) {
      const std::uint8_t* p = row + x * 3;
      const auto tissue = static_cast<std::size_t>(std::max({p[0], p[1], p[2]}) <= limit);
      // Written unconditionally, kept by advancing: no branch to mispredict.
      r[count] = od[p[0]];
      g[count] = od[p[1]];
      b[count] = od[p[2]];
      count += tissue;
      if (keep_background) {
        background[others] = static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8U) |
                             (static_cast<std::uint32_t>(p[2]) << 16U);
        others += 1 - tissue;
      }
    }
  }
  work.tissue_count = count;
  work.background_count = others;
  return {r, g, b, count};
}

std::optional<StainVectors> macenko_estimate(const RgbPixels& pixels, std::int64_t min_tissue_pixels, StainWork& work) {
  const TissueDensities tissue = collect_tissue(pixels, work, true);
  const auto count = static_cast<std::int64_t>(tissue.count);
  if (count < std::max<std::int64_t>(min_tissue_pixels, 2)) {
    return std::nullopt;
  }

  // np.cov(ODhat.T): centred (as numpy centres before it multiplies), divided by n - 1.
  const auto n = static_cast<double>(count);
  const Vector3 sums = density_sums(tissue);
  const Vector3 mean{sums[0] / n, sums[1] / n, sums[2] / n};
  const std::array<double, 6> products = centred_products(tissue, mean);
  const double scale = n - 1;
  const Matrix3 covariance{{{products[0] / scale, products[1] / scale, products[2] / scale},
                            {products[1] / scale, products[3] / scale, products[4] / scale},
                            {products[2] / scale, products[4] / scale, products[5] / scale}}};

  // The plane of the two largest eigenvalues (eigh's columns 1 and 2). An
  // eigenvector's sign is arbitrary, and numpy's (LAPACK's) sign can put the
  // tissue's angles across the atan2 cut at +-pi, where the percentiles
  // below would mix both ends; torchstain's result then depends on the
  // LAPACK build. Pointing both vectors along the mean OD keeps the angles
  // around 0, which gives torchstain's result wherever that result does not
  // depend on the sign.
  const SymmetricEigen eigen = eigen_symmetric(covariance);
  std::array<Vector3, 2> plane{eigen.vectors[1], eigen.vectors[2]};
  for (Vector3& vector : plane) {
    if (vector[0] * mean[0] + vector[1] * mean[1] + vector[2] * mean[2] < 0) {
      for (double& value : vector) {
        value = -value;
      }
    }
  }
  // phi = arctan2(That[:, 1], That[:, 0]); its 1st and 99th percentiles by
  // selection on an order-preserving key (a vectorised pass counts the keys
  // below and keeps those inside brackets from a sample), then the exact
  // arctan2 of the pixels selected.
  AngleJob job{.plane = {plane[0], plane[1]}, .low = {}, .high = {}};
  const auto keys_of = [&](std::size_t i) { return job.sample_keys(tissue, i); };
  const auto phi_of = [&](const Ranked& angle) {
    return std::atan2(job.project(1, tissue, angle.index), job.project(0, tissue, angle.index));
  };
  const PercentileRanks low = percentile_ranks(count, angle_percentile);
  const PercentileRanks high = percentile_ranks(count, 100 - angle_percentile);
  const std::array<std::size_t, 2> ranks{static_cast<std::size_t>(low.below), static_cast<std::size_t>(high.below)};
  const auto pairs = bracketed_pairs(
      tissue.count, ranks, keys_of, job,
      [&](const AngleJob& brackets, AngleBracketResult& result) { angle_brackets(tissue, brackets, result); }, work);
  const double min_phi = numpy_lerp(phi_of(pairs[0][0]), phi_of(pairs[0][1]), low.fraction);
  const double max_phi = numpy_lerp(phi_of(pairs[1][0]), phi_of(pairs[1][1]), high.fraction);

  Vector3 v_min{};
  Vector3 v_max{};
  for (std::size_t c = 0; c < 3; ++c) {
    v_min[c] = plane[0][c] * std::cos(min_phi) + plane[1][c] * std::sin(min_phi);
    v_max[c] = plane[0][c] * std::cos(max_phi) + plane[1][c] * std::sin(max_phi);
  }
  // Haematoxylin is the vector with the larger red component (macenko.py:41).
  const bool min_first = v_min[0] > v_max[0];
  const Vector3& h = min_first ? v_min : v_max;
  const Vector3& e = min_first ? v_max : v_min;
  const auto inverse = pseudo_inverse(h, e);
  if (!inverse) {
    return std::nullopt;
  }
  // macenko.py:70, over every pixel (background included): the same
  // bracketed selection, on both stains' concentrations in one pass, the
  // tissue's from its densities (vectorised), the other pixels' from tables.
  AngleJob concentrations{.plane = *inverse, .low = {}, .high = {}};
  const std::array<double, 256>& od = optical_density_table;
  std::array<std::array<std::array<double, 256>, 3>, 2> tables{};
  for (std::size_t j = 0; j < 2; ++j) {
    for (std::size_t c = 0; c < 3; ++c) {
      for (std::size_t value = 0; value < 256; ++value) {
        tables[j][c][value] = (*inverse)[j][c] * od[value];
      }
    }
  }
  const std::uint32_t* background = work.background.data();
  const std::size_t others = work.background_count;
  const auto background_forms = [&](std::size_t j) {
    const std::uint32_t colour = background[j];
    const auto form = [&](std::size_t k) {
      return tables[k][0][colour & 0xFFU] + tables[k][1][(colour >> 8) & 0xFFU] + tables[k][2][(colour >> 16) & 0xFFU];
    };
    return std::array<double, 2>{form(0), form(1)};
  };
  // Tissue pixels first, then the others: indices past tissue.count are background.
  const auto forms_of = [&](std::size_t i) {
    return i < tissue.count ? concentrations.sample_forms(tissue, i) : background_forms(i - tissue.count);
  };
  const std::size_t total = tissue.count + others;
  const PercentileRanks top = percentile_ranks(static_cast<std::int64_t>(total), max_concentration_percentile);
  const auto top_rank = static_cast<std::size_t>(top.below);
  const std::array<std::size_t, 2> top_ranks{top_rank, top_rank};
  const auto top_pairs = bracketed_pairs(
      total, top_ranks, forms_of, concentrations,
      [&](const AngleJob& brackets, AngleBracketResult& result) {
        form_brackets(tissue, brackets, result);
        for (std::size_t j = 0; j < others; ++j) {
          const std::array<double, 2> values = background_forms(j);
          result.under[0] += values[0] < brackets.low[0] ? 1U : 0U;
          result.under[1] += values[1] < brackets.low[1] ? 1U : 0U;
          result.keep(values, tissue.count + j, brackets);
        }
      },
      work);
  const std::array<double, 2> max_c{numpy_lerp(top_pairs[0][0].value, top_pairs[0][1].value, top.fraction),
                                    numpy_lerp(top_pairs[1][0].value, top_pairs[1][1].value, top.fraction)};
  if (!(max_c[0] > 0 && max_c[1] > 0 && std::isfinite(max_c[0]) && std::isfinite(max_c[1]))) {
    return std::nullopt;
  }
  return StainVectors{.hematoxylin = h, .eosin = e, .max_concentrations = max_c};
}

void macenko_apply(const RgbPixels& pixels, const StainVectors& source, const StainVectors& target,
                   const MutableRgbPixels& out) noexcept {
  // C2 = C / (maxC / maxCRef) and Inorm = Io exp(-HERef C2) fold into one
  // 3x3 map of OD: exponent_k = sum_c M[k][c] OD_c.
  const auto inverse = pseudo_inverse(source.hematoxylin, source.eosin);
  std::array<std::array<double, 3>, 3> map{};
  if (inverse) {
    const std::array<double, 2> scale{source.max_concentrations[0] / target.max_concentrations[0],
                                      source.max_concentrations[1] / target.max_concentrations[1]};
    for (std::size_t k = 0; k < 3; ++k) {
      for (std::size_t c = 0; c < 3; ++c) {
        map[k][c] =
            target.hematoxylin[k] * ((*inverse)[0][c] / scale[0]) + target.eosin[k] * ((*inverse)[1][c] / scale[1]);
      }
    }
  }
  const std::array<double, 256>& od = optical_density_table;
  double largest = 0;
  for (const auto& row : map) {
    for (const double value : row) {
      largest = std::max(largest, std::abs(value));
    }
  }
  const auto to_byte = [](double value) {
    // `Inorm[Inorm > 255] = 255` then `astype(np.uint8)`: truncation (a
    // minimum rather than a branch: bright pixels sit on both sides of 255).
    return static_cast<std::uint8_t>(std::min(value, 255.0));
  };
  // exp(-sum) = product of per-channel exps while no factor can overflow
  // or underflow to zero (|exponent| <= 200 each); else per pixel.
  if (largest * od[0] <= 200 && std::isfinite(largest)) {
    std::array<std::array<std::array<double, 256>, 3>, 3> factor{};
    for (std::size_t k = 0; k < 3; ++k) {
      for (std::size_t c = 0; c < 3; ++c) {
        for (std::size_t value = 0; value < 256; ++value) {
          factor[k][c][value] = (c == 0 ? transmitted_light : 1.0) * std::exp(-map[k][c] * od[value]);
        }
      }
    }
    for (std::int64_t y = 0; y < pixels.height; ++y) {
      const std::uint8_t* in = pixels.row(y);
      std::uint8_t* to = out.row(y);
      for (std::int64_t x = 0; x < pixels.width; ++x) {
        const std::uint8_t r = in[x * 3];
        const std::uint8_t g = in[x * 3 + 1];
        const std::uint8_t b = in[x * 3 + 2];
        for (std::size_t k = 0; k < 3; ++k) {
          to[x * 3 + static_cast<std::int64_t>(k)] = to_byte(factor[k][0][r] * factor[k][1][g] * factor[k][2][b]);
        }
      }
    }
    return;
  }
  for (std::int64_t y = 0; y < pixels.height; ++y) {
    const std::uint8_t* in = pixels.row(y);
    std::uint8_t* to = out.row(y);
    for (std::int64_t x = 0; x < pixels.width; ++x) {
      const Vector3 density{od[in[x * 3]], od[in[x * 3 + 1]], od[in[x * 3 + 2]]};
      for (std::size_t k = 0; k < 3; ++k) {
        const double exponent = map[k][0] * density[0] + map[k][1] * density[1] + map[k][2] * density[2];
        const double value = transmitted_light * std::exp(-exponent);
        to[x * 3 + static_cast<std::int64_t>(k)] = std::isnan(value) ? std::uint8_t{255} : to_byte(value);
      }
    }
  }
}

}  // namespace bioptimus::detail::stain
