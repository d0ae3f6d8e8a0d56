// bioptimus/models/stain.hpp
//
// Stain normalisation of uint8 RGB tiles, as the de-facto references compute
// it: Macenko and Reinhard as torchstain's numpy backend (byte for byte),
// Vahadane from its paper (sparse non-negative factorisation; see
// docs/preprocessing.md for the solver and how it relates to StainTools).
// The Preprocessor applies it when a ModelSpec names a stain_normalization;
// this class is for using it on its own.
//
//   using namespace bioptimus::models;
//   const StainNormalizer macenko(StainNormalization::macenko);        // torchstain's reference target
//   const StainTarget mine = macenko.fit(target_view);                  // or fitted to an image
//   const StainNormalizer fitted(StainNormalization::macenko, {.target = mine});
//   StainScratch scratch;                                               // one per thread
//   fitted(tile, out, scratch);                                         // rgb8 in, rgb8 out (may be in place)
//
// Link `bioptimus::preprocess`.
#ifndef BIOPTIMUS_MODELS_STAIN_HPP
#define BIOPTIMUS_MODELS_STAIN_HPP

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "bioptimus/image/image.hpp"
#include "bioptimus/image/resize.hpp"
#include "bioptimus/models/stain_target.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::detail {
struct StainWork;
}  // namespace bioptimus::detail

namespace bioptimus::models {

/// Where a tile's own stains (the source of the mapping) come from.
enum class StainEstimation : std::uint8_t {
  /// From the tile itself, as torchstain's `normalize` does; a tile that has
  /// fewer than `min_tissue_pixels` tissue pixels, or whose estimate is
  /// degenerate, uses `slide_stains` when given and otherwise passes unchanged.
  per_tile,
  /// Every tile uses `slide_stains` (required): one estimate for a whole
  /// slide, e.g. `fit` over a sample of its tissue tiles.
  per_slide,
};

/// Choices about how tiles are normalised; the target is the spec's.
struct StainOptions {
  /// Replaces the spec's stain_target (and the method's reference target).
  std::optional<StainTarget> target = std::nullopt;
  StainEstimation estimation = StainEstimation::per_tile;
  /// A slide's own stains (from `fit`): the source for per_slide, the
  /// fallback of per_tile.
  std::optional<StainTarget> slide_stains = std::nullopt;
  /// Tissue pixels (optical density -log((v + 1) / 240) >= 0.15 in every
  /// channel) a tile needs for its own estimate. 0 gives torchstain's
  /// behaviour wherever torchstain has one.
  std::int64_t min_tissue_pixels = 1000;
};

/// What normalising one tile did.
enum class StainOutcome : std::uint8_t {
  own_stains,    ///< mapped from the tile's own estimate
  slide_stains,  ///< mapped from StainOptions::slide_stains
  unchanged,     ///< copied: too little tissue and no slide stains
};

/// One thread's working memory for a StainNormalizer: it grows to the
/// largest tile seen and is reused, so that nothing is allocated per tile.
/// Never share one between threads.
class StainScratch {
 public:
  StainScratch();
  ~StainScratch();
  StainScratch(StainScratch&&) noexcept;
  StainScratch& operator=(StainScratch&&) noexcept;
  StainScratch(const StainScratch&) = delete;
  StainScratch& operator=(const StainScratch&) = delete;

  /// For the implementation.
  [[nodiscard]] detail::StainWork& work() noexcept { return *work_; }

 private:
  std::unique_ptr<detail::StainWork> work_;
};

/// Maps uint8 RGB tiles to a stain target. Immutable; every call is `const`
/// and may run on several threads at once, each with its own StainScratch.
class StainNormalizer {
 public:
  /// The target is `options.target`, else `spec_target`, else the method's
  /// reference (reference_stain_target). Throws bioptimus::Error when a
  /// target or slide_stains has the wrong form for `method` or breaks the
  /// value rules, slide stains are unusable (parallel stain vectors, a flat
  /// LAB channel), per_slide has no slide_stains, or min_tissue_pixels < 0.
  explicit StainNormalizer(StainNormalization method, StainOptions options = {},
                           std::optional<StainTarget> spec_target = std::nullopt);

  [[nodiscard]] StainNormalization method() const noexcept { return method_; }
  /// The target tiles are mapped to.
  [[nodiscard]] const StainTarget& target() const noexcept { return target_; }
  [[nodiscard]] const StainOptions& options() const noexcept { return options_; }

  /// torchstain's `fit`: the stains of `image` (any pixel format; alpha is
  /// composited onto `background`), to use as a target, or, from a slide's
  /// tissue, as slide_stains. The several-image form pools the pixels of all
  /// of them. Throws bioptimus::Error when the pixels have fewer tissue
  /// pixels than min_tissue_pixels (at least 2) or a degenerate estimate.
  [[nodiscard]] StainTarget fit(const image::ImageView& image, image::Rgb8 background = image::white) const;
  [[nodiscard]] StainTarget fit(std::span<const image::ImageView> images, image::Rgb8 background = image::white) const;

  /// Normalises `tile` (rgb8) into `out` (rgb8, the same size; it may be
  /// `tile`'s own pixels). Throws bioptimus::Error for a view that is not
  /// rgb8 or sizes that differ, before touching any pixel.
  StainOutcome operator()(const image::ImageView& tile, const image::MutableImageView& out,
                          StainScratch& scratch) const;

 private:
  StainNormalization method_;
  StainOptions options_;
  StainTarget target_;
};

}  // namespace bioptimus::models

#endif  // BIOPTIMUS_MODELS_STAIN_HPP
