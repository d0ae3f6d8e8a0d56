// LayerNorm and the bf16 conversion, compiled once per instruction set by
// Highway and chosen at run time (the library is never built for one
// machine's -march).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels.hpp"
#include "simd_store.hpp"

HWY_BEFORE_NAMESPACE();
namespace bioptimus::engine::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Two passes, as torch: the mean, then the mean squared deviation from it
// (no cancellation, whatever the offset of the row).
void LayerNormRows(const float* in, std::int64_t in_stride, std::int64_t rows, std::int64_t dim, const float* weight,
                   const float* bias, float eps, Destination out, std::int64_t out_stride) {
  const hn::ScalableTag<float> d;
  const std::size_t lanes = hn::Lanes(d);
  const auto n = static_cast<std::size_t>(dim);
  const std::size_t whole = n / lanes * lanes;
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* x = in + r * in_stride;
    auto sum0 = hn::Zero(d);
    auto sum1 = hn::Zero(d);
    std::size_t i = 0;
    for (; i + 2 * lanes <= whole; i += 2 * lanes) {
      sum0 = hn::Add(sum0, hn::LoadU(d, x + i));
      sum1 = hn::Add(sum1, hn::LoadU(d, x + i + lanes));
    }
    for (; i < whole; i += lanes) {
      sum0 = hn::Add(sum0, hn::LoadU(d, x + i));
    }
    float total = hn::GetLane(hn::SumOfLanes(d, hn::Add(sum0, sum1)));
    for (; i < n; ++i) {
      total += x[i];
    }
    const float mean = total / static_cast<float>(dim);
    const auto vmean = hn::Set(d, mean);
    auto sq0 = hn::Zero(d);
    auto sq1 = hn::Zero(d);
    i = 0;
    for (; i + 2 * lanes <= whole; i += 2 * lanes) {
      const auto a = hn::Sub(hn::LoadU(d, x + i), vmean);
      const auto b = hn::Sub(hn::LoadU(d, x + i + lanes), vmean);
      sq0 = hn::MulAdd(a, a, sq0);
      sq1 = hn::MulAdd(b, b, sq1);
    }
    for (; i < whole; i += lanes) {
      const auto a = hn::Sub(hn::LoadU(d, x + i), vmean);
      sq0 = hn::MulAdd(a, a, sq0);
    }
    float squares = hn::GetLane(hn::SumOfLanes(d, hn::Add(sq0, sq1)));
    for (; i < n; ++i) {
      squares += (x[i] - mean) * (x[i] - mean);
    }
    const float inverse = 1.0F / std::sqrt(squares / static_cast<float>(dim) + eps);
    const auto vinverse = hn::Set(d, inverse);
    const auto row = static_cast<std::size_t>(r * out_stride);
    for (i = 0; i < whole; i += lanes) {
      const auto centred = hn::Mul(hn::Sub(hn::LoadU(d, x + i), vmean), vinverse);
      StoreTo(d, hn::MulAdd(centred, hn::LoadU(d, weight + i), hn::LoadU(d, bias + i)), out, row + i);
    }
    for (; i < n; ++i) {
      StoreScalarTo((x[i] - mean) * inverse * weight[i] + bias[i], out, row + i);
    }
  }
}

void ToBf16(const float* in, std::size_t count, Bf16Bits* out) {
  const hn::ScalableTag<float> d;
  const std::size_t lanes = hn::Lanes(d);
  const Destination target{.data = out, .bf16 = true};
  std::size_t i = 0;
  for (; i + lanes <= count; i += lanes) {
    StoreTo(d, hn::LoadU(d, in + i), target, i);
  }
  for (; i < count; ++i) {
    StoreScalarTo(in[i], target, i);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace bioptimus::engine::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bioptimus::engine::detail {

HWY_EXPORT(LayerNormRows);
HWY_EXPORT(ToBf16);

void layer_norm(const float* in, std::int64_t in_stride, std::int64_t rows, std::int64_t dim, const float* weight,
                const float* bias, float eps, Destination out, std::int64_t out_stride) {
  HWY_DYNAMIC_DISPATCH(LayerNormRows)(in, in_stride, rows, dim, weight, bias, eps, out, out_stride);
}

void to_bf16(const float* in, std::size_t count, Bf16Bits* out) { HWY_DYNAMIC_DISPATCH(ToBf16)(in, count, out); }

}  // namespace bioptimus::engine::detail
#endif  // HWY_ONCE
