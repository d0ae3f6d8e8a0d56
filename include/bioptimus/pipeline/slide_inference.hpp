// bioptimus/pipeline/slide_inference.hpp
//
// SlideInference (target bioptimus::slide_inference): the SDK's "backbone +
// mask provider + writer". A slide's tissue tiles (TileExtractor), read and
// preprocessed by a TileStream while the model embeds the previous batch,
// written batch by batch by a PredictionWriter (HDF5 in TRIDENT's layout,
// NPZ or Zarr) with the extractor's coordinate attributes, its thumbnail and
// tissue mask. What `modelspec extract` does, for one slide or a Cohort:
// the command is its caller, the files are the same; progress goes to a
// callback.
//
//   Backbone backbone = Backbone::load("h0-mini.pt", spec);
//   BackboneEmbedder model{backbone};
//   SlideInference inference{spec, model};
//   inference.run("slide.svs", {}, "features/slide.h5");
//   inference.run(Cohort::read("cohort.csv"), "features/", {.progress = ..., .report = ...});
#ifndef BIOPTIMUS_PIPELINE_SLIDE_INFERENCE_HPP
#define BIOPTIMUS_PIPELINE_SLIDE_INFERENCE_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/inference/backbone.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/models/stain.hpp"
#include "bioptimus/pipeline/cohort.hpp"
#include "bioptimus/pipeline/tile_stream.hpp"
#include "bioptimus/writers/prediction_writer.hpp"

namespace bioptimus::pipeline {

/// What embeds batches of tiles for SlideInference: the backbone (native
/// engine or TorchScript, BackboneEmbedder), or any other model that takes what a TileStream gives.
class TileEmbedder {
 public:
  TileEmbedder() = default;
  TileEmbedder(const TileEmbedder&) = delete;
  TileEmbedder& operator=(const TileEmbedder&) = delete;
  virtual ~TileEmbedder() = default;

  /// The batches it takes: model_input in a precision, or rgb8.
  [[nodiscard]] virtual TileFormat input_format() const noexcept = 0;
  [[nodiscard]] virtual models::Precision input_precision() const noexcept { return models::Precision::fp32; }
  /// Floats of one tile's embedding.
  [[nodiscard]] virtual std::size_t embedding_size() const noexcept = 0;
  /// The precision the model computes in, recorded in the output's
  /// `precision` attribute; nullopt when it is not known here (a model
  /// server runs its own).
  [[nodiscard]] virtual std::optional<models::Precision> compute_precision() const noexcept { return std::nullopt; }
  /// Embeds `batch` (of the slide named `slide_id`) into `embeddings`,
  /// embedding_size() floats per tile.
  virtual void embed(const TileBatch& batch, const std::string& slide_id, std::span<float> embeddings) = 0;

 protected:
  TileEmbedder(TileEmbedder&&) = default;
  TileEmbedder& operator=(TileEmbedder&&) = default;
};

/// A TorchScript Backbone as a TileEmbedder: float32 model input. Borrows
/// the backbone, which must outlive it.
class BackboneEmbedder final : public TileEmbedder {
 public:
  explicit BackboneEmbedder(inference::Backbone& backbone) noexcept : backbone_(&backbone) {}

  [[nodiscard]] TileFormat input_format() const noexcept override { return TileFormat::model_input; }
  [[nodiscard]] std::size_t embedding_size() const noexcept override { return backbone_->embedding_size(); }
  [[nodiscard]] std::optional<models::Precision> compute_precision() const noexcept override {
    return backbone_->precision();
  }
  void embed(const TileBatch& batch, const std::string& slide_id, std::span<float> embeddings) override;

