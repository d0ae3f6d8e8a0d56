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

// Horizontal pass, one source row per lane: the rows are cut into blocks of
// as many rows as lanes, and each block's source columns are gathered once
// into `columns` (per pixel, one vector per channel: the block transposed).
// Then every output pixel is a sum over its taps of column vectors times a
// broadcast coefficient, exactly the scalar sum, and is scattered back to its
// row as 4 bytes: R, G, B and a spare byte that the pixel to its right,
// written next, overwrites; the last pixel of a row is written one byte
// early, behind its left neighbour's B, so nothing is written past the row.
// A last block shorter than the lanes overlaps the previous one: its rows are
// recomputed to the same values. Images too small or too large for that go
// through the scalar pass.
void HorizontalPass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out,
                    std::int32_t* columns) {
  const hn::ScalableTag<std::int32_t> d32;
  const auto lanes = static_cast<std::int64_t>(hn::Lanes(d32));
  const std::int64_t in_width = plan.input_size;
  const std::int64_t offset_limit = std::int64_t{1} << 30;  // gather and scatter offsets are int32
  if (out.height < lanes || in_width < 2 || out.width < 2 || in_width > max_vector_columns ||
      lanes * source.stride > offset_limit || lanes * out.stride > offset_limit) {
    horizontal_pass_scalar(plan, source, first_row, out);
    return;
  }
  const auto byte_mask = hn::Set(d32, 0xFF);
  const auto max_value = hn::Set(d32, 255);
  const auto zero = hn::Zero(d32);
  const auto source_rows = hn::Mul(hn::Iota(d32, 0), hn::Set(d32, static_cast<std::int32_t>(source.stride)));
  const auto out_rows = hn::Mul(hn::Iota(d32, 0), hn::Set(d32, static_cast<std::int32_t>(out.stride)));
  const auto taps = static_cast<std::size_t>(plan.taps);
  for (std::int64_t block = 0; block < out.height; block += lanes) {
    const std::int64_t top = std::min(block, out.height - lanes);
    const std::uint8_t* in = source.data + (first_row + top) * source.stride;
    for (std::int64_t x = 0; x < in_width; ++x) {
      // Reading 4 bytes at the last pixel would pass the end of the last
      // row, so that pixel is read one byte earlier and shifted.
      const bool last = x == in_width - 1;
      auto pixel =
          hn::GatherOffset(d32, reinterpret_cast<const std::int32_t*>(in + x * 3 - (last ? 1 : 0)), source_rows);
      if (last) {
        pixel = hn::ShiftRight<8>(pixel);
      }
      std::int32_t* column = columns + x * 3 * lanes;
      hn::Store(hn::And(pixel, byte_mask), d32, column);
      hn::Store(hn::And(hn::ShiftRight<8>(pixel), byte_mask), d32, column + lanes);
      hn::Store(hn::And(hn::ShiftRight<16>(pixel), byte_mask), d32, column + 2 * lanes);
    }
    std::uint8_t* row = out.data + top * out.stride;
    auto previous_blue = zero;
    for (std::int64_t x = 0; x < out.width; ++x) {
      const auto i = static_cast<std::size_t>(x);
      const std::int32_t* k = plan.coefficients.data() + i * taps;
      const std::int32_t* column = columns + std::int64_t{plan.first[i]} * 3 * lanes;
      auto red = hn::Set(d32, rounding_bias);
      auto green = red;
      auto blue = red;
      for (std::int32_t t = 0; t < plan.count[i]; ++t, column += 3 * lanes) {
        const auto weight = hn::Set(d32, k[t]);
        red = hn::Add(red, hn::Mul(hn::Load(d32, column), weight));
        green = hn::Add(green, hn::Mul(hn::Load(d32, column + lanes), weight));
        blue = hn::Add(blue, hn::Mul(hn::Load(d32, column + 2 * lanes), weight));
      }
      // Pillow's clip8 on each channel.
      const auto clip = [&](auto sum) {
        return hn::Min(hn::Max(hn::ShiftRight<precision_bits>(sum), zero), max_value);
      };
      red = clip(red);
      green = clip(green);
      blue = clip(blue);
      if (x + 1 < out.width) {
        // R | G << 8 | B << 16; the spare top byte is the next pixel's R, written next.
        const auto packed = hn::Or(red, hn::Or(hn::ShiftLeft<8>(green), hn::ShiftLeft<16>(blue)));
        hn::ScatterOffset(packed, d32, reinterpret_cast<std::int32_t*>(row + x * 3), out_rows);
      } else {
        // The last pixel ends its row: write it with the previous pixel's B in front.
        const auto packed = hn::Or(hn::Or(previous_blue, hn::ShiftLeft<8>(red)),
                                   hn::Or(hn::ShiftLeft<16>(green), hn::ShiftLeft<24>(blue)));
        hn::ScatterOffset(packed, d32, reinterpret_cast<std::int32_t*>(row + x * 3 - 1), out_rows);
      }
      previous_blue = blue;
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

void horizontal_pass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out,
                     std::int32_t* columns) noexcept {
  HWY_DYNAMIC_DISPATCH(HorizontalPass)(plan, source, first_row, out, columns);
}

void vertical_pass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) noexcept {
  HWY_DYNAMIC_DISPATCH(VerticalPass)(plan, source, first_row, out);
}

}  // namespace bioptimus::image::detail
#endif  // HWY_ONCE
