// Claim (bioptimus/models/models.hpp): Models is a scoped enum, so a bare
// integer never becomes a model implicitly, neither in an initialisation nor
// as an argument. (`Models{2}` and `static_cast<Models>(2)` do compile, as
// for every scoped enum since C++17: they are explicit, not claimed here.)
// clang-format off
// CASE COPY_INITIALIZATION: convert 'int' to 'const bioptimus::models::Models'|type 'const bioptimus::models::Models' with an rvalue of type 'int'
// CASE ARGUMENT: (convert|conversion from) 'int' to 'bioptimus::models::Models'
// CASE TO_INTEGER: convert 'bioptimus::models::Models' to 'const int'|type 'const int' with an rvalue of type 'bioptimus::models::Models'
// clang-format on
#include "bioptimus/models/models.hpp"

using bioptimus::models::Models;

namespace {

constexpr bool is_h0_mini(Models model) { return model == Models::h0_mini; }

#if defined(BIOPTIMUS_FAIL_COPY_INITIALIZATION)
constexpr Models model = 2;
#else
constexpr Models model = Models::h0_mini;
#endif

#if defined(BIOPTIMUS_FAIL_ARGUMENT)
static_assert(is_h0_mini(2));
#else
static_assert(is_h0_mini(model));
#endif

#if defined(BIOPTIMUS_FAIL_TO_INTEGER)
constexpr int index = Models::h0_mini;
#else
constexpr int index = static_cast<int>(Models::h0_mini);
#endif
static_assert(index == 2);

}  // namespace
