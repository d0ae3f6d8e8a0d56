// The scalar resampling kernels: a line-by-line restatement of Pillow's
// arithmetic, kept simple because the tests use them as the oracle for the
// vectorised kernels.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "resample.hpp"

namespace bioptimus::image::detail {
namespace {

// Pillow's clip8: drop the fractional bits (an arithmetic shift, so negative
// sums floor) and saturate to [0, 255].
std::uint8_t clip8(std::int32_t sum) noexcept {
  return static_cast<std::uint8_t>(std::clamp(sum >> precision_bits, 0, 255));
}

constexpr std::int64_t channels = 3;

}  // namespace

void horizontal_pass_scalar(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row,
                            MutableRgb8Rows out) noexcept {
  const auto taps = static_cast<std::size_t>(plan.taps);
  for (std::int64_t y = 0; y < out.height; ++y) {
    const std::uint8_t* in = source.data + (first_row + y) * source.stride;
    std::uint8_t* row = out.data + y * out.stride;
    for (std::int64_t x = 0; x < out.width; ++x) {
      const auto i = static_cast<std::size_t>(x);
      const std::int32_t* k = plan.coefficients.data() + i * taps;
      const std::uint8_t* pixel = in + plan.first[i] * channels;
      std::int32_t r = rounding_bias;
      std::int32_t g = rounding_bias;
      std::int32_t b = rounding_bias;
      for (std::int32_t t = 0; t < plan.count[i]; ++t) {
        r += pixel[t * channels + 0] * k[t];
        g += pixel[t * channels + 1] * k[t];
        b += pixel[t * channels + 2] * k[t];
      }
      row[x * channels + 0] = clip8(r);
      row[x * channels + 1] = clip8(g);
      row[x * channels + 2] = clip8(b);
    }
  }
}

void vertical_pass_scalar(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) noexcept {
  const auto taps = static_cast<std::size_t>(plan.taps);
  const std::int64_t values = out.width * channels;
  for (std::int64_t y = 0; y < out.height; ++y) {
    const auto i = static_cast<std::size_t>(y);
    const std::int32_t* k = plan.coefficients.data() + i * taps;
    const std::uint8_t* in = source.data + (plan.first[i] - first_row) * source.stride;
    std::uint8_t* row = out.data + y * out.stride;
    for (std::int64_t v = 0; v < values; ++v) {
      std::int32_t sum = rounding_bias;
      for (std::int32_t t = 0; t < plan.count[i]; ++t) {
        sum += in[t * source.stride + v] * k[t];
      }
      row[v] = clip8(sum);
    }
  }
}

namespace {

void copy_rows(Rgb8Rows source, MutableRgb8Rows destination) noexcept {
  const auto bytes = static_cast<std::size_t>(source.width * channels);
  for (std::int64_t y = 0; y < source.height; ++y) {
    std::memcpy(destination.data + y * destination.stride, source.data + y * source.stride, bytes);
  }
}

// Both nearest-neighbour rules reduce to a table of source columns and rows.
void nearest(const ResamplePlanData& plan, Rgb8Rows source, MutableRgb8Rows destination) noexcept {
  for (std::int64_t y = 0; y < destination.height; ++y) {
    const std::uint8_t* in = source.data + plan.vertical.index[static_cast<std::size_t>(y)] * source.stride;
    std::uint8_t* out = destination.data + y * destination.stride;
    for (std::int64_t x = 0; x < destination.width; ++x) {
      std::memcpy(out + x * channels, in + plan.horizontal.index[static_cast<std::size_t>(x)] * channels, channels);
    }
  }
}

// torch computes in float on the uint8 values converted to float;
// torchvision then clamps to [0, 255] and rounds half to even.
void torch_separable(const ResamplePlanData& plan, Rgb8Rows source, MutableRgb8Rows destination) noexcept {
  const AxisPlan& h = plan.horizontal;
  const AxisPlan& v = plan.vertical;
  const auto htaps = static_cast<std::size_t>(h.taps);
  const auto vtaps = static_cast<std::size_t>(v.taps);
  for (std::int64_t y = 0; y < destination.height; ++y) {
    std::uint8_t* out = destination.data + y * destination.stride;
    const auto yi = static_cast<std::size_t>(y) * vtaps;
    for (std::int64_t x = 0; x < destination.width; ++x) {
      const auto xi = static_cast<std::size_t>(x) * htaps;
      for (std::int64_t c = 0; c < channels; ++c) {
        float sum = 0.0F;
        for (std::size_t ty = 0; ty < vtaps; ++ty) {
          const std::uint8_t* in = source.data + v.index[yi + ty] * source.stride;
          float row_sum = 0.0F;
          for (std::size_t tx = 0; tx < htaps; ++tx) {
            row_sum += h.weights[xi + tx] * static_cast<float>(in[h.index[xi + tx] * channels + c]);
          }
          sum += v.weights[yi + ty] * row_sum;
        }
        out[x * channels + c] = static_cast<std::uint8_t>(std::nearbyint(std::clamp(sum, 0.0F, 255.0F)));
      }
    }
  }
}

}  // namespace

void resample_rgb8(const ResamplePlanData& plan, Rgb8Rows source, MutableRgb8Rows destination, ResizeScratch& scratch,
                   Kernels kernels) noexcept {
  switch (plan.method) {
    case Method::copy:
      copy_rows(source, destination);
      return;
    case Method::pillow_nearest:
    case Method::torch_nearest:
      nearest(plan, source, destination);
      return;
    case Method::torch_separable:
      torch_separable(plan, source, destination);
      return;
    case Method::pillow_separable:
      break;
  }
  const bool scalar = kernels == Kernels::scalar;
  if (!plan.need_horizontal) {
    (scalar ? vertical_pass_scalar : vertical_pass)(plan.vertical, source, 0, destination);
    return;
  }
  // The horizontal pass writes only the rows the vertical pass reads (Pillow's
  // ybox optimisation), so the vertical bounds are taken relative to the
  // first of them.
  const std::int64_t rows = plan.end_row - plan.first_row;
  const std::int64_t stride = destination.width * channels;
  std::uint8_t* buffer = scratch.reserve(horizontal_output_slot, static_cast<std::size_t>(rows * stride));
  const MutableRgb8Rows horizontal{.data = buffer, .width = destination.width, .height = rows, .stride = stride};
  if (scalar) {
    horizontal_pass_scalar(plan.horizontal, source, plan.first_row, horizontal);
  } else {
    auto* columns =
        reinterpret_cast<std::int32_t*>(scratch.reserve(columns_slot, horizontal_columns_bytes(plan.horizontal)));
    horizontal_pass(plan.horizontal, source, plan.first_row, horizontal, columns);
  }
  const Rgb8Rows rows_read{.data = buffer, .width = destination.width, .height = rows, .stride = stride};
  if (!plan.need_vertical) {
    copy_rows(rows_read, destination);
    return;
  }
  (scalar ? vertical_pass_scalar : vertical_pass)(plan.vertical, rows_read, plan.first_row, destination);
}

}  // namespace bioptimus::image::detail
