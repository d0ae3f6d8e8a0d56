// `modelspec extract SLIDE... --model NAME|FILE [--weights SNAPSHOT|MODEL.safetensors|MODEL.pt] -o DIR`,
// or `--manifest FILE` instead of the slides: the library's SlideInference
// over the slides (bioptimus/pipeline/slide_inference.hpp: the tissue tiles
// as `tiles` finds them, read on --threads threads, preprocessed, embedded by
// the backbone while the next batch is read: the native engine for published
// weights, found in the Hugging Face cache when --weights is left out,
// LibTorch for TorchScript; written by a PredictionWriter to DIR/<slide>.h5 in
// TRIDENT's layout, .npz or .zarr, with the slide's thumbnail and tissue
// mask). A slide whose output exists is skipped unless --overwrite; a slide
// that fails is reported and the others still run; the exit status is 1 when
// any failed. With --endpoint, a model server embeds the tiles instead
// (bioptimus/remote/remote_backend.hpp). This file prints: the progress bar,
// the messages, the summary lines.
#include "extract.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/image/image.hpp"
#include "bioptimus/inference/backbone.hpp"
#include "bioptimus/inference/weights.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/pipeline/cohort.hpp"
#include "bioptimus/pipeline/slide_inference.hpp"
#include "bioptimus/writers/prediction_writer.hpp"
#if defined(BIOPTIMUS_EXTRACT_ENDPOINT)
#include "bioptimus/remote/remote_backend.hpp"
#endif
#include "manifest.hpp"
#include "model_argument.hpp"
#include "preprocess_command.hpp"
#include "slide_run.hpp"

namespace bioptimus::apps {
namespace {

using Clock = std::chrono::steady_clock;

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

// The command line checked both names (extract_command.cpp).
// The precision is the embedder's (SlideInference sets it).
writers::WriterOptions writer_options(const ExtractOptions& options) {
  return {.format = writers::parse_output_format(options.format).value_or(writers::OutputFormat::hdf5),
          .compressor = writers::parse_zarr_compressor(options.zarr_compressor).value_or(writers::ZarrCompressor::lz4)};
}

#if defined(BIOPTIMUS_EXTRACT_ENDPOINT)
// A model server (--endpoint) as SlideInference's embedder: it takes the
// tiles resized but not normalised, as PNG, with their place in the slide.
class RemoteEmbedder final : public pipeline::TileEmbedder {
 public:
  explicit RemoteEmbedder(remote::RemoteBackend& remote) noexcept : remote_(&remote) {}

  [[nodiscard]] pipeline::TileFormat input_format() const noexcept override { return pipeline::TileFormat::rgb8; }
  [[nodiscard]] std::size_t embedding_size() const noexcept override { return remote_->embedding_size(); }

  void embed(const pipeline::TileBatch& batch, const std::string& slide_id, std::span<float> embeddings) override {
    const auto [count, height, width, channels] = batch.shape();
    const std::span<const std::uint8_t> pixels = batch.values<std::uint8_t>();
    const std::span<const extraction::wsi::TileRegion> regions = batch.tiles();
    const auto tile_bytes = static_cast<std::size_t>(height * width * channels);
    tiles_.resize(regions.size());
    positions_.resize(regions.size());
    for (std::size_t i = 0; i < regions.size(); ++i) {
      tiles_[i] = {.data = pixels.data() + i * tile_bytes,
                   .width = width,
                   .height = height,
                   .stride_bytes = width * channels,
                   .format = image::PixelFormat::rgb8};
      positions_[i] = {
          .x = regions[i].x, .y = regions[i].y, .patch_idx = batch.first_tile() + static_cast<std::int64_t>(i)};
    }
    remote_->embed(tiles_, embeddings, slide_id, positions_);
  }

