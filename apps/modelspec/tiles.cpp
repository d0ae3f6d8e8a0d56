// `modelspec tiles SLIDE... (--model NAME | --tile-spec FILE) -o DIR`:
// for each slide, a tissue mask (CLAM's method at 8 um/px), the model's tile
// grid, the tiles with enough tissue, written to DIR/<slide>.<format>. A
// slide that fails is reported and the others still run; the exit status is
// 1 when any failed.
#include "tiles.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/extraction/wsi/thumbnail.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/io/wsi/reader.hpp"

namespace bioptimus::apps {
namespace {

struct TilesOptions {
  std::vector<std::string> slides;
  std::optional<std::string> model;
  std::optional<std::string> tile_spec_file;
  std::string output;
  std::optional<double> mpp_override;
  double mask_threshold = 0.5;
  std::string format = "h5";
  bool thumbnail = false;
};

int run_tiles(const TilesOptions& options, const std::function<models::Registry()>& load_registry) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  // A --tile-spec file is a model config: its tile_spec (and identity) are used.
  const models::ModelSpec spec =
      options.model ? load_registry().get(*options.model) : models::load_spec(*options.tile_spec_file);
  extraction::wsi::TileExtractor extractor{spec.tile_spec(),
                                           {.mask_threshold = options.mask_threshold, .model = spec.identity()}};
  io::wsi::SlideOptions slide_options;
  if (options.mpp_override) {
    slide_options.mpp_override = io::wsi::MPP{*options.mpp_override};
  }
  const bool terminal = ::isatty(::fileno(stderr)) == 1;
  std::size_t failed = 0;
  std::size_t tiles = 0;
  for (std::size_t i = 0; i < options.slides.size(); ++i) {
    const std::string& slide_path = options.slides[i];
    const Clock::time_point slide_start = Clock::now();
    try {
      const io::wsi::SlideReader slide{slide_path, slide_options};
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
      tiles += regions.size();
      if (terminal) {
        fmt::print(stderr, "[{}/{}] {}: {} of {} tiles -> {} ({:.2f} s)\n", i + 1, options.slides.size(), slide_path,
                   regions.size(), extractor.plan().size(), written.string(),
                   std::chrono::duration<double>(Clock::now() - slide_start).count());
      }
    } catch (const std::exception& error) {
      ++failed;
      fmt::print(stderr, "modelspec: {}\n", error.what());
    }
  }
  fmt::print("{} slides ({} failed), {} tiles, {:.2f} s\n", options.slides.size(), failed, tiles,
             std::chrono::duration<double>(Clock::now() - start).count());
  return failed == 0 ? 0 : 1;
}

}  // namespace

Subcommand add_tiles_command(CLI::App& app) {
  auto options = std::make_shared<TilesOptions>();
  CLI::App* tiles =
      app.add_subcommand("tiles", "Write the tissue tiles of slides for a model (HDF5 as CLAM/TRIDENT, CSV, JSON)");
  tiles->add_option("slides", options->slides, "Slide files (anything OpenSlide opens)")->required();
  CLI::Option* model = tiles->add_option("--model", options->model, "Model name (see `list`)");
  CLI::Option* file =
      tiles->add_option("--tile-spec", options->tile_spec_file, "A model config YAML whose tile_spec is used")
          ->check(CLI::ExistingFile);
  model->excludes(file);
  file->excludes(model);
  tiles->add_option("-o,--output", options->output, "Directory for the coordinate files")->required();
  tiles->add_option("--mpp-override", options->mpp_override, "Level-0 um/px for slides without (or with a wrong) MPP")
      ->check(CLI::PositiveNumber);
  tiles->add_option("--mask-threshold", options->mask_threshold, "Keep tiles with at least this tissue fraction")
      ->check(CLI::Range(0.0, 1.0));
  tiles->add_option("--format", options->format, "Coordinate file format")->check(CLI::IsMember({"h5", "csv", "json"}));
  tiles->add_flag("--thumbnail", options->thumbnail, "Also write DIR/<slide>.png with the mask and the tiles");
  tiles->fallthrough();
  tiles->callback([model, file] {
    if (model->count() == 0 && file->count() == 0) {
      throw CLI::RequiredError("--model or --tile-spec");
    }
  });
  return {tiles, [options](const std::function<models::Registry()>& load_registry) {
            return run_tiles(*options, load_registry);
          }};
}

}  // namespace bioptimus::apps
