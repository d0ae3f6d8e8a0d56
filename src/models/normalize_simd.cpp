// Normalisation vectorised with Highway. IEEE division and subtraction round
// the same in every lane as in scalar code, so computing torch's formula
// lane-wise gives torch's float32 values bit for bit.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "normalize_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <cstdint>

#include "normalize.hpp"

HWY_BEFORE_NAMESPACE();
namespace bioptimus::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void NormalizeToFloat32(const NormalizeJob& job) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<std::uint8_t, decltype(df)> d8;
  const auto lanes = static_cast<std::int64_t>(hn::Lanes(df));
  const std::int64_t plane = job.width * job.height;
  const auto max_value = hn::Set(df, 255.0F);
  for (std::int64_t y = 0; y < job.height; ++y) {
    const std::uint8_t* in = job.pixels + y * job.stride;
    float* out[3];
    for (int c = 0; c < 3; ++c) {
      out[c] = job.out + c * plane + y * job.width;
    }
    std::int64_t x = 0;
    for (; x + lanes <= job.width; x += lanes) {  // LoadInterleaved3 reads exactly 3 * lanes bytes
      hn::Vec<decltype(d8)> channel[3];
      hn::LoadInterleaved3(d8, in + x * 3, channel[0], channel[1], channel[2]);
      for (int c = 0; c < 3; ++c) {
        const auto value =
            hn::ConvertTo(df, hn::PromoteTo(di, channel[job.source_channel[static_cast<std::size_t>(c)]]));
        const auto scaled = hn::Div(value, max_value);
        const auto centred = hn::Sub(scaled, hn::Set(df, job.mean[static_cast<std::size_t>(c)]));
        hn::StoreU(hn::Div(centred, hn::Set(df, job.std[static_cast<std::size_t>(c)])), df, out[c] + x);
      }
    }
    for (; x < job.width; ++x) {
      for (std::size_t c = 0; c < 3; ++c) {
        out[c][x] = normalize_value(in[x * 3 + job.source_channel[c]], job.mean[c], job.std[c]);
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace bioptimus::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bioptimus::detail {

HWY_EXPORT(NormalizeToFloat32);

void normalize_to_float32(const NormalizeJob& job) noexcept { HWY_DYNAMIC_DISPATCH(NormalizeToFloat32)(job); }

}  // namespace bioptimus::detail
#endif  // HWY_ONCE
