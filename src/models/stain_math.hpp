// Small numerical pieces the stain methods share: a 3x3 symmetric
// eigen-decomposition, numpy's linear-interpolation percentile by selection,
// numpy's float32 pairwise summation, and the two-stain non-negative lasso.
#ifndef BIOPTIMUS_SRC_MODELS_STAIN_MATH_HPP
#define BIOPTIMUS_SRC_MODELS_STAIN_MATH_HPP

#include <array>
#include <cstdint>
#include <span>

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
