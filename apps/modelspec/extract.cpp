// `modelspec extract SLIDE... --model NAME|FILE [--weights SNAPSHOT|MODEL.safetensors|MODEL.pt] -o DIR`,
// or `--manifest FILE` instead of the slides: for each slide, the tissue tiles as `tiles` finds them (a tissue mask and
// the TileExtractor), read on --threads threads, preprocessed as the model's
// spec says, embedded by the backbone (the native engine for published
// weights, found in the Hugging Face cache when --weights is left out;
// LibTorch for TorchScript) in batches while the next
// batch is being read, read out and written to DIR/<slide>.h5 (TRIDENT's
// layout), .npz or .zarr (a Zarr v2 store), with the slide's thumbnail and
// tissue mask. A slide whose output exists is skipped (the writers create
// it only when complete) unless --overwrite; a slide that fails is reported
// and the others still run; the exit status is 1 when any failed.
#include "extract.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/image/image.hpp"
#include "bioptimus/inference/backbone.hpp"
#include "bioptimus/inference/weights.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/writers/prediction_writer.hpp"
#if defined(BIOPTIMUS_EXTRACT_ENDPOINT)
#include "bioptimus/remote/remote_backend.hpp"
#endif
#include "manifest.hpp"
#include "model_argument.hpp"
#include "preprocess_command.hpp"

namespace bioptimus::apps {
namespace {

using Clock = std::chrono::steady_clock;
using extraction::wsi::TileRegion;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// A progress bar redrawn in place on a terminal; elsewhere (a log file, a
// batch system) a plain line every tenth of the slide.
class Progress {
 public:
  Progress(std::string label, std::size_t total, bool terminal)
      : label_(std::move(label)), total_(total), terminal_(terminal), start_(Clock::now()), last_draw_(start_) {}

  void update(std::size_t done) {
    const Clock::time_point now = Clock::now();
    if (terminal_) {
      if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) {
        return;
      }
      last_draw_ = now;
      constexpr std::size_t width = 30;
      const std::size_t filled = total_ == 0 ? width : done * width / total_;
      fmt::print(stderr, "\r{} [{:=<{}}{:<{}}] {}/{} tiles {}\x1b[K", label_, "", filled, "", width - filled, done,
                 total_, rate_and_eta(done));
      return;
    }
    const std::size_t tenth = total_ == 0 ? 10 : done * 10 / total_;
    if (tenth > logged_tenths_ || (done == total_ && !logged_end_)) {
      logged_tenths_ = tenth;
      logged_end_ = done == total_;
      fmt::print(stderr, "{}: {}/{} tiles {}\n", label_, done, total_, rate_and_eta(done));
    }
  }

  // Ends the redrawn line, so that the next output starts on its own.
  void finish() const {
    if (terminal_) {
      fmt::print(stderr, "\n");
    }
  }

 private:
  [[nodiscard]] std::string rate_and_eta(std::size_t done) const {
    const double elapsed = seconds_since(start_);
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    if (done >= total_ || rate <= 0) {
      return fmt::format("{:.1f} tiles/s, {:.1f} s", rate, elapsed);
    }
    const auto eta = static_cast<long long>(static_cast<double>(total_ - done) / rate + 0.5);
    return fmt::format("{:.1f} tiles/s, ETA {}:{:02}", rate, eta / 60, eta % 60);
  }

