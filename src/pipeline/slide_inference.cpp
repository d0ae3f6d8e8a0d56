// SlideInference: a slide's tiles through a TileStream, the embedder and a
// PredictionWriter; and the same over a cohort.
#include "bioptimus/pipeline/slide_inference.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/image/image.hpp"

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
void coordinates_of(const TileBatch& batch, std::vector<writers::Coordinate>& coordinates) {
  const std::span<const extraction::wsi::TileRegion> tiles = batch.tiles();
  coordinates.resize(tiles.size());
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    coordinates[i] = {.x = tiles[i].x, .y = tiles[i].y};
  }
}

// per_slide stains: the stains of up to 32 tiles spread evenly over the
// slide's tissue, estimated once at the model's size, are the source of every
// tile. A slide with too little tissue for one estimate keeps each tile's
// own, and says so.
models::Preprocessor slide_stain_preprocessor(const io::wsi::SlideReader& slide,
                                              std::span<const extraction::wsi::TileRegion> tiles,
                                              const models::ModelSpec& spec, models::PreprocessOptions options,
                                              const models::Preprocessor& per_tile,
                                              const SlideInferenceOptions& inference) {
  constexpr std::size_t sample_size = 32;
  const std::size_t count = std::min(sample_size, tiles.size());
  std::vector<image::Image> regions;
  std::vector<image::ImageView> views;
  regions.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const extraction::wsi::TileRegion& tile = tiles[i * tiles.size() / count];
    regions.emplace_back(tile.size.width, tile.size.height, image::PixelFormat::argb32_premultiplied);
    slide.read_level_into(tile.level, tile.x, tile.y, regions.back().mutable_view());
    views.push_back(regions.back().view());
  }
  try {
    options.stain.slide_stains = per_tile.fit_stains(views);
  } catch (const Error& error) {
    if (inference.notice) {
      inference.notice(slide.name(),
                       std::string("no slide-level stains (") + error.what() + "); each tile uses its own");
    }
    return per_tile;
  }
  options.stain.estimation = models::StainEstimation::per_slide;
  return models::Preprocessor(spec, options);
}

// What the extractor saw of the slide: its thumbnail and the mask the tiles
// were chosen on, with where they lie on level 0.
void set_pictures(writers::PredictionWriter& writer, const extraction::wsi::TileExtractor& extractor) {
  const auto mpp_of = [](std::optional<io::wsi::MPP> mpp) {
    return mpp ? std::optional<double>{mpp->value()} : std::nullopt;
  };
  if (const auto& thumbnail = extractor.thumbnail()) {
    writer.set_thumbnail({.pixels = thumbnail->rgb.bytes(),
                          .width = thumbnail->rgb.width(),
                          .height = thumbnail->rgb.height(),
                          .downsample = {.x = thumbnail->downsample_x, .y = thumbnail->downsample_y},
                          .mpp = mpp_of(thumbnail->mpp)});
  }
  if (const auto& mask = extractor.mask()) {
    const std::array<double, 2> downsample = extractor.mask_downsample();
    writer.set_tissue_mask({.pixels = mask->pixels(),
                            .width = mask->width(),
                            .height = mask->height(),
                            .downsample = {.x = downsample[0], .y = downsample[1]},
                            .mpp = mpp_of(mask->mpp())});
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
      preprocessor_(spec, options_.preprocess),
      extractor_(spec.tile_spec(), with_model(options_.extraction, spec)) {
  validate(TileStreamOptions{.batch_size = options_.batch_size, .threads = options_.threads});
  if (options_.stain_estimation == models::StainEstimation::per_slide && !spec.stain_normalization()) {
    throw Error("per-slide stain estimation: " + spec.identity() + " has no stain_normalization");
  }
}

std::filesystem::path SlideInference::output_path(const std::filesystem::path& directory,
                                                  const std::string& slide_id) const {
  return directory / (slide_id + "." + std::string(writers::extension(options_.writer.format)));
}

SlideInferenceResult SlideInference::run(const std::filesystem::path& path, const io::wsi::SlideOptions& slide,
                                         const std::filesystem::path& output, const SlideProgress& progress) {
  io::wsi::SlideReader reader{path, slide};
  const std::string slide_id = reader.name();
  std::vector<extraction::wsi::TileRegion> tiles = extractor_.fit(reader).extract();
  const auto total = static_cast<std::int64_t>(tiles.size());
  models::Preprocessor preprocessor =
      options_.stain_estimation == models::StainEstimation::per_slide && !tiles.empty()
          ? slide_stain_preprocessor(reader, tiles, spec_, options_.preprocess, preprocessor_, options_)
          : preprocessor_;
  writers::WriterOptions writer_options = options_.writer;
  writer_options.num_tiles = total;
  writer_options.precision = embedder_->compute_precision();
  const std::unique_ptr<writers::PredictionWriter> writer =
      writers::open_prediction_writer(output, spec_, extractor_.coordinate_attributes(), writer_options);
  set_pictures(*writer, extractor_);
  // mask_threshold is a coordinate attribute. The outputs store text as
  // UTF-8: a path that is not is stored as messages show it (caf\xe9.tif).
  const std::string& slide_path = reader.path().native();
  writer->set_metadata(
      {{"slide_path",
        bioptimus::detail::is_valid_utf8(slide_path) ? slide_path : bioptimus::detail::escape_controls(slide_path)}});
  // One batch read ahead: the next batch is read while the model runs on this one.
  TileStream stream(std::move(reader), std::move(tiles), std::move(preprocessor),
                    {.batch_size = options_.batch_size,
                     .threads = options_.threads,
                     .prefetch = 1,
                     .format = embedder_->input_format(),
                     .precision = embedder_->input_precision()});
  if (progress) {
    progress(0, total);
  }
  std::vector<float> embeddings;
  std::vector<writers::Coordinate> coordinates;
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
  writer->close();
  return result;
}

CohortSummary SlideInference::run(const Cohort& cohort, const std::filesystem::path& directory,
                                  const CohortInferenceOptions& options) {
  // Before any slide is read: the second slide would skip (or overwrite) the first's file.
  if (const std::optional<std::string> problem =
          shared_output_problem(cohort.slides(), {"." + std::string(writers::extension(options_.writer.format))})) {
    throw Error(*problem + "; give the slides distinct slide_ids");
  }
  std::filesystem::create_directories(directory);
  const auto embed_slide = [&](const CohortSlide& slide, std::size_t index) {
    if (options.check) {
      options.check(slide);
    }
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
