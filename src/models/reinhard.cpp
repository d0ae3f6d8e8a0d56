// Reinhard colour transfer as torchstain's numpy backend computes it
// (EIDOSLAB/torchstain@c94179d: numpy/normalizers/reinhard.py with
// utils/rgb2lab.py, lab2rgb.py, split.py and stats.py): its own float32 sRGB
// -> LAB (D65 white, "OpenCV format" L * 2.55 and +128), per-channel
// `(x - mu) / sigma * sigma_t + mu_t`, back to RGB in float64, truncated to
// uint8. Every operation is the one numpy performs, in its precision and
// order, so the bytes agree with numpy's: float32 steps are separate
// roundings (this file is compiled with -ffp-contract=off), the 3x3
// products follow the BLAS calls numpy makes on Debian 12 (OpenBLAS 0.3.21:
// `np.dot` of a 3-D array calls sdot per value, `np.matmul` calls dgemm,
// whose kernels fuse multiply-adds), and means and standard deviations use
// numpy's pairwise summation.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "reinhard_kernel.hpp"
#include "stain_kernels.hpp"
#include "stain_math.hpp"

namespace bioptimus::detail::stain {
namespace {

using models::LabStatistics;

// rgb2lab.py:4 `_rgb2xyz`, rows X, Y, Z.
constexpr std::array<std::array<double, 3>, 3> rgb_to_xyz{
    {{0.412453, 0.357580, 0.180423}, {0.212671, 0.715160, 0.072169}, {0.019334, 0.119193, 0.950227}}};
constexpr double inverse_gamma = 1 / 2.4;

// The sRGB expansion of every 8-bit value (rgb2lab.py:17-20).
const std::array<float, 256> linear_table = [] {
  std::array<float, 256> table{};
  for (std::size_t value = 0; value < 256; ++value) {
    const float x = static_cast<float>(value) / 255.0F;  // reinhard.py:35
    table[value] = x > 0.04045F ? std::pow((x + 0.055F) / 1.055F, 2.4F) : x / 12.92F;
  }
  return table;
}();

// `_rgb2xyz.T.astype(float32)`.
const std::array<std::array<float, 3>, 3> rgb_to_xyz_float = [] {
  std::array<std::array<float, 3>, 3> m{};
  for (std::size_t k = 0; k < 3; ++k) {
    for (std::size_t i = 0; i < 3; ++i) {
      m[k][i] = static_cast<float>(rgb_to_xyz[k][i]);
    }
  }
  return m;
}();

// OpenBLAS's sdot for n = 3 with unit strides (kernel/x86_64/sdot.c; the
// transposed float32 matrix is Fortran-ordered, so its columns are
// contiguous): float products accumulated in double, rounded to float.
[[nodiscard]] float sdot3(const std::array<float, 3>& x, const std::array<float, 3>& y) noexcept {
  double sum = static_cast<double>(x[0] * y[0]);
  sum += static_cast<double>(x[1] * y[1]);
  sum += static_cast<double>(x[2] * y[2]);
  return static_cast<float>(sum);
}

[[nodiscard]] float lab_f(float t) noexcept { return t > 0.008856F ? std::cbrt(t) : 7.787F * t + sixteen_over_116; }

// lab2rgb.py:41-45 then `(lab * 255).astype("uint8")` for one linear value.
[[nodiscard]] std::uint8_t gamma_byte(double linear) noexcept {
  double value = linear > 0.0031308 ? 1.055 * std::pow(linear, inverse_gamma) - 0.055 : linear * 12.92;
  value = std::clamp(value, 0.0, 1.0);
  return static_cast<std::uint8_t>(value * 255);
}

// The output byte is a non-decreasing step function of the linear value
// (pow is monotone, and so is every rounding after it), so it is the number
// of steps at or below the value: the smallest double reaching each byte,
// found once by bisection on the ordered bit patterns of doubles, replaces
// a pow per channel and pixel with exactly the same bytes.
const std::array<double, 256> gamma_steps = [] {
  std::array<double, 256> steps{};
  steps[0] = -HUGE_VAL;
  for (int byte = 1; byte < 256; ++byte) {
    auto low = std::bit_cast<std::int64_t>(0.0);   // gives 0
    auto high = std::bit_cast<std::int64_t>(2.0);  // gives 255
    while (high - low > 1) {
      const std::int64_t middle = low + (high - low) / 2;
      if (gamma_byte(std::bit_cast<double>(middle)) >= byte) {
        high = middle;
      } else {
        low = middle;
      }
    }
    steps[static_cast<std::size_t>(byte)] = std::bit_cast<double>(high);
  }
  return steps;
}();

// For each bucket of gamma_byte_of, the byte at the bucket's first value.
const std::vector<std::uint8_t> gamma_start = [] {
  std::vector<std::uint8_t> start(gamma_buckets);
  for (std::size_t bucket = 0; bucket < gamma_buckets; ++bucket) {
    const double first = std::bit_cast<double>((gamma_first_bucket + bucket) << gamma_bucket_shift);
    std::size_t index = 0;
    while (index < 255 && first >= gamma_steps[index + 1]) {
      ++index;
    }
    start[bucket] = static_cast<std::uint8_t>(index);
  }
  return start;
}();

}  // namespace

void reinhard_lab(const RgbPixels& pixels, StainWork& work) {
  const auto count = static_cast<std::size_t>(pixels.count());
  for (auto& plane : work.lab) {
    plane.resize(count);
  }
  std::size_t i = 0;
  for (std::int64_t y = 0; y < pixels.height; ++y) {
    const std::uint8_t* row = pixels.row(y);
    for (std::int64_t x = 0; x < pixels.width; ++x, ++i) {
      const std::uint8_t* p = row + x * 3;
      const std::array<float, 3> linear{linear_table[p[0]], linear_table[p[1]], linear_table[p[2]]};
      std::array<float, 3> f{};
      for (std::size_t k = 0; k < 3; ++k) {
        f[k] = lab_f(sdot3(linear, rgb_to_xyz_float[k]) / white[k]);
      }
      // rgb2lab.py:35-42, then split.py's `I1 / 2.55, I2 - 128, I3 - 128`.
      const float l = (116.0F * f[1] - 16.0F) * 2.55F;
      const float a = 500.0F * (f[0] - f[1]) + 128.0F;
      const float b = 200.0F * (f[1] - f[2]) + 128.0F;
      work.lab[0][i] = l / 2.55F;
      work.lab[1][i] = a - 128.0F;
      work.lab[2][i] = b - 128.0F;
    }
  }
}

LabStatistics reinhard_statistics(StainWork& work, std::int64_t count) {
  // stats.py `np.mean(I), np.std(I)` in float32: sums by pairwise summation,
  // each quotient by the count rounded once to float32.
  LabStatistics out{};
  std::vector<float>& squares = work.squares;
  for (std::size_t c = 0; c < 3; ++c) {
    const float* plane = work.lab[c].data();
    const auto mean = static_cast<float>(static_cast<double>(pairwise_sum(plane, count)) / static_cast<double>(count));
    squares.resize(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < squares.size(); ++i) {
      const float deviation = plane[i] - mean;
      squares[i] = deviation * deviation;
    }
    const auto variance =
        static_cast<float>(static_cast<double>(pairwise_sum(squares.data(), count)) / static_cast<double>(count));
    out.mean[c] = static_cast<double>(mean);
    out.std[c] = static_cast<double>(std::sqrt(variance));
  }
  return out;
}

bool reinhard_usable(const LabStatistics& statistics) noexcept {
  constexpr double flat = 1e-3;
  return std::all_of(statistics.std.begin(), statistics.std.end(), [](double s) { return s > flat; }) &&
         std::all_of(statistics.mean.begin(), statistics.mean.end(), [](double m) { return std::isfinite(m); }) &&
         std::all_of(statistics.std.begin(), statistics.std.end(), [](double s) { return std::isfinite(s); });
}

void reinhard_apply(const StainWork& work, const LabStatistics& source, const LabStatistics& target,
                    const MutableRgbPixels& out) noexcept {
  ReinhardJob job{.lab = {work.lab[0].data(), work.lab[1].data(), work.lab[2].data()},
                  .mu = {},
                  .sigma = {},
                  .mu_target = {},
                  .sigma_target = {},
                  .gamma_steps = gamma_steps.data(),
                  .gamma_start = gamma_start.data(),
                  .out = out};
  for (std::size_t c = 0; c < 3; ++c) {
    job.mu[c] = static_cast<float>(source.mean[c]);
    job.sigma[c] = static_cast<float>(source.std[c]);
    job.mu_target[c] = static_cast<float>(target.mean[c]);
    job.sigma_target[c] = static_cast<float>(target.std[c]);
  }
  reinhard_back_to_rgb_dispatched(job);
}

}  // namespace bioptimus::detail::stain
