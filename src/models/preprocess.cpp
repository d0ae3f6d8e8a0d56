// The Preprocessor: plan cache, per-thread working memory, the batch loop and
// the float16/bfloat16 rounding.
#include "bioptimus/models/preprocess.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bioptimus/error.hpp"
#include "normalize.hpp"
#include "stain_kernels.hpp"

namespace bioptimus::models {

std::uint16_t to_float16_bits(float value) noexcept {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000U);
  const std::uint32_t magnitude = bits & 0x7FFFFFFFU;
  constexpr std::uint32_t float32_infinity = 0x7F800000U;
  constexpr std::uint32_t float16_overflow = (127U + 16U) << 23;    // 2^16: beyond it every value rounds to infinity
  constexpr std::uint32_t float16_min_normal = (127U - 14U) << 23;  // 2^-14
  if (magnitude >= float16_overflow) {
    return static_cast<std::uint16_t>(sign | (magnitude > float32_infinity ? 0x7E00U : 0x7C00U));
  }
  if (magnitude < float16_min_normal) {
    // Subnormal result: adding 0.5 shifts the value's bits so that the
    // float32 addition itself rounds (to nearest even) at the float16
    // subnormal's last place, which then is the low mantissa bits.
    constexpr float subnormal_shift = 0.5F;
    const float shifted = std::bit_cast<float>(magnitude) + subnormal_shift;
    return static_cast<std::uint16_t>(
        sign | (std::bit_cast<std::uint32_t>(shifted) - std::bit_cast<std::uint32_t>(subnormal_shift)));
  }
  // Normal result: rebias the exponent and round the 13 dropped mantissa bits
  // to nearest, ties to the even neighbour (a carry may ripple into the
  // exponent, which is right, up to infinity).
  const std::uint32_t odd = (magnitude >> 13) & 1U;
  const std::uint32_t rebiased = magnitude - ((127U - 15U) << 23) + 0x0FFFU + odd;
  return static_cast<std::uint16_t>(sign | (rebiased >> 13));
}

std::uint16_t to_bfloat16_bits(float value) noexcept {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0x7FFFFFFFU) > 0x7F800000U) {
    return static_cast<std::uint16_t>((bits >> 16) | 0x0040U);  // keep a NaN a (quiet) NaN
  }
  // Round the 16 dropped bits to nearest, ties to even.
  const std::uint32_t odd = (bits >> 16) & 1U;
  return static_cast<std::uint16_t>((bits + 0x7FFFU + odd) >> 16);
}

}  // namespace bioptimus::models

namespace bioptimus::detail {

using models::Interpolation;
using models::Precision;

// One worker's working memory, grown on its first tile and reused.
struct WorkerScratch {
  image::ResizeScratch resize;
  image::ResizeScratch tile;
  image::ResizeScratch stained;
  models::StainScratch stain;
  std::vector<float> hed;  // HED values before their 16-bit rounding
};

struct PreprocessorState {
  std::int64_t height = 0;
  std::int64_t width = 0;
  Precision precision = Precision::fp32;
  image::Filter filter = image::Filter::bicubic;
  bool antialias = true;
  image::Rgb8 background = image::white;
  std::array<int, 3> source_channel{0, 1, 2};
  std::optional<models::StainNormalizer> stain;
  bool hed = false;
  std::array<float, 3> mean{};
  std::array<float, 3> std{};
  // Every 8-bit value's normalised result per output channel, in the 16-bit formats.
  std::array<std::array<std::uint16_t, 256>, 3> float16{};
  std::array<std::array<std::uint16_t, 256>, 3> bfloat16{};

  // Plans by source size; tiles read from a slide nearly always share one.
  mutable std::mutex mutex;
  mutable std::vector<image::ResamplePlan> plans;

  [[nodiscard]] image::ResamplePlan plan_for(image::Size source) const {
    const std::lock_guard lock(mutex);
    for (const image::ResamplePlan& plan : plans) {
      if (plan.source() == source) {
        return plan;
      }
    }
    constexpr std::size_t max_cached_plans = 16;
    if (plans.size() == max_cached_plans) {
      plans.erase(plans.begin());
    }
    return plans.emplace_back(source, image::Size{.width = width, .height = height}, filter, antialias);
  }

  // Workers' scratch, kept across calls: a batch's threads are new each call,
  // and fresh memory is slow on first touch.
  mutable std::mutex scratch_mutex;
  mutable std::vector<std::unique_ptr<WorkerScratch>> idle_scratch;

