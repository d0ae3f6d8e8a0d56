// Claim (bioptimus/io/wsi/level.hpp): a Level is a whole number; building one
// from a floating-point value is a compile error, not a truncation.
// clang-format off
// CASE DOUBLE: use of deleted function|call to deleted constructor
// CASE FLOAT: use of deleted function|call to deleted constructor
// CASE LONG_DOUBLE: use of deleted function|call to deleted constructor
// clang-format on
#include "bioptimus/io/wsi/level.hpp"

using bioptimus::io::wsi::Level;

#if defined(BIOPTIMUS_FAIL_DOUBLE)
const Level level{1.0};
#elif defined(BIOPTIMUS_FAIL_FLOAT)
const Level level{1.0F};
#elif defined(BIOPTIMUS_FAIL_LONG_DOUBLE)
const Level level{1.0L};
#else
const Level level{1};
#endif