  std::string label_;
  std::size_t total_;
  bool terminal_;
  Clock::time_point start_;
  Clock::time_point last_draw_;
  std::size_t logged_tenths_ = 0;
  bool logged_end_ = false;
};

// What embeds the tiles: the TorchScript backbone here, or a model server
// (--endpoint), which takes the tiles resized but not normalised.
struct Model {
  inference::Backbone* local = nullptr;
#if defined(BIOPTIMUS_EXTRACT_ENDPOINT)
  remote::RemoteBackend* remote = nullptr;
#endif
  [[nodiscard]] bool takes_pixels() const {
#if defined(BIOPTIMUS_EXTRACT_ENDPOINT)
    return remote != nullptr;
#else
    return false;
#endif
  }
};

// One batch in flight: the regions as OpenSlide writes them (reused from
// batch to batch), the model input (floats, or the resized pixels for a
// server) and the coordinates.
struct Batch {
  std::vector<image::Image> regions;
  std::vector<image::ImageView> views;
  std::vector<float> input;
  std::vector<std::uint8_t> pixels;
  std::vector<image::ImageView> tiles;
  std::vector<writers::Coordinate> coordinates;
};

// Reads and preprocesses `tiles` into `batch`: the reads spread over
// `threads` threads, then the Preprocessor's batch call on as many.
void load_batch(const io::wsi::SlideReader& slide, std::span<const TileRegion> tiles,
                const models::Preprocessor& preprocessor, int threads, bool pixels_only, Batch& batch) {
  batch.regions.reserve(tiles.size());
  batch.views.resize(tiles.size());
  batch.coordinates.resize(tiles.size());
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const TileRegion& tile = tiles[i];
    if (i == batch.regions.size()) {
      batch.regions.emplace_back(tile.size.width, tile.size.height, image::PixelFormat::argb32_premultiplied);
    } else if (batch.regions[i].width() != tile.size.width || batch.regions[i].height() != tile.size.height) {
      batch.regions[i] = image::Image(tile.size.width, tile.size.height, image::PixelFormat::argb32_premultiplied);
    }
    batch.coordinates[i] = {.x = tile.x, .y = tile.y};
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
  const auto read = [&] {
    for (std::size_t i = next++; i < tiles.size() && !failed; i = next++) {
      try {
        slide.read_level_into(tiles[i].level, tiles[i].x, tiles[i].y, batch.regions[i].mutable_view());
        batch.views[i] = batch.regions[i].view();
      } catch (...) {
        if (!failed.exchange(true)) {
          failure = std::current_exception();
        }
      }
    }
  };
  {
    std::vector<std::jthread> readers;
    const std::size_t helpers = std::min(tiles.size(), static_cast<std::size_t>(threads)) - 1;
    for (std::size_t t = 0; t < helpers; ++t) {
      readers.emplace_back(read);
    }
    read();
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
  if (pixels_only) {
    const auto [channels, height, width] = preprocessor.output_shape();
    const auto tile_bytes = static_cast<std::size_t>(channels * height * width);
    batch.pixels.resize(tiles.size() * tile_bytes);
    preprocessor.resize(std::span<const image::ImageView>(batch.views), std::span<std::uint8_t>(batch.pixels), threads);
    batch.tiles.resize(tiles.size());
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      batch.tiles[i] = {.data = batch.pixels.data() + i * tile_bytes,
                        .width = width,
                        .height = height,
                        .stride_bytes = width * channels,
                        .format = image::PixelFormat::rgb8};
    }
    return;
  }
  batch.input.resize(tiles.size() * static_cast<std::size_t>(preprocessor.output_elements()));
  preprocessor(std::span<const image::ImageView>(batch.views), std::span<float>(batch.input), threads);
}

// --stain-estimation slide: the stains of up to 32 tiles spread evenly over
// the slide's tissue, estimated once at the model's size, are the source of
// every tile. A slide with too little tissue for one estimate keeps each
// tile's own stains, and says so.
models::Preprocessor slide_stain_preprocessor(const io::wsi::SlideReader& slide, std::span<const TileRegion> tiles,
                                              const models::ModelSpec& spec, models::PreprocessOptions options,
                                              const models::Preprocessor& per_tile, const std::string& label) {
  constexpr std::size_t sample_size = 32;
  const std::size_t count = std::min(sample_size, tiles.size());
  std::vector<image::Image> regions;
  std::vector<image::ImageView> views;
  regions.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const TileRegion& tile = tiles[i * tiles.size() / count];
    regions.emplace_back(tile.size.width, tile.size.height, image::PixelFormat::argb32_premultiplied);
    slide.read_level_into(tile.level, tile.x, tile.y, regions.back().mutable_view());
    views.push_back(regions.back().view());
  }
  try {
    options.stain.slide_stains = per_tile.fit_stains(views);
  } catch (const Error& error) {
    fmt::print(stderr, "{}: no slide-level stains ({}); each tile uses its own\n", label, error.what());
    return per_tile;
  }
  options.stain.estimation = models::StainEstimation::per_slide;
  return models::Preprocessor(spec, options);
}

// The command line checked both names (extract_command.cpp).
// The command line checked the name already.
writers::OutputFormat output_format(const ExtractOptions& options) {
  return writers::parse_output_format(options.format).value_or(writers::OutputFormat::hdf5);
}

