// The image layer: views, validation, compositing, and the vectorised
// kernels against the scalar oracle on awkward sizes.
#include <hwy/targets.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/image/resize.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/models/registry.hpp"
#include "resample.hpp"

namespace {

namespace image = bioptimus::image;
using image::Filter;
using image::ImageView;
using image::PixelFormat;

image::Image random_image(std::int64_t width, std::int64_t height, std::mt19937& random) {
  image::Image out(width, height);
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::uint8_t& value : out.bytes()) {
    value = static_cast<std::uint8_t>(byte(random));
  }
  return out;
}

image::Image scalar_resize(const ImageView& source, std::int64_t width, std::int64_t height, Filter filter,
                           bool antialias) {
  const image::ResamplePlan plan({.width = source.width, .height = source.height}, {.width = width, .height = height},
                                 filter, antialias);
  image::Image out(width, height);
  image::ResizeScratch scratch;
  image::detail::resample_rgb8(
      plan.data(), {.data = source.data, .width = source.width, .height = source.height, .stride = source.stride_bytes},
      {.data = out.bytes().data(), .width = width, .height = height, .stride = out.stride_bytes()}, scratch,
      image::detail::Kernels::scalar);
  return out;
}

}  // namespace

static void check_against_scalar(const image::Image& source, std::int64_t out_width, std::int64_t out_height) {
  for (const Filter filter : {Filter::bilinear, Filter::bicubic, Filter::lanczos, Filter::box}) {
    INFO(source.width() << "x" << source.height() << " -> " << out_width << "x" << out_height << " "
                        << image::to_string(filter));
    const image::Image fast = image::resize(source.view(), out_width, out_height, {.filter = filter});
    CHECK(fast == scalar_resize(source.view(), out_width, out_height, filter, true));
  }
}

static void check_against_scalar(int trials) {
  std::mt19937 random(7);
  std::uniform_int_distribution<std::int64_t> side(1, 70);
  for (int trial = 0; trial < trials; ++trial) {
    const std::int64_t width = side(random);
    const std::int64_t height = side(random);
    const std::int64_t out_width = side(random);
    const std::int64_t out_height = side(random);
    check_against_scalar(random_image(width, height, random), out_width, out_height);
  }
  // Shrinking by an integer factor makes the windows away from the edges
  // symmetric, which the vectorised passes fold (AxisPlan::symmetric): even
  // factors for every filter, odd ones for the box filter (an odd tap count,
  // so a middle tap), in both passes.
  const std::pair<std::int64_t, std::int64_t> factors[] = {{96, 48}, {96, 32}, {90, 18}, {64, 16}};
  for (const auto& [from, to] : factors) {
    check_against_scalar(random_image(from, from, random), to, to);
  }
}

TEST_CASE("vectorised kernels equal the scalar oracle on every size and filter", "[image]") {
  check_against_scalar(60);
}