  [[nodiscard]] std::unique_ptr<WorkerScratch> take_scratch() const {
    const std::lock_guard lock(scratch_mutex);
    if (idle_scratch.empty()) {
      return std::make_unique<WorkerScratch>();
    }
    std::unique_ptr<WorkerScratch> scratch = std::move(idle_scratch.back());
    idle_scratch.pop_back();
    return scratch;
  }

  void give_back(std::unique_ptr<WorkerScratch> scratch) const {
    const std::lock_guard lock(scratch_mutex);
    idle_scratch.push_back(std::move(scratch));
  }
};

namespace {

image::Filter filter_of(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::nearest:
      return image::Filter::nearest;
    case Interpolation::bilinear:
      return image::Filter::bilinear;
    case Interpolation::bicubic:
      return image::Filter::bicubic;
    case Interpolation::lanczos:
      return image::Filter::lanczos;
    case Interpolation::area:
      return image::Filter::box;
  }
  return image::Filter::bicubic;
}

std::size_t bytes_per_value(Precision precision) noexcept { return precision == Precision::fp32 ? 4 : 2; }

// The model's size in rgb8, `stride` bytes per row, at `destination`.
image::MutableImageView model_tile(const PreprocessorState& state, std::uint8_t* destination) {
  return {.data = destination,
          .width = state.width,
          .height = state.height,
          .stride_bytes = state.width * 3,
          .format = image::PixelFormat::rgb8};
}

// One tile, already validated, with its plan: resize (unless the tile already
// has the model's size and is rgb8), then normalise into `out`.
void run_tile(const PreprocessorState& state, const image::ImageView& tile, const image::ResamplePlan& plan,
              std::byte* out, Precision precision, WorkerScratch& scratch) {
  const std::uint8_t* pixels = tile.data;
  std::int64_t stride = tile.stride_bytes;
  if (!plan.is_identity() || tile.format != image::PixelFormat::rgb8) {
    stride = state.width * 3;
    std::uint8_t* resized = scratch.tile.reserve(0, static_cast<std::size_t>(stride * state.height));
    image::resize_into(tile, plan, model_tile(state, resized), scratch.resize, state.background);
    pixels = resized;
  }
  if (state.stain) {
    // Into a buffer of our own: the caller's tile is never written.
    const std::int64_t row_bytes = state.width * 3;
    std::uint8_t* stained = scratch.stained.reserve(0, static_cast<std::size_t>(row_bytes * state.height));
    (*state.stain)(image::ImageView{.data = pixels,
                                    .width = state.width,
                                    .height = state.height,
                                    .stride_bytes = stride,
                                    .format = image::PixelFormat::rgb8},
                   image::MutableImageView{.data = stained,
                                           .width = state.width,
                                           .height = state.height,
                                           .stride_bytes = row_bytes,
                                           .format = image::PixelFormat::rgb8},
                   scratch.stain);
    pixels = stained;
    stride = row_bytes;
  }
  const std::int64_t plane = state.width * state.height;
  if (state.hed) {
    const RgbPixels rgb{pixels, state.width, state.height, stride};
    if (precision == Precision::fp32) {
      stain::rgb_to_hed(rgb, state.mean, state.std, reinterpret_cast<float*>(out));
      return;
    }
    scratch.hed.resize(static_cast<std::size_t>(3 * plane));
    stain::rgb_to_hed(rgb, state.mean, state.std, scratch.hed.data());
    auto* values = reinterpret_cast<std::uint16_t*>(out);
    for (std::size_t i = 0; i < scratch.hed.size(); ++i) {
      values[i] = precision == Precision::fp16 ? models::to_float16_bits(scratch.hed[i])
                                               : models::to_bfloat16_bits(scratch.hed[i]);
    }
    return;
  }
  if (precision == Precision::fp32) {
    normalize_to_float32({.pixels = pixels,
                          .stride = stride,
                          .width = state.width,
                          .height = state.height,
                          .source_channel = state.source_channel,
                          .mean = state.mean,
                          .std = state.std,
                          .out = reinterpret_cast<float*>(out)});
    return;
  }
  const auto& table = precision == Precision::fp16 ? state.float16 : state.bfloat16;
  auto* values = reinterpret_cast<std::uint16_t*>(out);
  for (std::size_t c = 0; c < 3; ++c) {
    const auto& lookup = table[c];
    const auto source = static_cast<std::int64_t>(state.source_channel[c]);
    std::uint16_t* destination = values + static_cast<std::int64_t>(c) * plane;
    for (std::int64_t y = 0; y < state.height; ++y) {
      const std::uint8_t* row = pixels + y * stride;
      for (std::int64_t x = 0; x < state.width; ++x) {
        destination[y * state.width + x] = lookup[row[x * 3 + source]];
      }
    }
  }
}

}  // namespace
}  // namespace bioptimus::detail

