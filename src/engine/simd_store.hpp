// Per-target helpers shared by the engine's Highway kernels (internal):
// storing a vector of floats as fp32 or as bf16. Included inside
// HWY_NAMESPACE once per instruction set, hence no include guard of the
// usual kind (the Highway per-target toggle instead).
#if defined(BIOPTIMUS_SRC_ENGINE_SIMD_STORE_HPP) == defined(HWY_TARGET_TOGGLE)
#ifdef BIOPTIMUS_SRC_ENGINE_SIMD_STORE_HPP
#undef BIOPTIMUS_SRC_ENGINE_SIMD_STORE_HPP
#else
#define BIOPTIMUS_SRC_ENGINE_SIMD_STORE_HPP
#endif

#include <hwy/highway.h>

#include <cstdint>
#include <cstring>

#include "kernels.hpp"

HWY_BEFORE_NAMESPACE();
namespace bioptimus::engine::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The bf16 bits of one float, rounded to nearest even; a NaN is made quiet
// first so that rounding cannot carry it into an infinity.
inline Bf16Bits ScalarToBf16(float value) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  if (value != value) {
    bits |= 0x00400000U;
  }
  bits += 0x7FFFU + ((bits >> 16U) & 1U);
  return static_cast<Bf16Bits>(bits >> 16U);
}

// Stores the lanes of `v` at element `index` of `out`.
template <class D>
HWY_INLINE void StoreTo(D d, hn::Vec<D> v, Destination out, std::size_t index) {
  if (!out.bf16) {
    hn::StoreU(v, d, static_cast<float*>(out.data) + index);
    return;
  }
#if HWY_TARGET == HWY_SCALAR
  static_cast<Bf16Bits*>(out.data)[index] = ScalarToBf16(hn::GetLane(v));
#else
  const hn::RebindToUnsigned<D> du;
  const hn::RebindToSigned<D> di;
  const hn::Rebind<std::uint16_t, D> d16;
  auto bits = hn::BitCast(du, v);
  const auto nan = hn::RebindMask(du, hn::Ne(v, v));
  bits = hn::IfThenElse(nan, hn::Or(bits, hn::Set(du, 0x00400000U)), bits);
  const auto odd = hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 1U));
  bits = hn::Add(bits, hn::Add(hn::Set(du, 0x7FFFU), odd));
  const auto upper = hn::BitCast(di, hn::ShiftRight<16>(bits));
  hn::StoreU(hn::DemoteTo(d16, upper), d16, static_cast<Bf16Bits*>(out.data) + index);
#endif
}

// One float at element `index` of `out`.
HWY_INLINE void StoreScalarTo(float value, Destination out, std::size_t index) {
  if (out.bf16) {
    static_cast<Bf16Bits*>(out.data)[index] = ScalarToBf16(value);
  } else {
    static_cast<float*>(out.data)[index] = value;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace bioptimus::engine::detail
HWY_AFTER_NAMESPACE();

#endif  // BIOPTIMUS_SRC_ENGINE_SIMD_STORE_HPP toggle