TEST_CASE("every instruction set the library was built for equals the scalar oracle", "[image]") {
  // Forces Highway's dispatch to each target this CPU can run in turn.
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    INFO(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    check_against_scalar(12);
    // Normalisation: torch's float32 formula, bit for bit, whatever the vector width.
    const auto& spec = bioptimus::models::Registry::builtin().get(bioptimus::models::Models::h0_mini);
    const bioptimus::models::Preprocessor preprocess(spec);
    std::mt19937 random(11);
    const image::Image tile = random_image(224, 224, random);
    std::vector<float> out(static_cast<std::size_t>(preprocess.output_elements()));
    preprocess(tile.view(), out);
    std::int64_t wrong = 0;
    for (std::size_t c = 0; c < 3; ++c) {
      const auto mean = static_cast<float>(spec.mean()[c]);
      const auto std = static_cast<float>(spec.std()[c]);
      for (std::size_t p = 0; p < 224 * 224; ++p) {
        const float expected = (static_cast<float>(tile.bytes()[p * 3 + c]) / 255.0F - mean) / std;
        wrong += out[c * 224 * 224 + p] != expected ? 1 : 0;
      }
    }
    CHECK(wrong == 0);
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST_CASE("a padded stride and an identity resize", "[image]") {
  std::mt19937 random(3);
  const image::Image packed = random_image(37, 23, random);
  std::vector<std::uint8_t> padded(static_cast<std::size_t>(23 * 128));
  for (std::int64_t y = 0; y < 23; ++y) {
    std::memcpy(padded.data() + y * 128, packed.bytes().data() + y * 37 * 3, 37 * 3);
  }
  const ImageView strided{
      .data = padded.data(), .width = 37, .height = 23, .stride_bytes = 128, .format = PixelFormat::rgb8};
  CHECK(image::resize(strided, 19, 41) == image::resize(packed.view(), 19, 41));
  CHECK(image::resize(strided, 37, 23) == packed);
}

TEST_CASE("alpha is composited onto the background", "[image]") {
  // rgba8: straight alpha. Opaque, transparent, half.
  const std::uint8_t rgba[] = {10, 20, 30, 255, 10, 20, 30, 0, 200, 100, 0, 128};
  const ImageView view{.data = rgba, .width = 3, .height = 1, .stride_bytes = 12, .format = PixelFormat::rgba8};
  const image::Image white = image::to_rgb8(view);
  CHECK(std::vector<int>(white.bytes().begin(), white.bytes().end()) ==
        std::vector<int>{10, 20, 30, 255, 255, 255, (200 * 128 + 255 * 127 + 127) / 255,
                         (100 * 128 + 255 * 127 + 127) / 255, (255 * 127 + 127) / 255});
  const image::Image black = image::to_rgb8(view, {.red = 0, .green = 0, .blue = 0});
  CHECK(int{black.bytes()[3]} == 0);

  // OpenSlide's premultiplied ARGB: an opaque pixel, a transparent one, a half one.
  const std::uint32_t argb[] = {0xFF0A141EU, 0x00000000U, 0x80644000U};
  const ImageView slide{.data = reinterpret_cast<const std::uint8_t*>(argb),
                        .width = 3,
                        .height = 1,
                        .stride_bytes = 12,
                        .format = PixelFormat::argb32_premultiplied};
  const image::Image composited = image::to_rgb8(slide);
  CHECK(std::vector<int>(composited.bytes().begin(), composited.bytes().end()) ==
        std::vector<int>{10, 20, 30, 255, 255, 255, 100 + 127, 64 + 127, 127});
  // Resizing an alpha image is resizing its composite.
  CHECK(image::resize(slide, 5, 2) == image::resize(composited.view(), 5, 2));
}

TEST_CASE("bad views and plans are clear errors", "[image]") {
  std::vector<std::uint8_t> pixels(64 * 64 * 4);
  const ImageView good{.data = pixels.data(), .width = 8, .height = 8, .stride_bytes = 24, .format = PixelFormat::rgb8};
  auto with = [&](auto change) {
    ImageView view = good;
    change(view);
    return view;
  };
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(image::resize(with([](ImageView& v) { v.data = nullptr; }), 4, 4), Contains("null"));
  CHECK_THROWS_WITH(image::resize(with([](ImageView& v) { v.width = 0; }), 4, 4), Contains("0x8"));
  CHECK_THROWS_WITH(image::resize(with([](ImageView& v) { v.height = -3; }), 4, 4), Contains("8x-3"));
  CHECK_THROWS_WITH(image::resize(with([](ImageView& v) { v.stride_bytes = 23; }), 4, 4),
                    Contains("stride of 23 bytes is smaller than a row of 8 rgb8 pixels (24 bytes)"));
  CHECK_THROWS_WITH(image::resize(with([](ImageView& v) { v.format = static_cast<PixelFormat>(9); }), 4, 4),
                    Contains("unsupported pixel format"));
  CHECK_THROWS_WITH(image::resize(good, 0, 4), Contains("target size"));
  CHECK_THROWS_WITH(image::resize(good, 4, 4, {.filter = Filter::lanczos, .antialias = false}),
                    Contains("lanczos has no non-antialiased form"));
  image::Image small(4, 4);
  const image::ResamplePlan plan({.width = 8, .height = 8}, {.width = 5, .height = 5}, Filter::bicubic);
  image::ResizeScratch scratch;
  CHECK_THROWS_WITH(image::resize_into(good, plan, small.mutable_view(), scratch),
                    Contains("the plan makes 5x5 pixels, got 4x4"));
  image::Image rgba(5, 5, PixelFormat::rgba8);
  CHECK_THROWS_WITH(image::resize_into(good, plan, rgba.mutable_view(), scratch), Contains("expected rgb8"));
  CHECK_THROWS_AS(image::Image(0, 3), bioptimus::Error);
}