 private:
  remote::RemoteBackend* remote_;
  std::vector<image::ImageView> tiles_;
  std::vector<remote::TilePosition> positions_;
};
#endif

}  // namespace

int run_extract(const ExtractOptions& options, const RegistryLoader& load_registry) {
  const Clock::time_point start = Clock::now();
  // The manifest, the names and the summary first: their errors must not
  // wait for the model to load.
  const pipeline::Cohort slides = slides_to_run(options.input);
  // ".h5", ".npz" or ".zarr" (a directory).
  const std::string suffix = "." + std::string{writers::extension(writer_options(options).format)};
  check_distinct_outputs(slides, {suffix});
  SummaryFile summaries(options.input.summary);
  const models::ModelSpec spec = resolve_model(load_registry(), options.model);
  if (options.stain_estimation == "slide" && !spec.stain_normalization()) {
    throw Error("--stain-estimation slide: " + spec.identity() + " has no stain_normalization");
  }
  if (!options.endpoint.empty() && (options.stain_target || options.stain_estimation == "slide")) {
    // The server preprocesses the tiles it receives with its own spec.
    throw Error("--stain-target and --stain-estimation slide need the model here (--weights), not --endpoint");
  }
  const models::PreprocessOptions preprocess_options = stain_target_options(options.stain_target, spec);
  // A spec the preprocessing cannot follow is refused before the model loads.
  (void)models::Preprocessor(spec, preprocess_options);
  // The embedder: a model server (--endpoint), else the backbone the weights choose.
  std::unique_ptr<pipeline::TileEmbedder> model;
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
    model = std::make_unique<RemoteEmbedder>(*remote);
  }
#endif
  std::optional<inference::Backbone> backbone;
  if (!model) {
    const std::filesystem::path weights = inference::resolve_weights(
        spec, options.weights ? std::optional<std::filesystem::path>{*options.weights} : std::nullopt);
    backbone.emplace(
        inference::Backbone::load(weights, spec,
                                  {.device = options.device,
                                   .precision = models::parse_precision(options.precision),  // nothing for "auto"
                                   .threads = options.threads}));
    model = std::make_unique<pipeline::BackboneEmbedder>(*backbone);
    fmt::print(stderr, "{}: {} ({}), {} threads\n", spec.identity(), models::to_string(backbone->precision()),
               backbone->precision_reason(), options.threads);
    for (const std::string& warning : backbone->warnings()) {
      fmt::print(stderr, "modelspec: warning: {}\n", warning);
    }
  }
  pipeline::SlideInference inference{
      spec,
      *model,
      {.extraction = {.mask_threshold = options.mask_threshold},
       .batch_size = options.batch_size,
       .threads = options.threads,
       .writer = writer_options(options),
       .preprocess = preprocess_options,
       .stain_estimation =
           options.stain_estimation == "slide" ? models::StainEstimation::per_slide : models::StainEstimation::per_tile,
       .notice = [](const std::string& slide_id, const std::string& message) {
         fmt::print(stderr, "{}: {}\n", detail::escape_controls(slide_id), detail::escape_controls(message));
       }}};
  std::filesystem::create_directories(options.output);
  remove_stale_temporaries(options.output, slides, {suffix});
  const bool terminal = ::isatty(::fileno(stderr)) == 1;
  const auto label = [&](std::size_t index, const pipeline::CohortSlide& slide) {
    // Escaped: a slide id from a file stem may hold control characters.
    return fmt::format("[{}/{}] {}", index + 1, slides.size(), detail::escape_controls(slide.slide_id));
  };
  std::optional<Progress> progress;
  const auto show_progress = [&](const pipeline::CohortSlide& slide, std::size_t index, std::int64_t done,
                                 std::int64_t total) {
    if (done == 0) {
      progress.emplace(label(index, slide), static_cast<std::size_t>(total), terminal);
    }
    progress->update(static_cast<std::size_t>(done));
  };
  bool summarised = true;
  const auto report_slide = [&](const pipeline::SlideReport& report) {
    if (progress) {
      progress->finish();  // an error goes on a line of its own
      progress.reset();
    }
    nlohmann::ordered_json summary{
        {"slide", report.slide.slide_path.string()}, {"slide_id", report.slide.slide_id}, {"model", spec.identity()}};
    switch (report.result.status) {
      case pipeline::SlideStatus::skipped:
        fmt::print(stderr, "{}: {} exists, skipped (--overwrite redoes it)\n", label(report.index, report.slide),
                   detail::escape_controls(report.result.output.string()));
        summary.update({{"status", "skipped"}, {"output", report.result.output.string()}});
        break;
      case pipeline::SlideStatus::failed: {
        const std::string failure = failure_message(report);
        apps::report(failure);
        summary.update({{"status", "failed"}, {"seconds", report.seconds}, {"error", failure}});
        break;
      }
      case pipeline::SlideStatus::ok:
        summary.update({{"status", "ok"},
                        {"tiles", report.result.tiles},
                        {"seconds", report.seconds},
                        {"model_seconds", report.result.model_seconds},
                        {"output", report.result.output.string()}});
        break;
    }
    summarised = summaries.append(summary) && summarised;
  };
  const pipeline::CohortSummary totals =
      inference.run(slides, options.output,
                    {.overwrite = options.overwrite,
                     .progress = show_progress,
                     .check = [](const pipeline::CohortSlide& slide) { check_slide_name(slide); },
                     .report = report_slide});
  fmt::print("{} slides ({} failed, {} skipped), {} tiles, {:.2f} s ({:.2f} s in the model)\n", totals.slides,
             totals.failed, totals.skipped, totals.tiles, seconds_since(start), totals.model_seconds);
  return totals.failed == 0 && summarised ? 0 : 1;
}

}  // namespace bioptimus::apps
