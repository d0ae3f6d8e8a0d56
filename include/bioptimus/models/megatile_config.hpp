// bioptimus/models/megatile_config.hpp
//
// Mega-tile spec files: a MegaTileSpec in YAML, for the model whose tiles it
// groups. The tile geometry is that model's tile_spec (from a Registry), so a
// block's tiles are always the ones the model was trained on.
//
//   # configs-local/h0-mini-blocks.yaml
//   model: h0-mini                # the model: its tile_spec is the tile
//   megatile_shape: [4, 4]        # rows, cols (tiles per block)
//   megatile_stride: [2, 2]       # optional, in tiles; default = megatile_shape
//   grid_layout: hexagonal        # optional: rectangular (default) or hexagonal
//   min_valid_tiles_ratio: 0.5    # optional, default 0.5
//   max_valid_tiles_ratio: 0.9    # optional, default none (null)
//
//   const MegaTileSpec blocks = load_megatile_spec("configs-local/h0-mini-blocks.yaml");
//
// Problems are reported as for model configs: a ConfigError with every
// problem as FILE:LINE:COL: error: FIELD: MESSAGE (docs/megatiles.md).
#ifndef BIOPTIMUS_MODELS_MEGATILE_CONFIG_HPP
#define BIOPTIMUS_MODELS_MEGATILE_CONFIG_HPP

#include <filesystem>
#include <string_view>

#include "bioptimus/extraction/wsi/megatile_spec.hpp"
#include "bioptimus/models/registry.hpp"

namespace bioptimus::models {

/// Parses a mega-tile spec from YAML text; `model` is looked up in
/// `registry`. `source_name` is what diagnostics call the text.
/// @throws ConfigError with every problem of the text.
[[nodiscard]] BIOPTIMUS_EXPORT extraction::wsi::MegaTileSpec parse_megatile_spec(
    std::string_view yaml, std::string_view source_name, const Registry& registry = Registry::builtin());

/// Loads a mega-tile spec file (at most LoadLimits::max_bytes).
/// @throws ConfigError when the file cannot be read or is not a valid spec.
[[nodiscard]] BIOPTIMUS_EXPORT extraction::wsi::MegaTileSpec load_megatile_spec(
    const std::filesystem::path& path, const Registry& registry = Registry::builtin());

}  // namespace bioptimus::models

#endif  // BIOPTIMUS_MODELS_MEGATILE_CONFIG_HPP
