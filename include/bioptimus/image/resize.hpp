// bioptimus/image/resize.hpp
//
// Resizing exactly as Pillow 9.4 does it (`Image.resize`), so a C++ pipeline
// feeds a model the pixels it was trained on:
//
//   bioptimus::image::Image tile = bioptimus::image::resize(region, 224, 224);  // bicubic, antialiased
//
// The filters are Pillow's: nearest, bilinear, bicubic (a = -0.5), lanczos
// (a = 3) and box. With `antialias` (Pillow always antialiases) the filter's
// support is stretched by the scale when shrinking, samples sit at pixel
// centres, coefficients are 22-bit fixed point, and the image is rounded and
// clipped to 8 bits after the horizontal pass and again after the vertical
// one. Without `antialias`, nearest, bilinear and bicubic reproduce
// torchvision's tensor resize with antialias=False instead (bicubic a = -0.75,
// within one 8-bit step); lanczos and box have no such form and are refused.
//
// A source with alpha is first composited onto a background colour (white by
// default) and then resized as RGB; see `to_rgb8`.
//
// For many tiles of the same size, build the ResamplePlan once and give each
// thread its own ResizeScratch: the per-call overloads then allocate nothing.
//
// Link `bioptimus::image`.
#ifndef BIOPTIMUS_IMAGE_RESIZE_HPP
#define BIOPTIMUS_IMAGE_RESIZE_HPP

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "bioptimus/image/image.hpp"

namespace bioptimus::image {

/// Pillow's resampling filters (`Image.Resampling`), by the spec's names.
enum class Filter : std::uint8_t { nearest, bilinear, bicubic, lanczos, box };

/// "nearest", "bilinear", "bicubic", "lanczos", "box".
[[nodiscard]] constexpr std::string_view to_string(Filter filter) noexcept {
  switch (filter) {
    case Filter::nearest:
      return "nearest";
    case Filter::bilinear:
      return "bilinear";
    case Filter::bicubic:
      return "bicubic";
    case Filter::lanczos:
      return "lanczos";
    case Filter::box:
      return "box";
  }
  return "unknown";
}

/// An 8-bit RGB colour.
struct Rgb8 {
  std::uint8_t red = 0;
  std::uint8_t green = 0;
  std::uint8_t blue = 0;

  friend constexpr bool operator==(const Rgb8&, const Rgb8&) = default;
};

/// The default background behind transparent pixels: slide areas outside the
/// scan look like empty glass, not like black tissue.
inline constexpr Rgb8 white{.red = 255, .green = 255, .blue = 255};

/// Width and height in pixels.
struct Size {
  std::int64_t width = 0;
  std::int64_t height = 0;

  friend constexpr bool operator==(const Size&, const Size&) = default;
};

/// How to resize.
struct ResizeOptions {
  Filter filter = Filter::bicubic;
  /// Pillow's behaviour (true) or torchvision's tensor resize with antialias=False.
  bool antialias = true;
  /// What transparent pixels are composited onto.
  Rgb8 background = white;
};

/// The weights of one axis of an antialiased resampling: Pillow's
/// `precompute_coeffs`, which torch's `interpolate(..., antialias=True)`
/// (bilinear, bicubic) computes alike. Output sample `i` is the sum over `t` of
/// `weights[i * taps + t]` times source sample `first[i] + t`, for `t` below
/// `count[i]`; the weights of one output sum to 1 and are zero padded to `taps`.
struct FilterWeights {
  std::int32_t taps = 0;
  std::vector<std::int32_t> first;
  std::vector<std::int32_t> count;
  std::vector<double> weights;
};

/// The antialiased weights from `input_size` to `output_size` samples (each in
/// [1, 2^20]) for `filter` (not nearest). Throws bioptimus::Error otherwise.
[[nodiscard]] FilterWeights antialiased_filter_weights(std::int64_t input_size, std::int64_t output_size,
                                                       Filter filter);

namespace detail {
struct ResamplePlanData;
}  // namespace detail

/// The resampling coefficients for one (source size, target size, filter,
/// antialias): Pillow's `precompute_coeffs` for both axes, computed once and
/// shared by every tile of that size. Cheap to copy; immutable.
class ResamplePlan {
 public:
  /// Throws bioptimus::Error for a size of 0 or lanczos/box without antialias.
  ResamplePlan(Size source, Size target, Filter filter, bool antialias = true);

  [[nodiscard]] Size source() const noexcept;
  [[nodiscard]] Size target() const noexcept;
  [[nodiscard]] Filter filter() const noexcept;
  [[nodiscard]] bool antialias() const noexcept;
  /// Same size in and out: resizing is a copy, as in Pillow.
  [[nodiscard]] bool is_identity() const noexcept;

  /// For the kernels: the coefficients and bounds.
  [[nodiscard]] const detail::ResamplePlanData& data() const noexcept { return *data_; }

 private:
  std::shared_ptr<const detail::ResamplePlanData> data_;
};

/// Working memory for one thread's resizes. It grows on first use to what the
/// largest plan needs and is reused afterwards; never share one between threads.
class ResizeScratch {
 public:
  ResizeScratch() = default;

  /// For the kernels: `bytes` bytes of 64-byte aligned memory, valid until the next call.
  [[nodiscard]] std::uint8_t* reserve(std::size_t slot, std::size_t bytes);

 private:
  struct Buffer {
    std::unique_ptr<std::uint8_t[]> memory;
    std::size_t capacity = 0;
    std::uint8_t* aligned = nullptr;
  };
  std::vector<Buffer> buffers_;
};

/// Resizes `source` (any format) into `destination` (rgb8, of the plan's
/// target size), compositing alpha onto `background` first. Throws
/// bioptimus::Error when either view is invalid or does not match the plan.
void resize_into(const ImageView& source, const ResamplePlan& plan, const MutableImageView& destination,
                 ResizeScratch& scratch, Rgb8 background = white);

/// Resizes `source` into `destination` (rgb8, any size), planning on the spot.
void resize_into(const ImageView& source, const MutableImageView& destination, const ResizeOptions& options = {});

/// `source` resized to `width` x `height`, as a new rgb8 Image.
[[nodiscard]] Image resize(const ImageView& source, std::int64_t width, std::int64_t height,
                           const ResizeOptions& options = {});

/// Converts any format to rgb8 without resizing. A pixel of alpha a is
/// composited onto `background`: rgba8 gives round((c * a + bg * (255 - a)) / 255),
/// premultiplied argb32 gives min(255, c + round(bg * (255 - a) / 255)). A fully
/// transparent pixel becomes `background`, where openslide-python's
/// `read_region(...).convert("RGB")` gives black.
void to_rgb8_into(const ImageView& source, const MutableImageView& destination, Rgb8 background = white);

/// As above, into a new Image.
[[nodiscard]] Image to_rgb8(const ImageView& source, Rgb8 background = white);

}  // namespace bioptimus::image

#endif  // BIOPTIMUS_IMAGE_RESIZE_HPP
