// Macenko stain normalisation as torchstain's numpy backend computes it
// (EIDOSLAB/torchstain@c94179d, torchstain/numpy/normalizers/macenko.py),
// float64 throughout like numpy, with the per-pixel work turned into table
// lookups: every per-pixel quantity is a sum over the three channels of a
// function of one 8-bit value.
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

// Per-channel tables of a linear function of OD: row j, channel c.
using LinearTables = std::array<std::array<std::array<double, 256>, 3>, 2>;

void fill_linear_tables(const std::array<std::array<double, 3>, 2>& coefficients, LinearTables& tables) noexcept {
  for (std::size_t j = 0; j < 2; ++j) {
    for (std::size_t c = 0; c < 3; ++c) {
      for (std::size_t value = 0; value < 256; ++value) {
        tables[j][c][value] = coefficients[j][c] * optical_density_table[value];
      }
    }
  }
}

[[nodiscard]] double apply_row(const std::array<std::array<double, 256>, 3>& row, PackedColour colour) noexcept {
  return row[0][colour & 0xFFU] + row[1][(colour >> 8) & 0xFFU] + row[2][(colour >> 16) & 0xFFU];
}

// A key that orders 2-D vectors as atan2(y, x) does over (-pi, pi], signed
// zeros included, without a transcendental: y / (|x| + |y|) in [-1, 1] for
// x >= 0, mirrored out to (1, 2] above and [-2, -1) below for x < 0.
[[nodiscard]] double angle_key(double x, double y) noexcept {
  const double sum = std::abs(x) + std::abs(y);
  if (sum == 0) {
    return std::signbit(x) ? (std::signbit(y) ? -2.0 : 2.0) : 0.0;
  }
  const double p = y / sum;
  if (!std::signbit(x)) {
    return p;
  }
  return std::signbit(y) ? -2 - p : 2 - p;
}

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

// The 99th percentiles of both stains' concentrations over every pixel
// (macenko.py:70, background included), with `row` the per-channel tables
// of each stain's concentration.
[[nodiscard]] std::array<double, 2> max_concentrations(const RgbPixels& pixels, const LinearTables& tables,
                                                       StainWork& work) {
  const auto count = static_cast<std::size_t>(pixels.count());
  for (auto& values : work.concentrations) {
    values.resize(count);
  }
  std::size_t i = 0;
  for (std::int64_t y = 0; y < pixels.height; ++y) {
    const std::uint8_t* row = pixels.row(y);
    for (std::int64_t x = 0; x < pixels.width; ++x, ++i) {
      const std::uint8_t* p = row + x * 3;
      for (std::size_t j = 0; j < 2; ++j) {
        work.concentrations[j][i] = tables[j][0][p[0]] + tables[j][1][p[1]] + tables[j][2][p[2]];
      }
    }
  }
  return {percentile(work.concentrations[0], max_concentration_percentile),
          percentile(work.concentrations[1], max_concentration_percentile)};
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

void collect_tissue(const RgbPixels& pixels, StainWork& work) {
  const int limit = max_tissue_value_cached;
  work.tissue.resize(static_cast<std::size_t>(pixels.count()));
  std::size_t count = 0;
  for (std::int64_t y = 0; y < pixels.height; ++y) {
    const std::uint8_t* row = pixels.row(y);
    for (std::int64_t x = 0; x < pixels.width; ++x) {
      const std::uint8_t* p = row + x * 3;
      // Written unconditionally, kept when tissue: no branch to mispredict.
      work.tissue[count] = static_cast<PackedColour>(p[0]) | (static_cast<PackedColour>(p[1]) << 8U) |
                           (static_cast<PackedColour>(p[2]) << 16U);
      count += static_cast<std::size_t>(std::max({p[0], p[1], p[2]}) <= limit);
    }
  }
  work.tissue.resize(count);
}

std::optional<StainVectors> macenko_estimate(const RgbPixels& pixels, std::int64_t min_tissue_pixels, StainWork& work) {
  collect_tissue(pixels, work);
  const std::vector<PackedColour>& tissue = work.tissue;
  const auto count = static_cast<std::int64_t>(tissue.size());
  if (count < std::max<std::int64_t>(min_tissue_pixels, 2)) {
    return std::nullopt;
  }
  const std::array<double, 256>& od = optical_density_table;

  // np.cov(ODhat.T): centred, divided by n - 1.
  Vector3 mean{};
  for (const PackedColour colour : tissue) {
    mean[0] += od[colour & 0xFFU];
    mean[1] += od[(colour >> 8) & 0xFFU];
    mean[2] += od[(colour >> 16) & 0xFFU];
  }
  for (double& value : mean) {
    value /= static_cast<double>(count);
  }
  Matrix3 covariance{};
  for (const PackedColour colour : tissue) {
    const Vector3 d{od[colour & 0xFFU] - mean[0], od[(colour >> 8) & 0xFFU] - mean[1],
                    od[(colour >> 16) & 0xFFU] - mean[2]};
    for (std::size_t r = 0; r < 3; ++r) {
      for (std::size_t c = r; c < 3; ++c) {
        covariance[r][c] += d[r] * d[c];
      }
    }
  }
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = r; c < 3; ++c) {
      covariance[r][c] /= static_cast<double>(count - 1);
      covariance[c][r] = covariance[r][c];
    }
  }

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
  LinearTables projection{};
  fill_linear_tables({plane[0], plane[1]}, projection);

  // phi = arctan2(That[:, 1], That[:, 0]); its 1st and 99th percentiles by
  // selection on an order-preserving key, then the exact arctan2 of the
  // pixels selected.
  work.angles.resize(tissue.size());
  for (std::size_t i = 0; i < tissue.size(); ++i) {
    work.angles[i] = {.key = angle_key(apply_row(projection[0], tissue[i]), apply_row(projection[1], tissue[i])),
                      .index = static_cast<std::uint32_t>(i)};
  }
  const auto by_key = [](const StainWork::AngleKey& a, const StainWork::AngleKey& b) { return a.key < b.key; };
  const auto phi_of = [&](const StainWork::AngleKey& angle) {
    const PackedColour colour = tissue[angle.index];
    return std::atan2(apply_row(projection[1], colour), apply_row(projection[0], colour));
  };
  const PercentileRanks low = percentile_ranks(count, angle_percentile);
  const PercentileRanks high = percentile_ranks(count, 100 - angle_percentile);
  const auto begin = work.angles.begin();
  const auto end = work.angles.end();
  std::nth_element(begin, begin + low.below, end, by_key);
  const double low_below = phi_of(begin[low.below]);
  const double low_above =
      low.above == low.below ? low_below : phi_of(*std::min_element(begin + low.below + 1, end, by_key));
  std::nth_element(begin + low.below + 1, begin + high.below, end, by_key);
  const double high_below = phi_of(begin[high.below]);
  const double high_above =
      high.above == high.below ? high_below : phi_of(*std::min_element(begin + high.below + 1, end, by_key));
  const double min_phi = numpy_lerp(low_below, low_above, low.fraction);
  const double max_phi = numpy_lerp(high_below, high_above, high.fraction);

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
  LinearTables concentration{};
  fill_linear_tables(*inverse, concentration);
  const std::array<double, 2> max_c = max_concentrations(pixels, concentration, work);
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
    // `Inorm[Inorm > 255] = 255` then `astype(np.uint8)`: truncation.
    return static_cast<std::uint8_t>(value > 255 ? 255.0 : value);
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
        to[x * 3 + static_cast<std::int64_t>(k)] = std::isnan(value) ? 255 : to_byte(value);
      }
    }
  }
}

}  // namespace bioptimus::detail::stain
