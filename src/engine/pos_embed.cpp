#include "pos_embed.hpp"

#include <cstddef>

#include "bioptimus/image/resize.hpp"

namespace bioptimus::engine::detail {
namespace {

// One axis of the resampling over a [outer, size, inner] array of doubles.
std::vector<double> resample_axis(const std::vector<double>& in, std::int64_t outer, std::int64_t from, std::int64_t to,
                                  std::int64_t inner) {
  if (from == to) {
    return in;
  }
  const image::FilterWeights filter = image::antialiased_filter_weights(from, to, image::Filter::bicubic);
  const auto taps = static_cast<std::size_t>(filter.taps);
  const auto inner_size = static_cast<std::size_t>(inner);
  std::vector<double> out(static_cast<std::size_t>(outer * to * inner), 0.0);
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < to; ++i) {
      const auto row = static_cast<std::size_t>(i);
      double* target = out.data() + static_cast<std::size_t>(o * to + i) * inner_size;
      for (std::int32_t t = 0; t < filter.count[row]; ++t) {
        const double weight = filter.weights[row * taps + static_cast<std::size_t>(t)];
        const double* source = in.data() + static_cast<std::size_t>(o * from + filter.first[row] + t) * inner_size;
        for (std::size_t c = 0; c < inner_size; ++c) {
          target[c] += weight * source[c];
        }
      }
    }
  }
  return out;
}

}  // namespace

std::vector<float> resample_patch_embeddings(std::span<const float> patches, std::int64_t dim, Grid from, Grid to) {
  std::vector<double> grid(patches.begin(), patches.end());
  // [height, width, dim]: the width is the middle axis of one row at a time.
  grid = resample_axis(grid, from.height, from.width, to.width, dim);
  grid = resample_axis(grid, 1, from.height, to.height, to.width * dim);
  return {grid.begin(), grid.end()};
}

}  // namespace bioptimus::engine::detail
