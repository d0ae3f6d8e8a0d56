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

#include "bioptimus/extraction/wsi/grid_layout.hpp"
#include "bioptimus/extraction/wsi/megatile_extractor.hpp"
#include "bioptimus/extraction/wsi/megatile_spec.hpp"
#include "bioptimus/extraction/wsi/thumbnail.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "manifest.hpp"

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

// Runs `extractor` over every slide; `unit` names what it extracts.
template <class Extractor>
int run_slides(Extractor& extractor, const TilesOptions& options, const models::ModelSpec& spec,
               std::string_view unit) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const std::vector<ManifestEntry> slides = slides_to_run(options.input);
  const bool terminal = ::isatty(::fileno(stderr)) == 1;
  std::size_t failed = 0;
  std::size_t extracted = 0;
  for (std::size_t i = 0; i < slides.size(); ++i) {
    const std::string slide_path = slides[i].slide_path.string();
    const Clock::time_point slide_start = Clock::now();
    nlohmann::ordered_json summary{{"slide", slide_path}, {"slide_id", slides[i].slide_id}, {"model", spec.identity()}};
    try {
      const io::wsi::SlideReader slide{slide_path,
                                       {.mpp_override = slides[i].mpp_override, .name = slides[i].slide_id}};
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
      extracted += regions.size();
      const double seconds = std::chrono::duration<double>(Clock::now() - slide_start).count();
      if (terminal) {
        fmt::print(stderr, "[{}/{}] {}: {} of {} {} -> {} ({:.2f} s)\n", i + 1, slides.size(), slide_path,
                   regions.size(), candidates(extractor), unit, written.string(), seconds);
      }
      summary.update(
          {{"status", "ok"}, {std::string(unit), regions.size()}, {"seconds", seconds}, {"output", written.string()}});
    } catch (const std::exception& error) {
      ++failed;
      fmt::print(stderr, "modelspec: {}\n", error.what());
      summary.update({{"status", "failed"},
                      {"seconds", std::chrono::duration<double>(Clock::now() - slide_start).count()},
                      {"error", error.what()}});
    }
    if (options.input.summary) {
      append_summary_line(*options.input.summary, summary);
    }
  }
  fmt::print("{} slides ({} failed), {} {}, {:.2f} s\n", slides.size(), failed, extracted, unit,
             std::chrono::duration<double>(Clock::now() - start).count());
  return failed == 0 ? 0 : 1;
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
