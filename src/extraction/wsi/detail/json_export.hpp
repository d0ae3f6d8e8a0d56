// What the JSON exports of TileExtractor and MegaTileExtractor share: how
// they describe the model and the tile spec, and how the document is written.
#ifndef BIOPTIMUS_SRC_EXTRACTION_DETAIL_JSON_EXPORT_HPP
#define BIOPTIMUS_SRC_EXTRACTION_DETAIL_JSON_EXPORT_HPP

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/io/wsi/measurement_unit.hpp"
#include "bioptimus/io/wsi/resolution.hpp"
#include "export_file.hpp"

namespace bioptimus::detail {

/// The model's name, or null when none was given.
[[nodiscard]] inline nlohmann::ordered_json model_json(const std::string& model) {
  return model.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(model);
}

/// The tile spec as the user wrote it: size, stride, resolution and unit.
[[nodiscard]] inline nlohmann::ordered_json tile_spec_json(const extraction::wsi::TileSpec& tile) {
  return {
      {"size", {tile.width(), tile.height()}},
      {"stride", {tile.stride_width(), tile.stride_height()}},
      {"resolution", io::wsi::describe(tile.resolution())},
      {"unit", std::string(io::wsi::to_string(tile.unit()))},
  };
}

/// Writes `document`, indented by two spaces, to `target` (atomically).
inline void write_json(const std::filesystem::path& target, const nlohmann::ordered_json& document) {
  write_atomically(target, [&](OutputFile& file) { file.write(document.dump(2) + '\n'); });
}

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_EXTRACTION_DETAIL_JSON_EXPORT_HPP
