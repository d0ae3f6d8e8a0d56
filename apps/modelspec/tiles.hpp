// `modelspec tiles`: tissue tile coordinates of slides for a model, one file
// per slide (HDF5 in CLAM's and TRIDENT's layout, CSV or JSON). Its command
// line (tiles_command.cpp) is in every modelspec; running it (tiles.cpp)
// needs the slide layers, so it runs in modelspec-tiles (companion_tool.hpp).
#ifndef BIOPTIMUS_APPS_TILES_HPP
#define BIOPTIMUS_APPS_TILES_HPP

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bioptimus/extraction/wsi/megatile_spec.hpp"
#include "companion_tool.hpp"
#include "manifest.hpp"

namespace bioptimus::apps {

struct TilesOptions {
  SlideArguments input;
  std::optional<std::string> model;
  std::optional<std::string> tile_spec_file;
  std::string output;
  double mask_threshold = 0.5;
  /// CLAM's segmentation preset by name (tcga, bwh_biopsy, bwh_resection) instead of our default mask.
  std::optional<std::string> tissue_preset;
  std::string format = "h5";
  /// HDF5 file names: "clam" (<slide>.h5) or "trident" (<slide>_patches.h5).
  std::string h5_naming = "clam";
  bool thumbnail = false;
  std::string layout = "rectangular";
  std::optional<std::string> megatile;
  std::optional<std::string> megatile_stride;
  double min_valid_ratio = 0.5;
  std::optional<double> max_valid_ratio;
  std::optional<std::int64_t> max_megatiles;
};

/// "ROWSxCOLS" as two whole numbers, or nothing; their range is MegaTileSpec's to check.
[[nodiscard]] std::optional<extraction::wsi::TileGridShape> parse_grid_shape(std::string_view text);

using TilesRunner = std::function<int(const TilesOptions&, const RegistryLoader&)>;

/// Adds `tiles` to `app`; `run` runs it.
Subcommand add_tiles_command(CLI::App& app, TilesRunner run);

/// Runs `tiles` in this process (needs the slide layers).
int run_tiles(const TilesOptions& options, const RegistryLoader& load_registry);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_TILES_HPP