namespace bioptimus::models {

Preprocessor::Preprocessor(const ModelSpec& spec, image::Rgb8 background)
    : Preprocessor(spec, PreprocessOptions{.background = background}) {}

Preprocessor::Preprocessor(const ModelSpec& spec, const PreprocessOptions& options)
    : state_(std::make_shared<bioptimus::detail::PreprocessorState>()) {
  const std::string who = "Preprocessor for " + spec.identity() + ": ";
  if (spec.num_channels() != 3) {
    throw Error(who + "num_channels is " + std::to_string(spec.num_channels()) +
                "; only 3-channel models take RGB tiles");
  }
  bioptimus::detail::PreprocessorState& state = *state_;
  const auto shape = spec.input_shape();
  state.height = shape[1];
  state.width = shape[2];
  state.precision = spec.precision();
  state.filter = bioptimus::detail::filter_of(spec.interpolation());
  state.antialias = spec.antialias();
  state.background = options.background;
  if (spec.color_space() == ColorSpace::bgr) {
    state.source_channel = {2, 1, 0};
  }
  state.hed = spec.color_space() == ColorSpace::hed;
  if (const auto method = spec.stain_normalization()) {
    try {
      state.stain.emplace(*method, options.stain, spec.stain_target());
    } catch (const Error& error) {
      throw Error(who + error.what());
    }
  }
  for (std::size_t c = 0; c < 3; ++c) {
    // torchvision turns mean and std into float32 tensors before using them.
    state.mean[c] = static_cast<float>(spec.mean()[c]);
    state.std[c] = static_cast<float>(spec.std()[c]);
    for (std::size_t value = 0; value < 256; ++value) {
      const float normalized =
          bioptimus::detail::normalize_value(static_cast<std::uint8_t>(value), state.mean[c], state.std[c]);
      state.float16[c][value] = to_float16_bits(normalized);
      state.bfloat16[c][value] = to_bfloat16_bits(normalized);
    }
  }
  // Plan (and check) the most common case up front: tiles already of the model's size.
  (void)state.plan_for({.width = state.width, .height = state.height});
}

std::array<std::int64_t, 3> Preprocessor::output_shape() const noexcept { return {3, state_->height, state_->width}; }

std::int64_t Preprocessor::output_elements() const noexcept { return 3 * state_->height * state_->width; }

std::size_t Preprocessor::output_bytes(Precision precision) const noexcept {
  return static_cast<std::size_t>(output_elements()) * bioptimus::detail::bytes_per_value(precision);
}

Precision Preprocessor::precision() const noexcept { return state_->precision; }

template <typename PerTile>
void Preprocessor::for_each_tile(std::span<const image::ImageView> tiles, int threads, PerTile&& per_tile) const {
  if (threads < 1) {
    throw Error("Preprocessor: threads must be at least 1, got " + std::to_string(threads));
  }
  std::vector<image::ResamplePlan> plans;
  plans.reserve(tiles.size());
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    image::validate(tiles[i], tiles.size() == 1 ? "tile" : "tile " + std::to_string(i));
    plans.push_back(state_->plan_for({.width = tiles[i].width, .height = tiles[i].height}));
  }

