// Claim (bioptimus/error.hpp, mpp.hpp): an MPP literal that is not a finite
// number > 0 is a compile error in a constant expression.
// clang-format off
// CASE NEGATIVE: throw_validation_error|in call to 'MPP\(-5
// CASE ZERO: throw_validation_error|in call to 'MPP\(0
// CASE NAN: throw_validation_error|in call to 'MPP\(nan
// CASE INFINITY: throw_validation_error|in call to 'MPP\(INF
// clang-format on
#include <limits>

#include "bioptimus/io/wsi/mpp.hpp"

using bioptimus::io::wsi::MPP;

#if defined(BIOPTIMUS_FAIL_NEGATIVE)
constexpr MPP mpp{-0.5};
#elif defined(BIOPTIMUS_FAIL_ZERO)
constexpr MPP mpp{0.0};
#elif defined(BIOPTIMUS_FAIL_NAN)
constexpr MPP mpp{std::numeric_limits<double>::quiet_NaN()};
#elif defined(BIOPTIMUS_FAIL_INFINITY)
constexpr MPP mpp{std::numeric_limits<double>::infinity()};
#else
constexpr MPP mpp{0.5};
#endif
static_assert(mpp.microns_per_pixel() > 0.0);
