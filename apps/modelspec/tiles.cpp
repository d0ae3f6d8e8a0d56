// `modelspec tiles SLIDE... (--model NAME | --tile-spec FILE) -o DIR`, or
// `--manifest FILE` instead of the slides: for each slide, a tissue mask
// (CLAM's method at 8 um/px), the model's tile grid, the tiles with enough
// tissue, written to DIR/<slide>.<format>. With `--megatile ROWSxCOLS`, blocks
// of tiles instead (MegaTileExtractor). A slide that fails is reported and the
// others still run; the exit status is 1 when any failed. --summary appends
// one JSON line per slide (the Snakemake workflow's cohort summary reads them).
#include "tiles.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/extraction/wsi/grid_layout.hpp"
#include "bioptimus/extraction/wsi/megatile_extractor.hpp"
#include "bioptimus/extraction/wsi/megatile_spec.hpp"
#include "bioptimus/extraction/wsi/thumbnail.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "manifest.hpp"
#include "slide_run.hpp"

namespace bioptimus::apps {
namespace {

// How many tiles or blocks the last extract() considered.
std::int64_t candidates(const extraction::wsi::TileExtractor& extractor) { return extractor.plan().size(); }
std::int64_t candidates(const extraction::wsi::MegaTileExtractor& extractor) { return extractor.candidates(); }

std::filesystem::path write_hdf5(const extraction::wsi::TileExtractor& extractor, const TilesOptions& options) {
  return extractor.to_hdf5(options.output, options.h5_naming == "trident"
                                               ? extraction::wsi::CoordinatesFileName::trident
                                               : extraction::wsi::CoordinatesFileName::clam);
}
std::filesystem::path write_hdf5(const extraction::wsi::MegaTileExtractor& extractor, const TilesOptions& options) {
  return extractor.to_hdf5(options.output);
}

// Writes the extractor's tiles of the fitted slide in the chosen format; the path written.
template <class Extractor>
std::filesystem::path write_tiles(const Extractor& extractor, const TilesOptions& options) {
  if (options.format == "csv") {
    return extractor.to_csv(options.output);
  }
  if (options.format == "json") {
    return extractor.to_json(options.output);
  }
  return write_hdf5(extractor, options);
}

// Runs `extractor` over every slide; `unit` names what it extracts.
template <class Extractor>
int run_slides(Extractor& extractor, const TilesOptions& options, const models::ModelSpec& spec,
               std::string_view unit) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const pipeline::Cohort slides = slides_to_run(options.input);
  // What each slide's outputs add to its slide id (to_csv, to_json, to_hdf5, write_thumbnail).
  std::vector<std::string> suffixes{"." + options.format};
  if (options.format == "h5" && !options.megatile && options.h5_naming == "trident") {
    suffixes.front() = "_patches.h5";
  }
  if (options.thumbnail) {
    suffixes.emplace_back(".png");
  }
  check_distinct_outputs(slides, suffixes);
  SummaryFile summaries(options.input.summary);
  remove_stale_temporaries(options.output, slides, suffixes);
  const bool terminal = ::isatty(::fileno(stderr)) == 1;
  std::int64_t considered = 0;
  const auto extract_slide = [&](const pipeline::CohortSlide& entry, std::size_t) {
    check_slide_name(entry);
    const io::wsi::SlideReader slide{entry.slide_path, {.mpp_override = entry.mpp_override, .name = entry.slide_id}};
    const auto& regions = extractor.fit(slide).extract();
    considered = candidates(extractor);
    const std::filesystem::path written = write_tiles(extractor, options);
    if (options.thumbnail) {
      (void)extraction::wsi::write_thumbnail(options.output, slide, extractor);
    }
    return pipeline::SlideResult{.tiles = static_cast<std::int64_t>(regions.size()), .output = written};
  };
  bool summarised = true;
  const auto report_slide = [&](const pipeline::SlideReport& report) {
    const std::string slide_path = report.slide.slide_path.string();
    nlohmann::ordered_json summary{
        {"slide", slide_path}, {"slide_id", report.slide.slide_id}, {"model", spec.identity()}};
    if (report.result.status == pipeline::SlideStatus::failed) {
      const std::string failure = failure_message(report);
      apps::report(failure);
      summary.update({{"status", "failed"}, {"seconds", report.seconds}, {"error", failure}});
    } else {
      if (terminal) {
        // Escaped: a slide path may hold control characters.
        fmt::print(stderr, "[{}/{}] {}: {} of {} {} -> {} ({:.2f} s)\n", report.index + 1, slides.size(),
                   detail::escape_controls(slide_path), report.result.tiles, considered, unit,
                   detail::escape_controls(report.result.output.string()), report.seconds);
      }
      summary.update({{"status", "ok"},
                      {std::string(unit), report.result.tiles},
                      {"seconds", report.seconds},
                      {"output", report.result.output.string()}});
    }
    summarised = summaries.append(summary) && summarised;
  };
  const pipeline::CohortSummary totals = slides.run(extract_slide, report_slide);
  fmt::print("{} slides ({} failed), {} {}, {:.2f} s\n", totals.slides, totals.failed, totals.tiles, unit,
             std::chrono::duration<double>(Clock::now() - start).count());
  return totals.failed == 0 && summarised ? 0 : 1;
}

}  // namespace

int run_tiles(const TilesOptions& options, const RegistryLoader& load_registry) {
  // A --tile-spec file is a model config: its tile_spec (and identity) are used.
  const models::ModelSpec spec =
      options.model ? load_registry().get(*options.model) : models::load_spec(*options.tile_spec_file);
  // The command line admits only the presets' names.
  const std::optional<extraction::wsi::ClamPreset> preset =
      options.tissue_preset ? extraction::wsi::parse_clam_preset(*options.tissue_preset) : std::nullopt;
  extraction::wsi::TilingOptions tiling;
  tiling.grid_layout = extraction::wsi::parse_grid_layout(options.layout).value_or(tiling.grid_layout);
  if (!options.megatile) {
    extraction::wsi::TileExtractor extractor{
        spec.tile_spec(),
        {.mask_threshold = options.mask_threshold, .clam_preset = preset, .tiling = tiling, .model = spec.identity()}};
    return run_slides(extractor, options, spec, "tiles");
  }
  // Both shapes passed check_grid_shape; MegaTileSpec checks their range.
  const std::optional<extraction::wsi::TileGridShape> stride =
      options.megatile_stride ? parse_grid_shape(*options.megatile_stride) : std::nullopt;
  const extraction::wsi::MegaTileSpec blocks{{.megatile_shape = *parse_grid_shape(*options.megatile),
                                              .tile_spec = spec.tile_spec(),
                                              .grid_layout = tiling.grid_layout,
                                              .megatile_stride = stride,
                                              .min_valid_tiles_ratio = options.min_valid_ratio,
                                              .max_valid_tiles_ratio = options.max_valid_ratio}};
  extraction::wsi::MegaTileExtractor extractor{blocks,
                                               {.mask_threshold = options.mask_threshold,
                                                .clam_preset = preset,
                                                .tiling = tiling,
                                                .max_megatiles = options.max_megatiles,
                                                .model = spec.identity()}};
  return run_slides(extractor, options, spec, "megatiles");
}

}  // namespace bioptimus::apps
