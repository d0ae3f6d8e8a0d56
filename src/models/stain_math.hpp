// Small numerical pieces the stain methods share: a 3x3 symmetric
// eigen-decomposition, numpy's linear-interpolation percentile by selection,
// numpy's float32 pairwise summation, and the two-stain non-negative lasso.
#ifndef BIOPTIMUS_SRC_MODELS_STAIN_MATH_HPP
#define BIOPTIMUS_SRC_MODELS_STAIN_MATH_HPP

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace bioptimus::detail::stain {

using Vector3 = std::array<double, 3>;
/// Row-major: matrix[row][column].
using Matrix3 = std::array<Vector3, 3>;

/// Eigenvalues in ascending order (numpy.linalg.eigh's order) and unit
/// eigenvectors: vectors[j] belongs to values[j].
struct SymmetricEigen {
  Vector3 values;
  std::array<Vector3, 3> vectors;
};

/// Cyclic Jacobi rotations until the off-diagonal part vanishes relative to
/// the diagonal (a 3x3 needs a handful of sweeps); accurate to a few ulps of
/// the largest eigenvalue, as LAPACK's dsyevd, but the signs of the
/// eigenvectors are this routine's own.
[[nodiscard]] SymmetricEigen eigen_symmetric(const Matrix3& matrix) noexcept;

/// The ranks numpy.percentile(values, q) (method "linear") reads and how it
/// blends them: the value at rank `below` and the next one, weighted by
/// `fraction`. `q` is the percentile in [0, 100]; `count` >= 1.
struct PercentileRanks {
  std::int64_t below;
  std::int64_t above;
  double fraction;
};
[[nodiscard]] PercentileRanks percentile_ranks(std::int64_t count, double q) noexcept;

/// numpy's `_lerp`: a + (b - a) t, or b - (b - a)(1 - t) when t >= 0.5.
[[nodiscard]] double numpy_lerp(double a, double b, double t) noexcept;

/// numpy.percentile(values, q) of `values` (reordered), by selection.
/// `values` must not be empty.
[[nodiscard]] double percentile(std::span<double> values, double q) noexcept;

/// A value and the element it belongs to.
struct Ranked {
  double value;
  std::uint32_t index;
};

/// Working memory of select_rank_pairs, reused from call to call.
struct SelectionWork {
  std::vector<double> sample;
  std::array<std::vector<Ranked>, 2> kept;
};

/// Value intervals expected to hold the elements at ranks r and r + 1 of N
/// sequences of `count` values (the k-th pair in the k-th sequence), from
/// a strided sample of about 2048 of each (`value_at(index)` gives the N
/// values of an element); nothing when the sequences are too short for a
/// sample to pay.
template <std::size_t N>
struct Brackets {
  std::array<double, N> low;
  std::array<double, N> high;
};

template <std::size_t N, class ValueAt>
[[nodiscard]] std::optional<Brackets<N>> bracket_ranks(std::size_t count, const std::array<std::size_t, N>& ranks,
                                                       const ValueAt& value_at, SelectionWork& work) {
  constexpr std::size_t sample_size = 2048;
  if (count <= 4 * sample_size) {
    return std::nullopt;
  }
  const std::size_t stride = count / sample_size;
  const std::size_t size = (count + stride - 1) / stride;
  work.sample.resize(N * size);
  for (std::size_t i = 0, s = 0; i < count; i += stride, ++s) {
    const std::array<double, N> values = value_at(i);
    for (std::size_t k = 0; k < N; ++k) {
      work.sample[k * size + s] = values[k];
    }
  }
  // The sample's values a few binomial standard deviations either side of
  // where each pair should fall (found by selection too).
  Brackets<N> out{};
  const auto m = static_cast<double>(size);
  const auto last = static_cast<std::ptrdiff_t>(size) - 1;
  std::size_t series = 0;
  const auto sample_at = [&](std::ptrdiff_t rank) {
    const auto first = work.sample.begin() + static_cast<std::ptrdiff_t>(series * size);
    const auto at = first + rank;
    std::nth_element(first, at, first + static_cast<std::ptrdiff_t>(size));
    return *at;
  };
  for (std::size_t k = 0; k < N; ++k) {
    series = k;
    const double p = static_cast<double>(ranks[k]) / static_cast<double>(count);
    // Three standard deviations: a miss (about 1 in 300) only costs the
    // slower path.
    const double margin = 3 * std::sqrt(m * p * (1 - p)) + 3;
    const auto below = static_cast<std::ptrdiff_t>(std::floor(p * m - margin));
    const auto above = static_cast<std::ptrdiff_t>(std::ceil(p * m + margin)) + 1;
    out.low[k] = below < 0 ? -HUGE_VAL : sample_at(below);
    out.high[k] = above > last ? HUGE_VAL : sample_at(above);
  }
  return out;
}

/// The elements at ranks r and r + 1 among `values` (reordered).
[[nodiscard]] inline std::array<Ranked, 2> rank_pair(std::vector<Ranked>& values, std::size_t rank) {
  const auto by_value = [](const Ranked& a, const Ranked& b) { return a.value < b.value; };
  const auto at = values.begin() + static_cast<std::ptrdiff_t>(rank);
  std::nth_element(values.begin(), at, values.end(), by_value);
  return {*at, *std::min_element(at + 1, values.end(), by_value)};
}

/// The pairs, from a pass that counted `under[k]` values below bracket k
/// and kept those inside it in work.kept[k]; nothing when a bracket missed
/// its pair (then every value has to be ranked).
template <std::size_t N>
[[nodiscard]] std::optional<std::array<std::array<Ranked, 2>, N>> finish_ranks(const std::array<std::size_t, N>& ranks,
                                                                               const std::array<std::size_t, N>& under,
                                                                               SelectionWork& work) {
  for (std::size_t k = 0; k < N; ++k) {
    if (under[k] > ranks[k] || under[k] + work.kept[k].size() < ranks[k] + 2) {
      return std::nullopt;
    }
  }
  std::array<std::array<Ranked, 2>, N> out{};
  for (std::size_t k = 0; k < N; ++k) {
    out[k] = rank_pair(work.kept[k], ranks[k] - under[k]);
  }
  return out;
}

/// Every value kept and ranked: the fallback of select_rank_pairs.
template <std::size_t N, class ForEach>
[[nodiscard]] std::array<std::array<Ranked, 2>, N> rank_all(const std::array<std::size_t, N>& ranks,
                                                            const ForEach& for_each, SelectionWork& work) {
  for (std::size_t k = 0; k < N; ++k) {
    work.kept[k].clear();
  }
  for_each([&](const std::array<double, N>& values, std::size_t index) {
    for (std::size_t k = 0; k < N; ++k) {
      work.kept[k].push_back({values[k], static_cast<std::uint32_t>(index)});
    }
  });
  std::array<std::array<Ranked, 2>, N> out{};
  for (std::size_t k = 0; k < N; ++k) {
    out[k] = rank_pair(work.kept[k], ranks[k]);
  }
  return out;
}

/// The elements at ranks r and r + 1 (ascending) of N sequences of values,
/// the k-th pair in the k-th sequence (N <= 2, each r at most count - 2),
/// without storing or sorting them all: bracket_ranks() from a sample, one
/// pass over every element (`for_each(emit)` calls `emit(values, index)`
/// with the N values of each) that keeps the values inside a bracket and
/// counts those below it, and a selection among the few kept. When a
/// bracket misses (an unlucky sample) every value is kept and selected from.
/// Exact either way; ties are ranked arbitrarily, as a partition ranks them.
template <std::size_t N, class ValueAt, class ForEach>
[[nodiscard]] std::array<std::array<Ranked, 2>, N> select_rank_pairs(std::size_t count,
                                                                     const std::array<std::size_t, N>& ranks,
                                                                     const ValueAt& value_at, const ForEach& for_each,
                                                                     SelectionWork& work) {
  static_assert(N >= 1 && N <= 2);
  if (const std::optional<Brackets<N>> brackets = bracket_ranks(count, ranks, value_at, work)) {
    std::array<std::size_t, N> under{};
    for (std::size_t k = 0; k < N; ++k) {
      work.kept[k].clear();
    }
    for_each([&](const std::array<double, N>& values, std::size_t index) {
      for (std::size_t k = 0; k < N; ++k) {
        under[k] += values[k] < brackets->low[k] ? std::size_t{1} : std::size_t{0};
        if (values[k] >= brackets->low[k] && values[k] <= brackets->high[k]) {
          work.kept[k].push_back({values[k], static_cast<std::uint32_t>(index)});
        }
      }
    });
    if (const auto pairs = finish_ranks(ranks, under, work)) {
      return *pairs;
    }
  }
  return rank_all(ranks, for_each, work);
}

/// numpy's float32 `add.reduce` of a contiguous array: pairwise summation
/// in blocks of 128 with eight accumulators (numpy/core/src/umath/
/// loops_utils.h.src, `pairwise_sum`), so that means and standard deviations
/// come out bit for bit as numpy's.
[[nodiscard]] float pairwise_sum(const float* values, std::int64_t count) noexcept;

/// argmin over h >= 0 of 0.5 |x - W h|^2 + lambda (h0 + h1) for W's two
/// columns, given gram = W^T W ({g00, g01, g11}) and projection = W^T x:
/// exact, by checking the four active sets (both free, one at zero, both at
/// zero), each in closed form.
[[nodiscard]] std::array<double, 2> nonnegative_lasso(const std::array<double, 3>& gram,
                                                      const std::array<double, 2>& projection, double lambda) noexcept;

}  // namespace bioptimus::detail::stain

#endif  // BIOPTIMUS_SRC_MODELS_STAIN_MATH_HPP
