// SlideInference: a slide's tiles through a TileStream, the embedder and a
// feature writer; and the same over a cohort.
#include "bioptimus/pipeline/slide_inference.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace bioptimus::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

extraction::wsi::TileExtractorOptions with_model(extraction::wsi::TileExtractorOptions options,
                                                 const models::ModelSpec& spec) {
  options.model = spec.identity();
  return options;
}

// The batch's level-0 corners, as the writers take them.
void coordinates_of(const TileBatch& batch, std::vector<inference::Coordinate>& coordinates) {
  const std::span<const extraction::wsi::TileRegion> tiles = batch.tiles();
  coordinates.resize(tiles.size());
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    coordinates[i] = {.x = tiles[i].x, .y = tiles[i].y};
  }
}

}  // namespace

void BackboneEmbedder::embed(const TileBatch& batch, const std::string& /*slide_id*/, std::span<float> embeddings) {
  backbone_->embed(batch.values<float>(), embeddings);
}

SlideInference::SlideInference(const models::ModelSpec& spec, TileEmbedder& embedder, SlideInferenceOptions options)
    : spec_(spec),
      embedder_(&embedder),
      options_(std::move(options)),
      preprocessor_(spec),
      extractor_(spec.tile_spec(), with_model(options_.extraction, spec)) {
  validate(TileStreamOptions{.batch_size = options_.batch_size, .threads = options_.threads});
}

std::filesystem::path SlideInference::output_path(const std::filesystem::path& directory,
                                                  const std::string& slide_id) const {
  return directory / (slide_id + "." + std::string(inference::extension(options_.format)));
}

SlideInferenceResult SlideInference::run(const std::filesystem::path& path, const io::wsi::SlideOptions& slide,
                                         const std::filesystem::path& output, const SlideProgress& progress) {
  io::wsi::SlideReader reader{path, slide};
  const std::string slide_id = reader.name();
  std::vector<extraction::wsi::TileRegion> tiles = extractor_.fit(reader).extract();
  const auto total = static_cast<std::int64_t>(tiles.size());
  const std::unique_ptr<inference::FeatureWriter> writer =
      inference::open_feature_writer(options_.format, output, spec_, extractor_.coordinate_attributes());
  // One batch read ahead: the next batch is read while the model runs on this one.
  TileStream stream(std::move(reader), std::move(tiles), preprocessor_,
                    {.batch_size = options_.batch_size,
                     .threads = options_.threads,
                     .prefetch = 1,
                     .format = embedder_->input_format(),
                     .precision = embedder_->input_precision()});
  if (progress) {
    progress(0, total);
  }
  std::vector<float> embeddings;
  std::vector<inference::Coordinate> coordinates;
  SlideInferenceResult result;
  while (const std::optional<TileBatch> batch = stream.next()) {
    embeddings.resize(static_cast<std::size_t>(batch->size()) * embedder_->embedding_size());
    const Clock::time_point model_start = Clock::now();
    embedder_->embed(*batch, slide_id, embeddings);
    result.model_seconds += seconds_since(model_start);
    coordinates_of(*batch, coordinates);
    writer->write(embeddings, coordinates);
    result.tiles += batch->size();
    if (progress) {
      progress(result.tiles, total);
    }
  }
  writer->commit();
  return result;
}

CohortSummary SlideInference::run(const Cohort& cohort, const std::filesystem::path& directory,
                                  const CohortInferenceOptions& options) {
  std::filesystem::create_directories(directory);
  const auto embed_slide = [&](const CohortSlide& slide, std::size_t index) {
    const std::filesystem::path target = output_path(directory, slide.slide_id);
    if (!options.overwrite && std::filesystem::exists(target)) {
      return SlideResult{.status = SlideStatus::skipped, .output = target};
    }
    SlideProgress progress;
    if (options.progress) {
      progress = [&](std::int64_t done, std::int64_t total) { options.progress(slide, index, done, total); };
    }
    const SlideInferenceResult result =
        run(slide.slide_path, {.mpp_override = slide.mpp_override, .name = slide.slide_id}, target, progress);
    return SlideResult{.tiles = result.tiles, .model_seconds = result.model_seconds, .output = target};
  };
  return cohort.run(embed_slide, options.report);
}

}  // namespace bioptimus::pipeline
