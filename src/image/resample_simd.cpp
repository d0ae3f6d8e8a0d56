// The vectorised resampling passes, compiled once per instruction set by
// Highway and chosen at run time for the CPU at hand (the library is never
// built for one machine's -march). They compute exactly what the scalar
// passes compute: the same 22-bit coefficients, int32 sums, rounding bias
// and saturation, so the results are bit-identical.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "resample_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstdint>

#include "resample.hpp"

HWY_BEFORE_NAMESPACE();
namespace bioptimus::image::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Vertical pass: every output byte of a row is the same weighted sum of the
// bytes below each other in `taps` source rows, so the row is processed a
// vector of int32 lanes at a time with the coefficient broadcast.
// Not noexcept: Highway's dispatch table holds plain function pointers.
void VerticalPass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) {
  const hn::ScalableTag<std::int32_t> d32;
  const hn::Rebind<std::uint8_t, decltype(d32)> d8;
  const auto lanes = static_cast<std::int64_t>(hn::Lanes(d32));
  const std::int64_t values = out.width * 3;
  const auto taps = static_cast<std::size_t>(plan.taps);
  for (std::int64_t y = 0; y < out.height; ++y) {
    const auto i = static_cast<std::size_t>(y);
    const std::int32_t* k = plan.coefficients.data() + i * taps;
    const std::int32_t count = plan.count[i];
    const std::uint8_t* in = source.data + (plan.first[i] - first_row) * source.stride;
    std::uint8_t* row = out.data + y * out.stride;
    std::int64_t v = 0;
    for (; v + 2 * lanes <= values; v += 2 * lanes) {
      auto sum0 = hn::Set(d32, rounding_bias);
      auto sum1 = sum0;
      for (std::int32_t t = 0; t < count; ++t) {
        const auto weight = hn::Set(d32, k[t]);
        const std::uint8_t* line = in + t * source.stride + v;
        sum0 = hn::Add(sum0, hn::Mul(hn::PromoteTo(d32, hn::LoadU(d8, line)), weight));
        sum1 = hn::Add(sum1, hn::Mul(hn::PromoteTo(d32, hn::LoadU(d8, line + lanes)), weight));
      }
      // DemoteTo saturates to [0, 255]: Pillow's clip8.
      hn::StoreU(hn::DemoteTo(d8, hn::ShiftRight<precision_bits>(sum0)), d8, row + v);
      hn::StoreU(hn::DemoteTo(d8, hn::ShiftRight<precision_bits>(sum1)), d8, row + v + lanes);
    }
    for (; v < values; ++v) {
      std::int32_t sum = rounding_bias;
      for (std::int32_t t = 0; t < count; ++t) {
        sum += in[t * source.stride + v] * k[t];
      }
      row[v] = static_cast<std::uint8_t>(std::clamp(sum >> precision_bits, 0, 255));
    }
  }
}

// Horizontal pass: a vector of int32 lanes holds consecutive output pixels of
// one row. For tap t each lane gathers the 4 bytes at its own source pixel
// (its R, G, B and one byte beyond) and weighs them with its own coefficient,
// both laid out per tap by the plan. The byte beyond the last pixel of the
// last row may lie outside the image, so that row goes through the scalar
// pass, as does a tail narrower than a vector.
void HorizontalPass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) {
  const hn::ScalableTag<std::int32_t> d32;
  const hn::Rebind<std::uint8_t, decltype(d32)> d8;
  const auto lanes = static_cast<std::int64_t>(hn::Lanes(d32));
  const auto outputs = static_cast<std::size_t>(plan.output_size);
  const auto byte_mask = hn::Set(d32, 0xFF);
  const std::int64_t vector_end = out.width - out.width % lanes;
  for (std::int64_t y = 0; y < out.height; ++y) {
    const std::int64_t source_row = first_row + y;
    std::uint8_t* row = out.data + y * out.stride;
    if (source_row == source.height - 1 || vector_end == 0) {
      horizontal_pass_scalar(plan, source, source_row, {.data = row, .width = out.width, .height = 1, .stride = 0});
      continue;
    }
    const auto* in = reinterpret_cast<const std::int32_t*>(source.data + source_row * source.stride);
    for (std::int64_t x = 0; x < vector_end; x += lanes) {
      auto red = hn::Set(d32, rounding_bias);
      auto green = red;
      auto blue = red;
      for (std::int32_t t = 0; t < plan.taps; ++t) {
        const std::size_t at = static_cast<std::size_t>(t) * outputs + static_cast<std::size_t>(x);
        const auto weight = hn::LoadU(d32, plan.tap_coefficients.data() + at);
        const auto pixel = hn::GatherOffset(d32, in, hn::LoadU(d32, plan.tap_offsets.data() + at));
        red = hn::Add(red, hn::Mul(hn::And(pixel, byte_mask), weight));
        green = hn::Add(green, hn::Mul(hn::And(hn::ShiftRight<8>(pixel), byte_mask), weight));
        blue = hn::Add(blue, hn::Mul(hn::And(hn::ShiftRight<16>(pixel), byte_mask), weight));
      }
      hn::StoreInterleaved3(hn::DemoteTo(d8, hn::ShiftRight<precision_bits>(red)),
                            hn::DemoteTo(d8, hn::ShiftRight<precision_bits>(green)),
                            hn::DemoteTo(d8, hn::ShiftRight<precision_bits>(blue)), d8, row + x * 3);
    }
    if (vector_end < out.width) {
      horizontal_pass_scalar(plan, source, source_row, {.data = row, .width = out.width, .height = 1, .stride = 0},
                             vector_end);
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace bioptimus::image::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bioptimus::image::detail {

HWY_EXPORT(HorizontalPass);
HWY_EXPORT(VerticalPass);

void horizontal_pass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) noexcept {
  HWY_DYNAMIC_DISPATCH(HorizontalPass)(plan, source, first_row, out);
}

void vertical_pass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) noexcept {
  HWY_DYNAMIC_DISPATCH(VerticalPass)(plan, source, first_row, out);
}

}  // namespace bioptimus::image::detail
#endif  // HWY_ONCE