 private:
  inference::Backbone* backbone_;
};

/// How SlideInference finds, reads and writes a slide's tiles.
struct SlideInferenceOptions {
  /// The tissue mask and the threshold (as `modelspec tiles`); `model` is set to the spec's identity.
  extraction::wsi::TileExtractorOptions extraction = {};
  /// Tiles per model call, >= 1.
  std::int64_t batch_size = 64;
  /// Threads reading and preprocessing tiles, >= 1.
  int threads = default_threads();
  /// The format and its compression; num_tiles (the slide's tile count) and
  /// precision (the embedder's compute_precision()) are set per slide.
  writers::WriterOptions writer = {.format = writers::OutputFormat::hdf5};
  /// The Preprocessor's options (a stain target, ...).
  models::PreprocessOptions preprocess = {};
  /// per_slide: the source stains of the spec's stain normalisation are
  /// estimated once per slide, from up to 32 of its tissue tiles spread
  /// evenly over it; a slide with too little tissue for that keeps each
  /// tile's own (and `notice` says so). Needs a spec with stain_normalization.
  models::StainEstimation stain_estimation = models::StainEstimation::per_tile;
  /// Told what a slide's run did otherwise than asked, without failing: the
  /// slide's id and a sentence.
  std::function<void(const std::string& slide_id, const std::string& message)> notice = {};
};

/// One slide's outcome.
struct SlideInferenceResult {
  std::int64_t tiles = 0;
  /// Seconds inside the model: the rest is reading, preprocessing and writing not hidden behind it.
  double model_seconds = 0;
};

/// Called as a slide's tiles are embedded: tiles done of the slide's total
/// (first with 0 once the total is known, last with done == total).
using SlideProgress = std::function<void(std::int64_t done, std::int64_t total)>;

/// How SlideInference::run goes over a cohort.
struct CohortInferenceOptions {
  /// Redo a slide whose feature file exists (otherwise it is skipped).
  bool overwrite = false;
  /// Each slide's progress, with the slide and its position in the cohort.
  std::function<void(const CohortSlide& slide, std::size_t index, std::int64_t done, std::int64_t total)> progress = {};
  /// Run first in each slide's work, before its output is looked for: what
  /// it throws (a name the caller cannot use, ...) is that slide's failure.
  std::function<void(const CohortSlide&)> check = {};
  /// Each slide's outcome, when it is over.
  std::function<void(const SlideReport&)> report = {};
};

/// See the file comment. Borrows the embedder, which must outlive it; not
/// thread-safe (one slide at a time).
class SlideInference {
 public:
  /// @throws ValidationError for options out of range (the extractor's, the
  ///   stream's, the writer's); Error for per_slide stains with a spec
  ///   without stain_normalization, or preprocessing options the spec refuses.
  SlideInference(const models::ModelSpec& spec, TileEmbedder& embedder, SlideInferenceOptions options = {});

  /// Embeds the tiles of the slide at `path` (opened with `slide`: an MPP
  /// override, the name its outputs take) into the feature file `output`,
  /// which exists only once complete (the writer's temporary output is
  /// renamed), with the extractor's thumbnail and tissue mask and the
  /// slide's path as metadata (`slide_path`).
  /// @throws io::wsi::SlideError (naming the slide, and the region for a
  ///   read), the embedder's and the writer's errors.
  SlideInferenceResult run(const std::filesystem::path& path, const io::wsi::SlideOptions& slide,
                           const std::filesystem::path& output, const SlideProgress& progress = {});

  /// Every slide of `cohort` into DIRECTORY/<slide_id>.<h5|npz|zarr> (the
  /// directory is made first); a slide whose file exists is skipped unless
  /// `overwrite`. A slide that fails is reported and the others still run.
  /// @throws Error before any slide is read when two slides would write one
  ///   file (shared_output_problem).
  CohortSummary run(const Cohort& cohort, const std::filesystem::path& directory,
                    const CohortInferenceOptions& options = {});

  /// DIRECTORY/<slide_id>.<extension of the format>.
  [[nodiscard]] std::filesystem::path output_path(const std::filesystem::path& directory,
                                                  const std::string& slide_id) const;

  [[nodiscard]] const models::ModelSpec& spec() const noexcept { return spec_; }
  [[nodiscard]] const SlideInferenceOptions& options() const noexcept { return options_; }

 private:
  models::ModelSpec spec_;
  TileEmbedder* embedder_;
  SlideInferenceOptions options_;
  models::Preprocessor preprocessor_;
  extraction::wsi::TileExtractor extractor_;
};

}  // namespace bioptimus::pipeline

#endif  // BIOPTIMUS_PIPELINE_SLIDE_INFERENCE_HPP
