// Reinhard's per-pixel way back from standardised LAB to RGB bytes, shared
// by reinhard.cpp and its per-instruction-set copies (reinhard_simd.cpp),
// so that on a CPU with fused multiply-add numpy's dgemm products become
// single instructions rather than calls to libm's fma.
#ifndef BIOPTIMUS_SRC_MODELS_REINHARD_KERNEL_HPP
#define BIOPTIMUS_SRC_MODELS_REINHARD_KERNEL_HPP

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "stain_kernels.hpp"

namespace bioptimus::detail::stain {

// lab2rgb.py:4 `_xyz2rgb = np.linalg.inv(_rgb2xyz)`, exactly as numpy 1.24
// computes it (LAPACK dgesv), rows R, G, B.
inline constexpr std::array<std::array<double, 3>, 3> xyz_to_rgb{
    {{0x1.9ec817b82c15cp+1, -0x1.8982c30361d2fp+0, -0x1.fe804e830daedp-2},
     {-0x1.f0422f4f71583p-1, 0x1.e040e17805a68p+0, 0x1.546d1830bb26bp-5},
     {0x1.c7db75e6f908ap-5, -0x1.a1e06cda87a6ap-3, 0x1.0eabf031d3561p+0}}};
// The D65 white of rgb2lab.py and lab2rgb.py, as float32.
inline constexpr std::array<float, 3> white{0.95047F, 1.0F, 1.08883F};
// Python's 16. / 116., which numpy turns into a float32 next to float32 arrays.
inline constexpr auto sixteen_over_116 = static_cast<float>(16.0 / 116.0);

/// One tile's way back: the LAB planes, the statistics as float32, the
/// output and the 256 steps of the gamma byte (reinhard.cpp).
struct ReinhardJob {
  std::array<const float*, 3> lab;
  std::array<float, 3> mu;
  std::array<float, 3> sigma;
  std::array<float, 3> mu_target;
  std::array<float, 3> sigma_target;
  const double* gamma_steps;
  const std::uint8_t* gamma_start;
  MutableRgbPixels out;
};

/// The gamma byte is looked up in two steps: a bucket of the value's bits
/// (its exponent and 8 mantissa bits, for values in [2^-24, 2)) gives the
/// byte at the bucket's start, and a comparison or two with the exact steps
/// finishes. Values below the first bucket give 0.
inline constexpr int gamma_bucket_shift = 44;
inline constexpr std::uint64_t gamma_first_bucket = 0x3E70000000000000ULL >> gamma_bucket_shift;  // 2^-24
inline constexpr std::size_t gamma_buckets =
    (0x4000000000000000ULL >> gamma_bucket_shift) - gamma_first_bucket;  // to 2

[[nodiscard]] inline float lab_f_inverse(float t) noexcept {
  return t > 0.2068966F ? std::pow(t, 3.0F) : (t - sixteen_over_116) / 7.787F;
}

/// The byte whose steps the linear value reaches (see gamma_steps):
/// the largest b with steps[b] <= linear; 0 for NaN, as numpy's cast gives on x86.
[[nodiscard]] inline std::uint8_t gamma_byte_of(const double* steps, const std::uint8_t* start,
                                                double linear) noexcept {
  if (!(linear >= steps[1])) {
    return 0;
  }
  if (linear >= steps[255]) {
    return 255;
  }
  std::uint64_t bits = 0;
  std::memcpy(&bits, &linear, sizeof(bits));
  const std::uint64_t bucket = (bits >> gamma_bucket_shift) - gamma_first_bucket;  // steps[1] > 2^-24
  std::size_t index = start[bucket];
  while (linear >= steps[index + 1]) {
    ++index;
  }
  return static_cast<std::uint8_t>(index);
}

/// The whole way back for every pixel of job.out (reinhard.py:50, split.py
/// lab_merge, lab2rgb.py:21-45, `(lab * 255).astype("uint8")`).
inline void reinhard_back_to_rgb(const ReinhardJob& job) noexcept {
  std::size_t i = 0;
  for (std::int64_t y = 0; y < job.out.height; ++y) {
    std::uint8_t* row = job.out.row(y);
    for (std::int64_t x = 0; x < job.out.width; ++x, ++i) {
      std::array<float, 3> v{};
      for (std::size_t c = 0; c < 3; ++c) {
        v[c] = (job.lab[c][i] - job.mu[c]) / job.sigma[c] * job.sigma_target[c] + job.mu_target[c];
      }
      const float l = v[0] * 2.55F / 2.55F;
      const float a = (v[1] + 128.0F) - 128.0F;
      const float b = (v[2] + 128.0F) - 128.0F;
      const float fy = (l + 16.0F) / 116.0F;
      const float fx = a / 500.0F + fy;
      const float fz = fy - b / 200.0F;
      const std::array<double, 3> xyz{static_cast<double>(lab_f_inverse(fx) * white[0]),
                                      static_cast<double>(lab_f_inverse(fy) * white[1]),
                                      static_cast<double>(lab_f_inverse(fz) * white[2])};
      for (std::size_t k = 0; k < 3; ++k) {
        // `np.matmul(xyz, _xyz2rgb.T)`: dgemm, whose kernels fuse.
        const double linear =
            std::fma(xyz[2], xyz_to_rgb[k][2], std::fma(xyz[1], xyz_to_rgb[k][1], xyz[0] * xyz_to_rgb[k][0]));
        row[x * 3 + static_cast<std::int64_t>(k)] = gamma_byte_of(job.gamma_steps, job.gamma_start, linear);
      }
    }
  }
}

/// reinhard_back_to_rgb for the CPU's best instruction set.
void reinhard_back_to_rgb_dispatched(const ReinhardJob& job) noexcept;

}  // namespace bioptimus::detail::stain

#endif  // BIOPTIMUS_SRC_MODELS_REINHARD_KERNEL_HPP
