#include "stain_math.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace bioptimus::detail::stain {

SymmetricEigen eigen_symmetric(const Matrix3& matrix) noexcept {
  Matrix3 a = matrix;
  Matrix3 v{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};  // columns are the eigenvectors
  constexpr int max_sweeps = 50;
  for (int sweep = 0; sweep < max_sweeps; ++sweep) {
    if (a[0][1] == 0 && a[0][2] == 0 && a[1][2] == 0) {
      break;
    }
    for (std::size_t p = 0; p < 2; ++p) {
      for (std::size_t q = p + 1; q < 3; ++q) {
        const double apq = a[p][q];
        // An element too small to change either diagonal entry is zero
        // (Numerical Recipes' test, after the first sweeps).
        const double tiny = 100 * std::abs(apq);
        if (sweep > 3 && std::abs(a[p][p]) + tiny == std::abs(a[p][p]) &&
            std::abs(a[q][q]) + tiny == std::abs(a[q][q])) {
          a[p][q] = a[q][p] = 0;
          continue;
        }
        if (apq == 0) {
          continue;
        }
        // The rotation that zeroes a[p][q] (the symmetric Schur
        // decomposition), by the smaller of the two angles.
        const double theta = (a[q][q] - a[p][p]) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1);
        const double s = t * c;
        for (std::size_t k = 0; k < 3; ++k) {
          const double akp = a[k][p];
          const double akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (std::size_t k = 0; k < 3; ++k) {
          const double apk = a[p][k];
          const double aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        a[p][q] = a[q][p] = 0;
        for (std::size_t k = 0; k < 3; ++k) {
          const double vkp = v[k][p];
          const double vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  std::array<int, 3> order{0, 1, 2};
  std::sort(order.begin(), order.end(), [&](int i, int j) {
    return a[static_cast<std::size_t>(i)][static_cast<std::size_t>(i)] <
           a[static_cast<std::size_t>(j)][static_cast<std::size_t>(j)];
  });
  SymmetricEigen out{};
  for (std::size_t j = 0; j < 3; ++j) {
    const auto column = static_cast<std::size_t>(order[j]);
    out.values[j] = a[column][column];
    out.vectors[j] = {v[0][column], v[1][column], v[2][column]};
  }
  return out;
}

PercentileRanks percentile_ranks(std::int64_t count, double q) noexcept {
  // numpy: quantile = q / 100; virtual index = (n - 1) * quantile; an index
  // at or past the last element reads the last one twice.
  const double virtual_index = static_cast<double>(count - 1) * (q / 100);
  if (virtual_index >= static_cast<double>(count - 1)) {
    return {.below = count - 1, .above = count - 1, .fraction = virtual_index - static_cast<double>(count - 1)};
  }
  const double below = std::floor(virtual_index);
  return {.below = static_cast<std::int64_t>(below),
          .above = static_cast<std::int64_t>(below) + 1,
          .fraction = virtual_index - below};
}

double numpy_lerp(double a, double b, double t) noexcept {
  const double difference = b - a;
  return t >= 0.5 ? b - difference * (1 - t) : a + difference * t;
}

double percentile(std::span<double> values, double q) noexcept {
  const PercentileRanks ranks = percentile_ranks(static_cast<std::int64_t>(values.size()), q);
  const auto below = values.begin() + ranks.below;
  std::nth_element(values.begin(), below, values.end());
  const double low = *below;
  const double high = ranks.above == ranks.below ? low : *std::min_element(below + 1, values.end());
  return numpy_lerp(low, high, ranks.fraction);
}

namespace {

// numpy/core/src/umath/loops_utils.h.src: below 8 values a plain loop, up to
// 128 eight interleaved accumulators, above that two halves (the first a
// multiple of 8 long), recursively.
float pairwise_block(const float* values, std::int64_t count) noexcept {
  if (count < 8) {
    float sum = 0;
    for (std::int64_t i = 0; i < count; ++i) {
      sum += values[i];
    }
    return sum;
  }
  constexpr std::int64_t block = 128;
  if (count <= block) {
    std::array<float, 8> r{};
    for (std::size_t j = 0; j < 8; ++j) {
      r[j] = values[j];
    }
    std::int64_t i = 8;
    for (; i < count - (count % 8); i += 8) {
      for (std::size_t j = 0; j < 8; ++j) {
        r[j] += values[i + static_cast<std::int64_t>(j)];
      }
    }
    float sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < count; ++i) {
      sum += values[i];
    }
    return sum;
  }
  std::int64_t half = count / 2;
  half -= half % 8;
  return pairwise_block(values, half) + pairwise_block(values + half, count - half);
}

}  // namespace

float pairwise_sum(const float* values, std::int64_t count) noexcept {
  // A reduction's iterator hands the loop at most one buffer (8192 values,
  // numpy's default buffer size) at a time, and the partial sums of the
  // buffers add up in order.
  constexpr std::int64_t buffer = 8192;
  float sum = 0;
  for (std::int64_t start = 0; start < count; start += buffer) {
    sum += pairwise_block(values + start, std::min(buffer, count - start));
  }
  return sum;
}

std::array<double, 2> nonnegative_lasso(const std::array<double, 3>& gram, const std::array<double, 2>& projection,
                                        double lambda) noexcept {
  const double g00 = gram[0];
  const double g01 = gram[1];
  const double g11 = gram[2];
  const double b0 = projection[0] - lambda;
  const double b1 = projection[1] - lambda;
  // Both free: the stationary point, when it is non-negative.
  const double determinant = g00 * g11 - g01 * g01;
  if (determinant > 0) {
    const double h0 = (g11 * b0 - g01 * b1) / determinant;
    const double h1 = (g00 * b1 - g01 * b0) / determinant;
    if (h0 >= 0 && h1 >= 0) {
      return {h0, h1};
    }
  }
  // One stain alone (the other at zero): it must also leave the other's
  // gradient non-negative to be optimal. Of the feasible corners, keep the
  // lowest objective; zero is always feasible.
  const auto objective = [&](double h0, double h1) {
    return 0.5 * (g00 * h0 * h0 + 2 * g01 * h0 * h1 + g11 * h1 * h1) - b0 * h0 - b1 * h1;
  };
  std::array<double, 2> best{0, 0};
  double best_value = 0;
  if (g00 > 0 && b0 > 0) {
    const double h0 = b0 / g00;
    if (const double value = objective(h0, 0); value < best_value) {
      best = {h0, 0};
      best_value = value;
    }
  }
  if (g11 > 0 && b1 > 0) {
    const double h1 = b1 / g11;
    if (const double value = objective(0, h1); value < best_value) {
      best = {0, h1};
    }
  }
  return best;
}

}  // namespace bioptimus::detail::stain
