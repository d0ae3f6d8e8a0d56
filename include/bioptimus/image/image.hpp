// bioptimus/image/image.hpp
//
// Pixels as the library sees them: a non-owning ImageView over 8-bit pixels
// (a region read from a slide, a decoded PNG, a tile in a batch) and an
// owning Image whose bytes are allocated once, at construction.
//
// Link `bioptimus::image`.
#ifndef BIOPTIMUS_IMAGE_IMAGE_HPP
#define BIOPTIMUS_IMAGE_IMAGE_HPP

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/error.hpp"

namespace bioptimus::image {

/// How the bytes of one pixel are laid out.
enum class PixelFormat : std::uint8_t {
  /// 3 bytes: red, green, blue.
  rgb8,
  /// 4 bytes: red, green, blue, alpha (straight, not premultiplied).
  rgba8,
  /// One native-endian `uint32_t` per pixel, `(a << 24) | (r << 16) | (g << 8) | b`,
  /// with r, g and b premultiplied by a: what `openslide_read_region` writes.
  argb32_premultiplied,
};

/// Bytes per pixel of `format`.
[[nodiscard]] constexpr std::int64_t bytes_per_pixel(PixelFormat format) noexcept {
  return format == PixelFormat::rgb8 ? 3 : 4;
}

/// Whether `format` carries an alpha channel.
[[nodiscard]] constexpr bool has_alpha(PixelFormat format) noexcept { return format != PixelFormat::rgb8; }

/// The name of `format` as written in messages: "rgb8", "rgba8", "argb32_premultiplied".
[[nodiscard]] constexpr std::string_view to_string(PixelFormat format) noexcept {
  switch (format) {
    case PixelFormat::rgb8:
      return "rgb8";
    case PixelFormat::rgba8:
      return "rgba8";
    case PixelFormat::argb32_premultiplied:
      return "argb32_premultiplied";
  }
  return "unknown";
}

/// A read-only window on pixels owned by someone else. Row `y` starts at
/// `data + y * stride_bytes`; a row holds `width * bytes_per_pixel(format)`
/// bytes, and `stride_bytes` may be larger (padding, or a crop of a bigger
/// image). Build it with designated initializers:
/// `ImageView{.data = p, .width = w, .height = h, .stride_bytes = w * 3, .format = PixelFormat::rgb8}`.
struct ImageView {
  const std::uint8_t* data = nullptr;
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::int64_t stride_bytes = 0;
  PixelFormat format = PixelFormat::rgb8;
};

/// A writable window on pixels owned by someone else; same layout as ImageView.
struct MutableImageView {
  std::uint8_t* data = nullptr;
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::int64_t stride_bytes = 0;
  PixelFormat format = PixelFormat::rgb8;

  [[nodiscard]] constexpr operator ImageView() const noexcept {  // NOLINT(google-explicit-constructor)
    return ImageView{.data = data, .width = width, .height = height, .stride_bytes = stride_bytes, .format = format};
  }
};

namespace detail {

[[noreturn]] inline void throw_bad_view(std::string_view what, const std::string& message) {
  throw Error(std::string(what) + ": " + message);
}

inline void check_view(std::string_view what, const std::uint8_t* data, std::int64_t width, std::int64_t height,
                       std::int64_t stride_bytes, PixelFormat format) {
  if (format != PixelFormat::rgb8 && format != PixelFormat::rgba8 && format != PixelFormat::argb32_premultiplied) {
    throw_bad_view(what, "unsupported pixel format " + std::to_string(static_cast<int>(format)));
  }
  if (data == nullptr) {
    throw_bad_view(what, "pixel data is null");
  }
  // 2^20 pixels a side is far beyond any tile or region a pipeline reads in
  // one piece, and keeps every byte offset well inside std::int64_t.
  constexpr std::int64_t max_side = std::int64_t{1} << 20;
  if (width <= 0 || height <= 0 || width > max_side || height > max_side) {
    throw_bad_view(what, "expected a width and a height in [1, " + std::to_string(max_side) + "], got " +
                             std::to_string(width) + "x" + std::to_string(height));
  }
  const std::int64_t row_bytes = width * bytes_per_pixel(format);
  constexpr std::int64_t max_stride = std::int64_t{1} << 40;  // keeps stride * height inside std::int64_t
  if (stride_bytes < row_bytes || stride_bytes > max_stride) {
    throw_bad_view(what, "row stride of " + std::to_string(stride_bytes) + " bytes is smaller than a row of " +
                             std::to_string(width) + " " + std::string(to_string(format)) + " pixels (" +
                             std::to_string(row_bytes) + " bytes)");
  }
  if (format == PixelFormat::argb32_premultiplied &&
      (reinterpret_cast<std::uintptr_t>(data) % alignof(std::uint32_t) != 0 || stride_bytes % 4 != 0)) {
    throw_bad_view(what, "argb32_premultiplied pixels must be 4-byte aligned (data and stride)");
  }
}

}  // namespace detail

/// Throws bioptimus::Error naming `what` when `view` cannot be read safely:
/// null data, a width or height of 0 (or absurdly large), a stride smaller
/// than a row, an unknown format, misaligned argb32 pixels.
inline void validate(const ImageView& view, std::string_view what = "image") {
  detail::check_view(what, view.data, view.width, view.height, view.stride_bytes, view.format);
}

/// As above, for a destination.
inline void validate(const MutableImageView& view, std::string_view what = "destination") {
  detail::check_view(what, view.data, view.width, view.height, view.stride_bytes, view.format);
}

/// An image that owns its pixels: rows packed without padding, allocated once
/// at construction and never reallocated.
class Image {
 public:
  /// A `width` x `height` image of `format`, every byte 0.
  Image(std::int64_t width, std::int64_t height, PixelFormat format = PixelFormat::rgb8)
      : width_(width), height_(height), format_(format) {
    constexpr std::int64_t max_side = std::int64_t{1} << 20;
    if (width <= 0 || height <= 0 || width > max_side || height > max_side) {
      throw Error("Image: expected a width and a height in [1, " + std::to_string(max_side) + "], got " +
                  std::to_string(width) + "x" + std::to_string(height));
    }
    bytes_.resize(static_cast<std::size_t>(width * height * bytes_per_pixel(format)));
  }

  [[nodiscard]] std::int64_t width() const noexcept { return width_; }
  [[nodiscard]] std::int64_t height() const noexcept { return height_; }
  [[nodiscard]] PixelFormat format() const noexcept { return format_; }
  [[nodiscard]] std::int64_t stride_bytes() const noexcept { return width_ * bytes_per_pixel(format_); }

  [[nodiscard]] ImageView view() const noexcept {
    return ImageView{
        .data = bytes_.data(), .width = width_, .height = height_, .stride_bytes = stride_bytes(), .format = format_};
  }
  [[nodiscard]] MutableImageView mutable_view() noexcept {
    return MutableImageView{
        .data = bytes_.data(), .width = width_, .height = height_, .stride_bytes = stride_bytes(), .format = format_};
  }

  /// All pixel bytes, row after row.
  [[nodiscard]] std::span<std::uint8_t> bytes() noexcept { return bytes_; }
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }

  friend bool operator==(const Image&, const Image&) = default;

 private:
  std::int64_t width_;
  std::int64_t height_;
  PixelFormat format_;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace bioptimus::image

#endif  // BIOPTIMUS_IMAGE_IMAGE_HPP
