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

struct TilesOptions {
  SlideArguments input;
  std::optional<std::string> model;
  std::optional<std::string> tile_spec_file;
  std::string output;
  double mask_threshold = 0.5;
  std::string format = "h5";
  bool thumbnail = false;
  std::string layout = "rectangular";
  std::optional<std::string> megatile;
  std::optional<std::string> megatile_stride;
  double min_valid_ratio = 0.5;
  std::optional<double> max_valid_ratio;
  std::optional<std::int64_t> max_megatiles;
};

// "ROWSxCOLS" as two whole numbers; their range is MegaTileSpec's to check.
std::optional<extraction::wsi::TileGridShape> parse_grid_shape(std::string_view text) {
  const std::size_t cross = text.find('x');
  if (cross == std::string_view::npos) {
    return std::nullopt;
  }
  const auto whole = [](std::string_view digits) -> std::optional<std::int64_t> {
    std::int64_t value = 0;
    const auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || status != std::errc{} || end != digits.data() + digits.size()) {
      return std::nullopt;
    }
    return value;
  };
  const std::optional<std::int64_t> rows = whole(text.substr(0, cross));
  const std::optional<std::int64_t> cols = whole(text.substr(cross + 1));
  if (!rows || !cols) {
    return std::nullopt;
  }
  return extraction::wsi::TileGridShape{.rows = *rows, .cols = *cols};
}

std::string check_grid_shape(const std::string& text) {
  return parse_grid_shape(text) ? std::string() : "expected ROWSxCOLS (two whole numbers, e.g. 4x4), got " + text;
}

// How many tiles or blocks the last extract() considered.
std::int64_t candidates(const extraction::wsi::TileExtractor& extractor) { return extractor.plan().size(); }
std::int64_t candidates(const extraction::wsi::MegaTileExtractor& extractor) { return extractor.candidates(); }

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
        written = extractor.to_hdf5(options.output);
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

int run_tiles(const TilesOptions& options, const std::function<models::Registry()>& load_registry) {
  // A --tile-spec file is a model config: its tile_spec (and identity) are used.
  const models::ModelSpec spec =
      options.model ? load_registry().get(*options.model) : models::load_spec(*options.tile_spec_file);
  extraction::wsi::TilingOptions tiling;
  tiling.grid_layout = extraction::wsi::parse_grid_layout(options.layout).value_or(tiling.grid_layout);
  if (!options.megatile) {
    extraction::wsi::TileExtractor extractor{
        spec.tile_spec(), {.mask_threshold = options.mask_threshold, .tiling = tiling, .model = spec.identity()}};
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
                                                .tiling = tiling,
                                                .max_megatiles = options.max_megatiles,
                                                .model = spec.identity()}};
  return run_slides(extractor, options, spec, "megatiles");
}

}  // namespace

Subcommand add_tiles_command(CLI::App& app) {
  auto options = std::make_shared<TilesOptions>();
  CLI::App* tiles =
      app.add_subcommand("tiles", "Write the tissue tiles of slides for a model (HDF5 as CLAM/TRIDENT, CSV, JSON)");
  add_slide_arguments(*tiles, options->input, "outputs");
  CLI::Option* model = tiles->add_option("--model", options->model, "Model name (see `list`)");
  CLI::Option* file =
      tiles->add_option("--tile-spec", options->tile_spec_file, "A model config YAML whose tile_spec is used")
          ->check(CLI::ExistingFile);
  model->excludes(file);
  file->excludes(model);
  tiles->add_option("-o,--output", options->output, "Directory for the coordinate files")->required();
  tiles->add_option("--mask-threshold", options->mask_threshold, "Keep tiles with at least this tissue fraction")
      ->check(CLI::Range(0.0, 1.0));
  tiles->add_option("--format", options->format, "Coordinate file format")->check(CLI::IsMember({"h5", "csv", "json"}));
  tiles->add_flag("--thumbnail", options->thumbnail, "Also write DIR/<slide>.png with the mask and the tiles");
  tiles->add_option("--layout", options->layout, "Tile grid: rectangular, or hexagonal (odd rows shifted half a tile)")
      ->check(CLI::IsMember({"rectangular", "hexagonal"}));
  CLI::Option* megatile =
      tiles->add_option("--megatile", options->megatile, "Extract blocks of ROWSxCOLS tiles (mega tiles) instead")
          ->check(check_grid_shape, "ROWSxCOLS");
  tiles
      ->add_option("--megatile-stride", options->megatile_stride,
                   "Step between blocks in tiles, ROWSxCOLS (default: the block, no overlap)")
      ->check(check_grid_shape, "ROWSxCOLS")
      ->needs(megatile);
  tiles
      ->add_option("--min-valid-ratio", options->min_valid_ratio,
                   "Keep blocks with at least this share of tissue tiles (default 0.5)")
      ->check(CLI::Range(0.0, 1.0))
      ->needs(megatile);
  tiles->add_option("--max-valid-ratio", options->max_valid_ratio, "... and at most this share (default: no bound)")
      ->check(CLI::Range(0.0, 1.0))
      ->needs(megatile);
  tiles
      ->add_option("--max-megatiles", options->max_megatiles,
                   "At most this many blocks per slide, those with the most tissue tiles")
      ->check(CLI::PositiveNumber)
      ->needs(megatile);
  tiles->fallthrough();
  tiles->callback([model, file, options] {
    if (model->count() == 0 && file->count() == 0) {
      throw CLI::RequiredError("--model or --tile-spec");
    }
    check_slide_arguments(options->input);
  });
  return {tiles, [options](const std::function<models::Registry()>& load_registry) {
            return run_tiles(*options, load_registry);
          }};
}

}  // namespace bioptimus::apps
