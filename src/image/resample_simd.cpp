// The vectorised resampling passes.
#include "resample.hpp"

namespace bioptimus::image::detail {

void horizontal_pass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) noexcept {
  horizontal_pass_scalar(plan, source, first_row, out);
}

void vertical_pass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) noexcept {
  vertical_pass_scalar(plan, source, first_row, out);
}

}  // namespace bioptimus::image::detail
