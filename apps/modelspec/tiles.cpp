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

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Extracts one slide and writes its files; returns how many tiles or blocks
// it kept. `label` starts its progress line.
template <class Extractor>
std::size_t tile_one_slide(Extractor& extractor, const TilesOptions& options, const ManifestEntry& entry,
                           std::string_view unit, const std::string& label, bool terminal,
                           nlohmann::ordered_json& summary) {
  const Clock::time_point start = Clock::now();
  check_slide_name(entry);
  const io::wsi::SlideReader slide{entry.slide_path, {.mpp_override = entry.mpp_override, .name = entry.slide_id}};
  const auto& regions = extractor.fit(slide).extract();
  std::filesystem::path written;
  if (options.format == "csv") {
    written = extractor.to_csv(options.output);
  } else if (options.format == "json") {
    written = extractor.to_json(options.output);
  } else {
    written = write_hdf5(extractor, options);
  }
  if (options.thumbnail) {
    (void)extraction::wsi::write_thumbnail(options.output, slide, extractor);
  }
  const double seconds = seconds_since(start);
  if (terminal) {
    fmt::print(stderr, "{}: {} of {} {} -> {} ({:.2f} s)\n", label, regions.size(), candidates(extractor), unit,
               detail::escape_controls(written.string()), seconds);
  }
  summary.update(
      {{"status", "ok"}, {std::string(unit), regions.size()}, {"seconds", seconds}, {"output", written.string()}});
  return regions.size();
}

// Runs `extractor` over every slide; `unit` names what it extracts.
template <class Extractor>
int run_slides(Extractor& extractor, const TilesOptions& options, const models::ModelSpec& spec,
               std::string_view unit) {
  const Clock::time_point start = Clock::now();
  const std::vector<ManifestEntry> slides = slides_to_run(options.input);
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
  std::size_t failed = 0;
  std::size_t extracted = 0;
  bool summarised = true;
  for (std::size_t i = 0; i < slides.size(); ++i) {
    const ManifestEntry& slide = slides[i];
    const Clock::time_point slide_start = Clock::now();
    nlohmann::ordered_json summary{
        {"slide", slide.slide_path.string()}, {"slide_id", slide.slide_id}, {"model", spec.identity()}};
    // Escaped: a slide path may hold control characters.
    const std::string label =
        fmt::format("[{}/{}] {}", i + 1, slides.size(), detail::escape_controls(slide.slide_path.string()));
    if (!run_one_slide(
            summary, [&] { extracted += tile_one_slide(extractor, options, slide, unit, label, terminal, summary); })) {
      ++failed;
      summary["seconds"] = seconds_since(slide_start);
    }
    summarised = summaries.append(summary) && summarised;
  }
  fmt::print("{} slides ({} failed), {} {}, {:.2f} s\n", slides.size(), failed, extracted, unit, seconds_since(start));
  return failed == 0 && summarised ? 0 : 1;
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