writers::WriterOptions writer_options(const ExtractOptions& options, std::size_t tiles, const Model& model) {
  return {.format = output_format(options),
          .num_tiles = static_cast<std::int64_t>(tiles),
          .compressor = writers::parse_zarr_compressor(options.zarr_compressor).value_or(writers::ZarrCompressor::lz4),
          // The precision that ran, when it ran here (a server runs its own).
          .precision = model.local != nullptr ? std::optional{model.local->precision()} : std::nullopt};
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

struct SlideResult {
  std::size_t tiles;
  /// Time inside the backbone: the rest is reading, preprocessing and writing not hidden behind it.
  double model_seconds;
};

// Embeds one slide's tiles into `target`.
SlideResult extract_slide(const io::wsi::SlideReader& slide, extraction::wsi::TileExtractor& extractor,
                          const std::string& slide_id, const std::filesystem::path& target,
                          const ExtractOptions& options, const models::ModelSpec& spec,
                          const models::Preprocessor& per_tile, const models::PreprocessOptions& preprocess_options,
                          const Model& model, const std::string& label, bool terminal) {
  const std::vector<TileRegion>& tiles = extractor.fit(slide).extract();
  const models::Preprocessor preprocessor =
      options.stain_estimation == "slide" && !tiles.empty()
          ? slide_stain_preprocessor(slide, tiles, spec, preprocess_options, per_tile, label)
          : per_tile;
  const std::unique_ptr<writers::PredictionWriter> writer = writers::open_prediction_writer(
      target, spec, extractor.coordinate_attributes(), writer_options(options, tiles.size(), model));
  set_pictures(*writer, extractor);
  writer->set_metadata({{"slide_path", slide.path().string()}});  // mask_threshold is a coordinate attribute
  const bool pixels_only = model.takes_pixels();
  const std::vector<std::int64_t> output_shape = spec.output_shape();
  const auto embedding_size = static_cast<std::size_t>(
      std::accumulate(output_shape.begin(), output_shape.end(), std::int64_t{1}, std::multiplies<>()));
  const auto batch_size = static_cast<std::size_t>(options.batch_size);
  const std::size_t batches = (tiles.size() + batch_size - 1) / batch_size;
  const auto tiles_of = [&](std::size_t index) {
    const std::size_t first = index * batch_size;
    return std::span<const TileRegion>(tiles).subspan(first, std::min(batch_size, tiles.size() - first));
  };
  std::array<Batch, 2> buffers;
  std::vector<float> embeddings;
#if defined(BIOPTIMUS_EXTRACT_ENDPOINT)
  std::vector<remote::TilePosition> positions;
#endif
  Progress progress(label, tiles.size(), terminal);
  progress.update(0);
  std::future<void> loading;
  if (batches > 0) {
    loading = std::async(std::launch::async, [&] {
      load_batch(slide, tiles_of(0), preprocessor, options.threads, pixels_only, buffers[0]);
    });
  }
  double model_seconds = 0;
  try {
    std::size_t done = 0;
    for (std::size_t index = 0; index < batches; ++index) {
      loading.get();
      Batch& batch = buffers[index % 2];
      if (index + 1 < batches) {
        // The next batch is read while the backbone runs on this one.
        loading = std::async(std::launch::async, [&, index] {
          load_batch(slide, tiles_of(index + 1), preprocessor, options.threads, pixels_only, buffers[(index + 1) % 2]);
        });
      }
      embeddings.resize(batch.coordinates.size() * embedding_size);
      const Clock::time_point model_start = Clock::now();
#if defined(BIOPTIMUS_EXTRACT_ENDPOINT)
      if (model.remote != nullptr) {
        positions.resize(batch.coordinates.size());
        for (std::size_t i = 0; i < positions.size(); ++i) {
          positions[i] = {.x = batch.coordinates[i].x,
                          .y = batch.coordinates[i].y,
                          .patch_idx = static_cast<std::int64_t>(index * batch_size + i)};
        }
        model.remote->embed(batch.tiles, embeddings, slide_id, positions);
      } else {
        model.local->embed(batch.input, embeddings);
      }
#else
      model.local->embed(batch.input, embeddings);
#endif
      model_seconds += seconds_since(model_start);
      writer->write(embeddings, batch.coordinates);
      done += batch.coordinates.size();
      progress.update(done);
    }
  } catch (...) {
    progress.finish();  // the error goes on a line of its own
    throw;
  }
  writer->close();
  progress.finish();
  return {.tiles = tiles.size(), .model_seconds = model_seconds};
}

}  // namespace

