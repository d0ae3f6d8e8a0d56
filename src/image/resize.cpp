// The public resize and conversion functions: validation, compositing of
// alpha, then the rgb8 resampling kernels.
#include "bioptimus/image/resize.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "bioptimus/error.hpp"
#include "resample.hpp"

namespace bioptimus::image {

std::uint8_t* ResizeScratch::reserve(std::size_t slot, std::size_t bytes) {
  constexpr std::size_t alignment = 64;  // a cache line, and the widest vector
  if (buffers_.size() <= slot) {
    buffers_.resize(slot + 1);
  }
  Buffer& buffer = buffers_[slot];
  if (buffer.capacity < bytes) {
    buffer.memory = std::make_unique_for_overwrite<std::uint8_t[]>(bytes + alignment);
    buffer.capacity = bytes;
    const auto address = reinterpret_cast<std::uintptr_t>(buffer.memory.get());
    buffer.aligned = buffer.memory.get() + (alignment - address % alignment) % alignment;
  }
  return buffer.aligned;
}

namespace detail {
namespace {

// round(value / 255) for value in [0, 255 * 255]; 255 is odd, so there are no ties.
constexpr std::uint32_t divide_by_255_rounded(std::uint32_t value) noexcept { return (value + 127) / 255; }

}  // namespace

void composite_to_rgb8(const ImageView& source, MutableRgb8Rows destination, Rgb8 background) noexcept {
  const std::uint32_t bg[3] = {background.red, background.green, background.blue};
  for (std::int64_t y = 0; y < source.height; ++y) {
    const std::uint8_t* in = source.data + y * source.stride_bytes;
    std::uint8_t* out = destination.data + y * destination.stride;
    switch (source.format) {
      case PixelFormat::rgb8:
        std::memcpy(out, in, static_cast<std::size_t>(source.width * 3));
        break;
      case PixelFormat::rgba8:
        for (std::int64_t x = 0; x < source.width; ++x) {
          const std::uint32_t alpha = in[x * 4 + 3];
          for (std::int64_t c = 0; c < 3; ++c) {
            const std::uint32_t value = in[x * 4 + c] * alpha + bg[c] * (255 - alpha);
            out[x * 3 + c] = static_cast<std::uint8_t>(divide_by_255_rounded(value));
          }
        }
        break;
      case PixelFormat::argb32_premultiplied:
        for (std::int64_t x = 0; x < source.width; ++x) {
          std::uint32_t pixel = 0;
          std::memcpy(&pixel, in + x * 4, sizeof pixel);
          const std::uint32_t alpha = pixel >> 24;
          const std::uint32_t premultiplied[3] = {(pixel >> 16) & 0xFFU, (pixel >> 8) & 0xFFU, pixel & 0xFFU};
          for (std::size_t c = 0; c < 3; ++c) {
            // A colour above its alpha is malformed; saturate rather than wrap.
            const std::uint32_t value = premultiplied[c] + divide_by_255_rounded(bg[c] * (255 - alpha));
            out[x * 3 + static_cast<std::int64_t>(c)] = static_cast<std::uint8_t>(std::min(value, 255U));
          }
        }
        break;
    }
  }
}

}  // namespace detail

namespace {

void check_destination(const MutableImageView& destination) {
  validate(destination, "destination");
  if (destination.format != PixelFormat::rgb8) {
    throw Error("destination: expected rgb8 pixels, got " + std::string(to_string(destination.format)));
  }
}

std::string size_text(std::int64_t width, std::int64_t height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

detail::MutableRgb8Rows rows_of(const MutableImageView& view) noexcept {
  return {.data = view.data, .width = view.width, .height = view.height, .stride = view.stride_bytes};
}

}  // namespace

void resize_into(const ImageView& source, const ResamplePlan& plan, const MutableImageView& destination,
                 ResizeScratch& scratch, Rgb8 background) {
  validate(source, "source");
  check_destination(destination);
  const Size from = plan.source();
  const Size to = plan.target();
  if (source.width != from.width || source.height != from.height) {
    throw Error("source: the plan is for " + size_text(from.width, from.height) + " pixels, got " +
                size_text(source.width, source.height));
  }
  if (destination.width != to.width || destination.height != to.height) {
    throw Error("destination: the plan makes " + size_text(to.width, to.height) + " pixels, got " +
                size_text(destination.width, destination.height));
  }
  detail::Rgb8Rows rgb{
      .data = source.data, .width = source.width, .height = source.height, .stride = source.stride_bytes};
  if (source.format != PixelFormat::rgb8) {
    const std::int64_t stride = source.width * 3;
    std::uint8_t* composited =
        scratch.reserve(detail::composited_slot, static_cast<std::size_t>(stride * source.height));
    detail::composite_to_rgb8(
        source, {.data = composited, .width = source.width, .height = source.height, .stride = stride}, background);
    rgb = {.data = composited, .width = source.width, .height = source.height, .stride = stride};
  }
  detail::resample_rgb8(plan.data(), rgb, rows_of(destination), scratch, detail::Kernels::best);
}

void resize_into(const ImageView& source, const MutableImageView& destination, const ResizeOptions& options) {
  validate(source, "source");
  check_destination(destination);
  const ResamplePlan plan({.width = source.width, .height = source.height},
                          {.width = destination.width, .height = destination.height}, options.filter,
                          options.antialias);
  ResizeScratch scratch;
  resize_into(source, plan, destination, scratch, options.background);
}

Image resize(const ImageView& source, std::int64_t width, std::int64_t height, const ResizeOptions& options) {
  validate(source, "source");
  const ResamplePlan plan({.width = source.width, .height = source.height}, {.width = width, .height = height},
                          options.filter, options.antialias);
  Image out(width, height, PixelFormat::rgb8);
  ResizeScratch scratch;
  resize_into(source, plan, out.mutable_view(), scratch, options.background);
  return out;
}

void to_rgb8_into(const ImageView& source, const MutableImageView& destination, Rgb8 background) {
  validate(source, "source");
  check_destination(destination);
  if (source.width != destination.width || source.height != destination.height) {
    throw Error("destination: expected " + size_text(source.width, source.height) + " pixels like the source, got " +
                size_text(destination.width, destination.height));
  }
  detail::composite_to_rgb8(source, rows_of(destination), background);
}

Image to_rgb8(const ImageView& source, Rgb8 background) {
  validate(source, "source");
  Image out(source.width, source.height, PixelFormat::rgb8);
  to_rgb8_into(source, out.mutable_view(), background);
  return out;
}

}  // namespace bioptimus::image
