// bioptimus/models/preprocess.hpp
//
// A model's input from pixels, exactly as the reference Python pipeline
// (Pillow `resize` -> torchvision `ToTensor` -> `Normalize`) makes it:
//
//   const bioptimus::models::Preprocessor pre(bioptimus::models::Registry::builtin().get(Models::h0_mini));
//   std::vector<float> input(pre.output_elements());
//   pre(region, input);  // region: any bioptimus::image::ImageView, e.g. a slide read
//
// The tile is resized to the spec's tile size with the spec's interpolation
// and antialias (bioptimus/image/resize.hpp), stain-normalised when the spec
// names a stain_normalization (bioptimus/models/stain.hpp: on the uint8 RGB
// tile at the model's size, after the resize), then scaled to [0, 1] and
// normalised with the spec's mean and std in float32 exactly as torch
// computes it (for color_space HED: scikit-image's rgb2hed, then the mean and
// std per HED channel), and written channel-first (C, H, W) in float32,
// float16 or bfloat16 (rounded to nearest even), one tile or a batch
// (N, C, H, W) spread over threads.
//
// Link `bioptimus::preprocess`.
#ifndef BIOPTIMUS_MODELS_PREPROCESS_HPP
#define BIOPTIMUS_MODELS_PREPROCESS_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "bioptimus/image/image.hpp"
#include "bioptimus/image/resize.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/stain.hpp"
#include "bioptimus/models/vocabulary.hpp"

// Not in models::detail: a models::detail namespace would hide bioptimus::detail
// from the unqualified `detail::` lookups in the models headers.
namespace bioptimus::detail {
struct PreprocessorState;
}  // namespace bioptimus::detail

namespace bioptimus::models {

/// How a Preprocessor treats what the spec leaves open.
struct PreprocessOptions {
  /// What transparent pixels are composited onto.
  image::Rgb8 background = image::white;
  /// A stain target replacing the spec's, and how tiles with too little
  /// tissue are treated; used only when the spec names a stain_normalization.
  StainOptions stain = {};
};

/// Turns pixels into a model's input tensor as its spec says. Immutable after
/// construction; every call is `const` and may run on several threads at once.
/// Working memory is allocated on first use and kept for later calls, one
/// set per concurrent worker.
class Preprocessor {
 public:
  /// Throws bioptimus::Error when the spec asks for what this cannot do:
  /// num_channels other than 3, or lanczos/area without antialias; or when
  /// the stain options are invalid (see StainNormalizer).
  explicit Preprocessor(const ModelSpec& spec, const PreprocessOptions& options);
  /// As above with default options and `background`.
  explicit Preprocessor(const ModelSpec& spec, image::Rgb8 background = image::white);

  /// (channels, height, width) of one tile: the spec's input_shape().
  [[nodiscard]] std::array<std::int64_t, 3> output_shape() const noexcept;
  /// Values per tile: channels * height * width.
  [[nodiscard]] std::int64_t output_elements() const noexcept;
  /// Bytes per tile in `precision`.
  [[nodiscard]] std::size_t output_bytes(Precision precision) const noexcept;
  /// The spec's precision, the default of the byte-buffer overloads' callers.
  [[nodiscard]] Precision precision() const noexcept;

  /// The stains of `tiles` pooled, each first resized to the model's tile
  /// size as a tile is before its normalisation: a slide's own stains
  /// (StainOptions::slide_stains, with StainEstimation::per_slide) from a
  /// sample of its tissue tiles. Throws bioptimus::Error when the spec has no
  /// stain_normalization, a view is invalid, or there is too little tissue.
  [[nodiscard]] StainTarget fit_stains(std::span<const image::ImageView> tiles) const;

  /// One tile as float32 CHW into `out`, which must hold output_elements() values.
  void operator()(const image::ImageView& tile, std::span<float> out) const;
  /// A batch as float32 NCHW; `out` holds tiles.size() * output_elements()
  /// values. `threads` >= 1 threads share the tiles.
  void operator()(std::span<const image::ImageView> tiles, std::span<float> out, int threads = 1) const;

  /// One tile in `precision` (float16/bfloat16 as their 16-bit patterns in
  /// native byte order) into `out`, which must hold output_bytes(precision) bytes.
  void operator()(const image::ImageView& tile, std::span<std::byte> out, Precision precision) const;
  /// A batch in `precision`.
  void operator()(std::span<const image::ImageView> tiles, std::span<std::byte> out, Precision precision,
                  int threads = 1) const;

  /// The first half of the above: the tile at the model's size in 8-bit RGB
  /// (resized with the spec's interpolation, alpha composited onto the
  /// background), the pixels the normalisation reads. What a remote endpoint
  /// receives as PNG: preprocessing it there gives the same input as here.
  /// `out` is rgb8 of the spec's tile size.
  void resize(const image::ImageView& tile, const image::MutableImageView& out) const;
  /// A batch: `out` holds tiles.size() tiles of height * width * 3 bytes, packed.
  void resize(std::span<const image::ImageView> tiles, std::span<std::uint8_t> out, int threads = 1) const;

 private:
  // Validates `tiles`, then calls per_tile(index, plan, scratch) for each on `threads` threads.
  template <typename PerTile>
  void for_each_tile(std::span<const image::ImageView> tiles, int threads, PerTile&& per_tile) const;

  std::shared_ptr<bioptimus::detail::PreprocessorState> state_;
};

/// IEEE binary16 bits of `value`, rounded to nearest even (as numpy's
/// astype(float16) and torch's .half()).
[[nodiscard]] std::uint16_t to_float16_bits(float value) noexcept;
/// bfloat16 bits of `value`, rounded to nearest even (as torch's .bfloat16()).
[[nodiscard]] std::uint16_t to_bfloat16_bits(float value) noexcept;

}  // namespace bioptimus::models

#endif  // BIOPTIMUS_MODELS_PREPROCESS_HPP
