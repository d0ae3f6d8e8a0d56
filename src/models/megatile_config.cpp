// Mega-tile spec files (bioptimus/models/megatile_config.hpp). A flat map of
// six keys, read with the model-config loader's own pieces (config_file,
// yaml_document, yaml_readers, diagnostic_sink), so that both kinds of
// config have one set of limits, text and tag rules and diagnostics; the
// value type's own violations are mapped back to the key they concern.
#include "bioptimus/models/megatile_config.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/grid_layout.hpp"
#include "diagnostic_sink.hpp"
#include "loader.hpp"
#include "yaml_document.hpp"
#include "yaml_readers.hpp"

namespace bioptimus::models {
namespace {

using detail::DiagnosticSink;
using detail::given;
using detail::KeyedNodes;
using detail::NodeReader;
using detail::NodeTag;
using detail::value_of;
using detail::YamlNode;
using extraction::wsi::MegaTileSpec;
using extraction::wsi::TileGridShape;

constexpr std::array<std::string_view, 6> known_keys{"model",       "megatile_shape",        "megatile_stride",
                                                     "grid_layout", "min_valid_tiles_ratio", "max_valid_tiles_ratio"};

const extraction::wsi::TileSpec* model_tile(const YamlNode& node, NodeReader& reader, const Registry& registry) {
  constexpr std::string_view expected = "a model name";
  if (!node.is_scalar()) {
    reader.sink().error(node, "model", "expected " + std::string(expected) + ", got " + detail::describe_node(node));
    return nullptr;
  }
  if (!reader.tag_fits(node, "model", expected, {NodeTag::str})) {
    return nullptr;
  }
  const std::string& name = node.scalar();
  if (const ModelSpec* spec = registry.find(name)) {
    return &spec->tile_spec();
  }
  const std::vector<std::string_view> names = registry.names();
  std::string message = "unknown model " + detail::quote(name);
  if (const auto suggestion = detail::nearest_spelling(name, names)) {
    message += " (did you mean " + detail::quote(*suggestion) + "?)";
  } else {
    message += "; expected one of " + detail::join_spellings(names);
  }
  reader.sink().error(node, "model", message);
  return nullptr;
}

std::optional<TileGridShape> grid_shape(const YamlNode& node, const std::string& field, NodeReader& reader) {
  constexpr std::string_view expected = "[rows, cols] as two whole numbers";
  if (!node.is_sequence() || node.size() != 2) {
    reader.sink().error(node, field, "expected " + std::string(expected) + ", got " + detail::describe_node(node));
    return std::nullopt;
  }
  if (!reader.tag_fits(node, field, expected, {NodeTag::seq})) {
    return std::nullopt;
  }
  const std::optional<std::int64_t> rows = reader.integer(node.item(0), field + "[0]", "a whole number of tile rows");
  const std::optional<std::int64_t> cols =
      reader.integer(node.item(1), field + "[1]", "a whole number of tile columns");
  if (!rows || !cols) {
    return std::nullopt;
  }
  return TileGridShape{.rows = *rows, .cols = *cols};
}

MegaTileSpec decode(const detail::YamlDocument& document, DiagnosticSink& sink, const Registry& registry) {
  NodeReader reader(sink);
  constexpr std::string_view expected_root =
      "a map with model, megatile_shape and optional megatile_stride, grid_layout, min_valid_tiles_ratio and "
      "max_valid_tiles_ratio";
  const detail::RootMap document_root = reader.root_map(document, expected_root, known_keys);
  const YamlNode& root = document_root.node;
  const KeyedNodes& keys = document_root.keys;
  const auto required = [&](std::string_view key, std::string_view what) {
    return reader.required(root, keys, "", key, what);
  };

  bool readable = true;
  const extraction::wsi::TileSpec* tile = nullptr;
  if (const YamlNode* value = required("model", "the name of a model whose tile_spec the blocks use")) {
    tile = model_tile(*value, reader, registry);
  }
  readable = readable && tile != nullptr;
  std::optional<TileGridShape> shape;
  if (const YamlNode* value = required("megatile_shape", "[rows, cols] as two whole numbers")) {
    shape = grid_shape(*value, "megatile_shape", reader);
  }
  readable = readable && shape.has_value();
  std::optional<TileGridShape> stride;
  if (const YamlNode* value = value_of(keys, "megatile_stride")) {
    stride = grid_shape(*value, "megatile_stride", reader);
    readable = readable && stride.has_value();
  }
  std::optional<extraction::wsi::GridLayout> layout = extraction::wsi::GridLayout::rectangular;
  if (const YamlNode* value = given(keys, "grid_layout")) {
    layout = reader.word(*value, "grid_layout", extraction::wsi::all_grid_layouts);
  }
  readable = readable && layout.has_value();
  std::optional<double> min_ratio = 0.5;
  if (const YamlNode* value = given(keys, "min_valid_tiles_ratio")) {
    min_ratio = reader.number(*value, "min_valid_tiles_ratio", "a number in [0, 1]");
  }
  readable = readable && min_ratio.has_value();
  std::optional<double> max_ratio;
  if (const YamlNode* value = value_of(keys, "max_valid_tiles_ratio")) {
    max_ratio = reader.number(*value, "max_valid_tiles_ratio", "a number in [0, 1]");
    readable = readable && max_ratio.has_value();
  }
  // The value rules compare fields with each other, so they are checked
  // only when every field could be read.
  if (readable) {
    try {
      MegaTileSpec spec{{.megatile_shape = *shape,
                         .tile_spec = *tile,
                         .grid_layout = *layout,
                         .megatile_stride = stride,
                         .min_valid_tiles_ratio = *min_ratio,
                         .max_valid_tiles_ratio = max_ratio}};
      if (sink.ok()) {
        return spec;
      }
    } catch (const ValidationError& invalid) {
      for (const Violation& violation : invalid.violations()) {
        const YamlNode* value = given(keys, violation.field);
        sink.error(value != nullptr ? *value : root, violation.field, violation.message);
      }
    }
  }
  throw ConfigError(sink.take());
}

}  // namespace

extraction::wsi::MegaTileSpec parse_megatile_spec(std::string_view yaml, std::string_view source_name,
                                                  const Registry& registry) {
  DiagnosticSink sink{std::string(source_name)};
  std::optional<detail::DocumentProblem> problem;
  const detail::YamlDocument document = detail::YamlDocument::read(yaml, "one mega-tile spec per file", problem);
  if (problem) {
    sink.error(sink.locate(problem->mark), "", problem->message);
    throw ConfigError(sink.take());
  }
  return decode(document, sink, registry);
}

extraction::wsi::MegaTileSpec load_megatile_spec(const std::filesystem::path& path, const Registry& registry) {
  return parse_megatile_spec(detail::read_config_file(path), path.string(), registry);
}

}  // namespace bioptimus::models