int run_extract(const ExtractOptions& options, const RegistryLoader& load_registry) {
  const Clock::time_point start = Clock::now();
  // The manifest first: its errors must not wait for the model to load.
  const std::vector<ManifestEntry> slides = slides_to_run(options.input);
  const models::ModelSpec spec = resolve_model(load_registry(), options.model);
  if (options.stain_estimation == "slide" && !spec.stain_normalization()) {
    throw Error("--stain-estimation slide: " + spec.identity() + " has no stain_normalization");
  }
  if (!options.endpoint.empty() && (options.stain_target || options.stain_estimation == "slide")) {
    // The server preprocesses the tiles it receives with its own spec.
    throw Error("--stain-target and --stain-estimation slide need the model here (--weights), not --endpoint");
  }
  const models::PreprocessOptions preprocess_options = stain_target_options(options.stain_target, spec);
  const models::Preprocessor preprocessor(spec, preprocess_options);
  std::optional<inference::Backbone> backbone;
  Model model;
#if defined(BIOPTIMUS_EXTRACT_ENDPOINT)
  std::optional<remote::RemoteBackend> remote;
  if (!options.endpoint.empty()) {
    remote.emplace(
        spec, remote::RemoteOptions{
                  .endpoint = options.endpoint,
                  .concurrency = options.concurrency,
                  .tiles_per_request = options.tiles_per_request,
                  .timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options.request_timeout * 1000.0)),
                  .retries = options.retries,
              });
    model.remote = &*remote;
  }
#endif
  if (!model.takes_pixels()) {
    const std::filesystem::path weights = inference::resolve_weights(
        spec, options.weights ? std::optional<std::filesystem::path>{*options.weights} : std::nullopt);
    backbone.emplace(
        inference::Backbone::load(weights, spec,
                                  {.device = options.device,
                                   .precision = models::parse_precision(options.precision),  // nothing for "auto"
                                   .threads = options.threads}));
    model.local = &*backbone;
    fmt::print(stderr, "{}: {} ({}), {} threads\n", spec.identity(), models::to_string(backbone->precision()),
               backbone->precision_reason(), options.threads);
    for (const std::string& warning : backbone->warnings()) {
      fmt::print(stderr, "modelspec: warning: {}\n", warning);
    }
  }
  extraction::wsi::TileExtractor extractor{spec.tile_spec(),
                                           {.mask_threshold = options.mask_threshold, .model = spec.identity()}};
  const std::string extension{writers::extension(output_format(options))};
  std::filesystem::create_directories(options.output);
  const bool terminal = ::isatty(::fileno(stderr)) == 1;
  std::size_t failed = 0;
  std::size_t skipped = 0;
  std::size_t total_tiles = 0;
  double model_seconds = 0;
  for (std::size_t i = 0; i < slides.size(); ++i) {
    const std::string slide_path = slides[i].slide_path.string();
    const std::string& slide_id = slides[i].slide_id;
    const std::filesystem::path target = std::filesystem::path(options.output) / (slide_id + "." + extension);
    const std::string label = fmt::format("[{}/{}] {}", i + 1, slides.size(), slide_id);
    const Clock::time_point slide_start = Clock::now();
    nlohmann::ordered_json summary{{"slide", slide_path}, {"slide_id", slide_id}, {"model", spec.identity()}};
    if (!options.overwrite && std::filesystem::exists(target)) {
      ++skipped;
      fmt::print(stderr, "{}: {} exists, skipped (--overwrite redoes it)\n", label, target.string());
      summary.update({{"status", "skipped"}, {"output", target.string()}});
    } else {
      try {
        const io::wsi::SlideReader slide{slide_path, {.mpp_override = slides[i].mpp_override, .name = slide_id}};
        const SlideResult result = extract_slide(slide, extractor, slide_id, target, options, spec, preprocessor,
                                                 preprocess_options, model, label, terminal);
        total_tiles += result.tiles;
        model_seconds += result.model_seconds;
        summary.update({{"status", "ok"},
                        {"tiles", result.tiles},
                        {"seconds", seconds_since(slide_start)},
                        {"model_seconds", result.model_seconds},
                        {"output", target.string()}});
      } catch (const std::exception& error) {
        ++failed;
        fmt::print(stderr, "modelspec: {}\n", error.what());
        summary.update({{"status", "failed"}, {"seconds", seconds_since(slide_start)}, {"error", error.what()}});
      }
    }
    if (options.input.summary) {
      append_summary_line(*options.input.summary, summary);
    }
  }
  fmt::print("{} slides ({} failed, {} skipped), {} tiles, {:.2f} s ({:.2f} s in the model)\n", slides.size(), failed,
             skipped, total_tiles, seconds_since(start), model_seconds);
  return failed == 0 ? 0 : 1;
}

}  // namespace bioptimus::apps
