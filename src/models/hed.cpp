// The HED colour space as scikit-image 0.19 defines it
// (skimage/color/colorconv.py, `rgb2hed` -> `separate_stains`, Debian's
// python3-skimage 0.19.3): rgb = max(value / 255, 1e-6), stains =
// (log(rgb) / log(1e-6)) @ hed_from_rgb, then max(stains, 0), in float64.
// Earlier versions used -log(rgb + 2) and no clip; this is the pinned form.
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "stain_kernels.hpp"

namespace bioptimus::detail::stain {
namespace {

// colorconv.py `hed_from_rgb = linalg.inv(rgb_from_hed)` with rgb_from_hed =
// [[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]] (Ruifrok &
// Johnston 2001), exactly as numpy 1.24 computes the inverse; row = input
// channel, column = stain.
constexpr std::array<std::array<double, 3>, 3> hed_from_rgb{
    {{0x1.e0c37a053b84ep+0, -0x1.01f73afa7905ap+0, -0x1.1cbb3667e94d8p-1},
     {-0x1.0df59cbcafdf5p-4, 0x1.227db08fa9f88p+0, -0x1.158c73e80817ep-3},
     {-0x1.342d33b262fc8p-1, -0x1.ebf1b27084585p-2, 0x1.92d6aafa763f3p+0}}};

// log(max(value / 255, 1e-6)) / log(1e-6) per 8-bit value: img_as_float
// multiplies by the reciprocal of 255.
const std::array<double, 256> log_table = [] {
  std::array<double, 256> table{};
  const double log_adjust = std::log(1e-6);
  for (std::size_t value = 0; value < 256; ++value) {
    table[value] = std::log(std::max(static_cast<double>(value) * (1.0 / 255), 1e-6)) / log_adjust;
  }
  return table;
}();

}  // namespace

void rgb_to_hed(const RgbPixels& pixels, const std::array<float, 3>& mean, const std::array<float, 3>& std,
                float* out) noexcept {
  const std::int64_t plane = pixels.count();
  std::int64_t i = 0;
  for (std::int64_t y = 0; y < pixels.height; ++y) {
    const std::uint8_t* row = pixels.row(y);
    for (std::int64_t x = 0; x < pixels.width; ++x, ++i) {
      const double r = log_table[row[x * 3]];
      const double g = log_table[row[x * 3 + 1]];
      const double b = log_table[row[x * 3 + 2]];
      for (std::size_t k = 0; k < 3; ++k) {
        // The (N, 3) @ (3, 3) product goes to dgemm, whose kernels fuse.
        const double stain = std::fma(b, hed_from_rgb[2][k], std::fma(g, hed_from_rgb[1][k], r * hed_from_rgb[0][k]));
        const auto value = static_cast<float>(std::max(stain, 0.0));
        out[static_cast<std::int64_t>(k) * plane + i] = (value - mean[k]) / std[k];
      }
    }
  }
}

}  // namespace bioptimus::detail::stain
