// reinhard_back_to_rgb compiled once per instruction set (Highway's
// targets) and chosen at run time: where the target has fused multiply-add,
// std::fma is one instruction; elsewhere it stays libm's (exact) fma.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "reinhard_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "reinhard_kernel.hpp"

HWY_BEFORE_NAMESPACE();
namespace bioptimus::detail::stain {
namespace HWY_NAMESPACE {

void ReinhardBackToRgb(const ReinhardJob& job) { reinhard_back_to_rgb(job); }

}  // namespace HWY_NAMESPACE
}  // namespace bioptimus::detail::stain
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bioptimus::detail::stain {

HWY_EXPORT(ReinhardBackToRgb);

void reinhard_back_to_rgb_dispatched(const ReinhardJob& job) noexcept { HWY_DYNAMIC_DISPATCH(ReinhardBackToRgb)(job); }

}  // namespace bioptimus::detail::stain
#endif  // HWY_ONCE
