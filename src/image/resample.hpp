// The resample plan's data and the kernels that apply it (internal).
#ifndef BIOPTIMUS_SRC_IMAGE_RESAMPLE_HPP
#define BIOPTIMUS_SRC_IMAGE_RESAMPLE_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bioptimus/image/resize.hpp"

namespace bioptimus::image::detail {

/// Pillow keeps coefficients as integers with this many fractional bits: 32
/// bits minus 8 for the pixel value minus 2 so that a sum whose negative lobes
/// or overshoot leave [0, 1] still fits in an int32 (Resample.c, PRECISION_BITS).
inline constexpr int precision_bits = 32 - 8 - 2;
/// Added before the final shift so that it rounds half up instead of flooring.
inline constexpr std::int32_t rounding_bias = std::int32_t{1} << (precision_bits - 1);

/// The coefficients of one axis. For Pillow's filters output `i` reads
/// `count[i]` consecutive source pixels from `first[i]` with the fixed-point
/// weights `coefficients[i * taps ...]` (zero padded to `taps`). For
/// torchvision's non-antialiased tensor resize, `index[i * taps + t]` names the
/// (edge-clamped) source pixel of tap t and `weights` its float weight.
struct AxisPlan {
  std::int32_t input_size = 0;
  std::int32_t output_size = 0;
  std::int32_t taps = 0;
  std::vector<std::int32_t> first;
  std::vector<std::int32_t> count;
  std::vector<std::int32_t> coefficients;
  /// Per output: its coefficients read the same backwards (k[t] ==
  /// k[count - 1 - t]), as every window away from the edges does. The
  /// vectorised passes then add each pixel to its mirror before multiplying,
  /// half the multiplies; integer sums are exact, so the result is the same.
  std::vector<std::uint8_t> symmetric;
  std::vector<std::int32_t> index;
  std::vector<float> weights;
};

enum class Method : std::uint8_t {
  copy,              // same size: Pillow copies
  pillow_nearest,    // Pillow's affine nearest-neighbour path
  pillow_separable,  // Pillow's two-pass convolution
  torch_nearest,     // torch.nn.functional.interpolate(mode="nearest")
  torch_separable,   // interpolate(mode="bilinear"|"bicubic", align_corners=False, antialias=False)
};

struct ResamplePlanData {
  Size source;
  Size target;
  Filter filter = Filter::bicubic;
  bool antialias = true;
  Method method = Method::copy;
  bool need_horizontal = false;
  bool need_vertical = false;
  /// Source rows the vertical pass reads: the horizontal pass skips the others.
  std::int32_t first_row = 0;
  std::int32_t end_row = 0;
  AxisPlan horizontal;
  AxisPlan vertical;
};

/// A packed rgb8 image: rows of `width * 3` bytes, `stride` bytes apart.
struct Rgb8Rows {
  const std::uint8_t* data;
  std::int64_t width;
  std::int64_t height;
  std::int64_t stride;
};
struct MutableRgb8Rows {
  std::uint8_t* data;
  std::int64_t width;
  std::int64_t height;
  std::int64_t stride;
};

/// Pillow's horizontal pass on source rows [first_row, first_row + out.height)
/// into `out` (of the plan's target width). Scalar: the oracle.
void horizontal_pass_scalar(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row,
                            MutableRgb8Rows out) noexcept;
/// Pillow's vertical pass into `out`; `source` holds source rows from
/// `first_row` on (the rows the horizontal pass produced). Scalar: the oracle.
void vertical_pass_scalar(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) noexcept;

/// The vectorised horizontal pass handles images up to this wide (wider ones
/// go through the scalar pass): its scratch grows with the width.
inline constexpr std::int64_t max_vector_columns = 16384;
/// Bytes of the scratch the vectorised horizontal pass needs: a block of 16
/// rows as int32 (64 bytes) per channel per source pixel, then as bytes per
/// channel per output pixel.
[[nodiscard]] constexpr std::size_t horizontal_columns_bytes(const AxisPlan& plan) noexcept {
  return static_cast<std::size_t>(std::min<std::int64_t>(plan.input_size, max_vector_columns)) * 3 * 64 +
         static_cast<std::size_t>(std::min<std::int64_t>(plan.output_size, max_vector_columns)) * 3 * 16;
}

/// The same passes, vectorised for the best instruction set this CPU has.
/// The horizontal pass uses `columns` as scratch, 64-byte aligned and
/// horizontal_columns_bytes(plan) long.
void horizontal_pass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out,
                     std::int32_t* columns) noexcept;
void vertical_pass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) noexcept;

/// The ResizeScratch buffers a resize uses: the horizontal pass's output, the
/// source composited to rgb8 (sources with alpha), the vectorised pass's columns.
inline constexpr std::size_t horizontal_output_slot = 0;
inline constexpr std::size_t composited_slot = 1;
inline constexpr std::size_t columns_slot = 2;

/// Which implementation the passes use; tests compare both.
enum class Kernels : std::uint8_t { best, scalar };

/// The whole resize of an rgb8 source with the chosen kernels (sizes already checked).
void resample_rgb8(const ResamplePlanData& plan, Rgb8Rows source, MutableRgb8Rows destination, ResizeScratch& scratch,
                   Kernels kernels) noexcept;

/// Compositing onto the background, rows already checked.
void composite_to_rgb8(const ImageView& source, MutableRgb8Rows destination, Rgb8 background) noexcept;

}  // namespace bioptimus::image::detail

#endif  // BIOPTIMUS_SRC_IMAGE_RESAMPLE_HPP