  std::atomic<std::size_t> next{0};
  std::mutex failure_mutex;
  std::exception_ptr failure;
  const auto work = [&] {
    try {
      std::unique_ptr<bioptimus::detail::WorkerScratch> scratch = state_->take_scratch();
      for (std::size_t i = next++; i < tiles.size(); i = next++) {
        per_tile(i, plans[i], *scratch);
      }
      state_->give_back(std::move(scratch));
    } catch (...) {
      const std::lock_guard lock(failure_mutex);
      failure = std::current_exception();
    }
  };
  const auto workers = std::min(static_cast<std::size_t>(threads), tiles.size());
  if (workers <= 1) {
    work();
  } else {
    std::vector<std::jthread> pool;
    pool.reserve(workers - 1);
    for (std::size_t t = 1; t < workers; ++t) {
      pool.emplace_back(work);
    }
    work();
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
}

void Preprocessor::operator()(const image::ImageView& tile, std::span<float> out) const {
  (*this)(std::span<const image::ImageView>(&tile, 1), std::as_writable_bytes(out), Precision::fp32, 1);
}

void Preprocessor::operator()(std::span<const image::ImageView> tiles, std::span<float> out, int threads) const {
  (*this)(tiles, std::as_writable_bytes(out), Precision::fp32, threads);
}

void Preprocessor::operator()(const image::ImageView& tile, std::span<std::byte> out, Precision precision) const {
  (*this)(std::span<const image::ImageView>(&tile, 1), out, precision, 1);
}

void Preprocessor::operator()(std::span<const image::ImageView> tiles, std::span<std::byte> out, Precision precision,
                              int threads) const {
  // Everything that can fail is checked here, before any thread starts.
  const std::size_t tile_bytes = output_bytes(precision);
  if (out.size() < tiles.size() * tile_bytes) {
    throw Error("Preprocessor: output buffer holds " + std::to_string(out.size()) + " bytes, " +
                std::to_string(tiles.size()) + " tile(s) of shape (3, " + std::to_string(state_->height) + ", " +
                std::to_string(state_->width) + ") in " + std::string(to_string(precision)) + " need " +
                std::to_string(tiles.size() * tile_bytes));
  }
  if (reinterpret_cast<std::uintptr_t>(out.data()) % bioptimus::detail::bytes_per_value(precision) != 0) {
    throw Error("Preprocessor: output buffer is not aligned for " + std::string(to_string(precision)) + " values");
  }
  for_each_tile(tiles, threads,
                [&](std::size_t i, const image::ResamplePlan& plan, bioptimus::detail::WorkerScratch& scratch) {
                  bioptimus::detail::run_tile(*state_, tiles[i], plan, out.data() + i * tile_bytes, precision, scratch);
                });
}

void Preprocessor::resize(const image::ImageView& tile, const image::MutableImageView& out) const {
  if (out.format != image::PixelFormat::rgb8 || out.width != state_->width || out.height != state_->height) {
    throw Error("Preprocessor::resize: the output must be rgb8 of " + std::to_string(state_->width) + "x" +
                std::to_string(state_->height) + " (the model's tile size)");
  }
  image::validate(out, "output");
  for_each_tile(std::span<const image::ImageView>(&tile, 1), 1,
                [&](std::size_t, const image::ResamplePlan& plan, bioptimus::detail::WorkerScratch& scratch) {
                  image::resize_into(tile, plan, out, scratch.resize, state_->background);
                });
}

void Preprocessor::resize(std::span<const image::ImageView> tiles, std::span<std::uint8_t> out, int threads) const {
  const auto tile_bytes = static_cast<std::size_t>(state_->width * state_->height * 3);
  if (out.size() < tiles.size() * tile_bytes) {
    throw Error("Preprocessor::resize: output buffer holds " + std::to_string(out.size()) + " bytes, " +
                std::to_string(tiles.size()) + " tile(s) of " + std::to_string(state_->width) + "x" +
                std::to_string(state_->height) + " RGB need " + std::to_string(tiles.size() * tile_bytes));
  }
  for_each_tile(
      tiles, threads, [&](std::size_t i, const image::ResamplePlan& plan, bioptimus::detail::WorkerScratch& scratch) {
        image::resize_into(tiles[i], plan, bioptimus::detail::model_tile(*state_, out.data() + i * tile_bytes),
                           scratch.resize, state_->background);
      });
}

StainTarget Preprocessor::fit_stains(std::span<const image::ImageView> tiles) const {
  const bioptimus::detail::PreprocessorState& state = *state_;
  if (!state.stain) {
    throw Error("Preprocessor: fit_stains: the spec has no stain_normalization");
  }
  if (tiles.empty()) {
    throw Error("Preprocessor: fit_stains: no tile given");
  }
  // Each tile at the model's size, as before its normalisation, then the stains of them all.
  const auto tile_bytes = static_cast<std::size_t>(state.width * state.height * 3);
  std::vector<std::uint8_t> resized(tiles.size() * tile_bytes);
  resize(tiles, resized);
  std::vector<image::ImageView> views;
  views.reserve(tiles.size());
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    views.push_back(bioptimus::detail::model_tile(state, resized.data() + i * tile_bytes));
  }
  return state.stain->fit(views);
}

}  // namespace bioptimus::models
