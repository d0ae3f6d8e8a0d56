// `modelspec tiles`'s command line: options and checks, shared by `modelspec`
// (which runs the command through modelspec-tiles) and the companions that
// run it. No slide layer here.
#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "number_options.hpp"
#include "tiles.hpp"

namespace bioptimus::apps {

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

namespace {

std::string check_grid_shape(const std::string& text) {
  return parse_grid_shape(text) ? std::string() : "expected ROWSxCOLS (two whole numbers, e.g. 4x4), got " + text;
}

}  // namespace

Subcommand add_tiles_command(CLI::App& app, TilesRunner run) {
  auto options = std::make_shared<TilesOptions>();
  CLI::App* tiles =
      app.add_subcommand("tiles", "Write the tissue tiles of slides for a model (HDF5 as CLAM/TRIDENT, CSV, JSON)");
  add_slide_arguments(*tiles, options->input, "outputs");
  CLI::Option* model = tiles->add_option("--model", options->model, "Model name (see `list`)");
  CLI::Option* file =
      tiles->add_option("--tile-spec", options->tile_spec_file, "A model config YAML whose tile_spec is used");
  model->excludes(file);
  file->excludes(model);
  tiles->add_option("-o,--output", options->output, "Directory for the coordinate files")->required();
  tiles->add_option("--mask-threshold", options->mask_threshold, "Keep tiles with at least this tissue fraction")
      ->transform(decimal_number(0.0, 1.0));
  tiles
      ->add_option("--tissue-preset", options->tissue_preset,
                   "Find tissue with CLAM's preset instead (tcga, bwh_biopsy, bwh_resection; default: ours, which "
                   "keeps pieces down to 0.01 mm^2)")
      ->check(CLI::IsMember({"tcga", "bwh_biopsy", "bwh_resection"}));
  tiles->add_option("--format", options->format, "Coordinate file format")->check(CLI::IsMember({"h5", "csv", "json"}));
  CLI::Option* naming = tiles
                            ->add_option("--h5-naming", options->h5_naming,
                                         "HDF5 file names: clam (<slide>.h5, default) or trident (<slide>_patches.h5)")
                            ->check(CLI::IsMember({"clam", "trident"}));
  tiles->add_flag("--thumbnail", options->thumbnail, "Also write DIR/<slide>.png with the mask and the tiles");
  tiles->add_option("--layout", options->layout, "Tile grid: rectangular, or hexagonal (odd rows shifted half a tile)")
      ->check(CLI::IsMember({"rectangular", "hexagonal"}));
  CLI::Option* megatile =
      tiles->add_option("--megatile", options->megatile, "Extract blocks of ROWSxCOLS tiles (mega tiles) instead")
          ->check(check_grid_shape, "ROWSxCOLS");
  naming->excludes(megatile);
  tiles
      ->add_option("--megatile-stride", options->megatile_stride,
                   "Step between blocks in tiles, ROWSxCOLS (default: the block, no overlap)")
      ->check(check_grid_shape, "ROWSxCOLS")
      ->needs(megatile);
  tiles
      ->add_option("--min-valid-ratio", options->min_valid_ratio,
                   "Keep blocks with at least this share of tissue tiles (default 0.5)")
      ->transform(decimal_number(0.0, 1.0))
      ->needs(megatile);
  tiles->add_option("--max-valid-ratio", options->max_valid_ratio, "... and at most this share (default: no bound)")
      ->transform(decimal_number(0.0, 1.0))
      ->needs(megatile);
  tiles
      ->add_option("--max-megatiles", options->max_megatiles,
                   "At most this many blocks per slide, those with the most tissue tiles")
      ->transform(whole_number(1, std::numeric_limits<std::int64_t>::max()))
      ->needs(megatile);
  tiles->fallthrough();
  tiles->callback([model, file, options] {
    if (model->count() == 0 && file->count() == 0) {
      throw CLI::RequiredError("--model or --tile-spec");
    }
    check_slide_arguments(options->input);
  });
  return {tiles, [options, run = std::move(run)](const RegistryLoader& load_registry) {
            return run(*options, load_registry);
          }};
}

}  // namespace bioptimus::apps
