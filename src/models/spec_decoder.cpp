// YAML node tree -> ModelSpec. Shape and type checks happen here (through
// the readers); the value rules live in the value types, whose
// ValidationErrors are mapped back to the node each violation names, so that
// every rule exists exactly once.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/io/wsi/types.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/models/vocabulary.hpp"
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
using io::wsi::Level;
using io::wsi::Magnification;
using io::wsi::MeasurementUnit;
using io::wsi::MPP;
using io::wsi::Resolution;

constexpr std::array<std::string_view, 20> model_keys{"model_name",
                                                      "version",
                                                      "weights_source",
                                                      "license",
                                                      "tile_spec",
                                                      "num_channels",
                                                      "mean",
                                                      "std",
                                                      "interpolation",
                                                      "antialias",
                                                      "color_space",
                                                      "stain_normalization",
                                                      "stain_target",
                                                      "architecture",
                                                      "patch_size",
                                                      "num_prefix_tokens",
                                                      "embedding_dim",
                                                      "output_type",
                                                      "output_spatial_dims",
                                                      "precision"};
constexpr std::array<std::string_view, 4> tile_keys{"size", "stride", "resolution", "unit"};
constexpr std::array<std::string_view, 3> resolution_keys{"mpp", "magnification", "level"};
constexpr std::array<std::string_view, 3> stain_vector_keys{"hematoxylin", "eosin", "max_concentrations"};
constexpr std::array<std::string_view, 2> lab_statistics_keys{"lab_mean", "lab_std"};
constexpr std::array<std::string_view, 5> stain_target_keys{"hematoxylin", "eosin", "max_concentrations", "lab_mean",
                                                            "lab_std"};

/// Whether `node` is a map whose tag (if any) says so; a map with a
/// contradicting tag is reported.
bool is_tagged_map(const YamlNode& node, const std::string& field, std::string_view expected, NodeReader& reader) {
  return node.is_map() && reader.tag_fits(node, field, expected, {NodeTag::map});
}

/// Maps a violation's field path ("tile_spec.size", "mean[1]",
/// "stain_target.eosin[2]") to the node it names, or to the nearest
/// enclosing map when the key is absent.
class FieldIndex {
 public:
  FieldIndex(YamlNode root, const KeyedNodes& top, const KeyedNodes& tile, const KeyedNodes& stain_target)
      : root_(root), top_(top), nested_{{{"tile_spec", &tile}, {"stain_target", &stain_target}}} {}

  [[nodiscard]] YamlNode find(const std::string& field) const {
    for (const auto& [name, keys] : nested_) {
      const std::string prefix = std::string(name) + ".";
      if (field.rfind(prefix, 0) != 0) {
        continue;
      }
      const std::string rest = field.substr(prefix.size());
      if (const auto value = element(*keys, rest)) {
        return *value;
      }
      if (rest == "stride" && name == "tile_spec") {
        return find("tile_spec.size");  // stride defaulted to size
      }
      return find(std::string(name));
    }
    return element(top_, field).value_or(root_);
  }

 private:
  // The node of `key` or `key[i]` among `keys`; nothing when the key is absent.
  static std::optional<YamlNode> element(const KeyedNodes& keys, const std::string& field) {
    const std::size_t bracket = field.find('[');
    const YamlNode* value = given(keys, field.substr(0, bracket));
    if (value == nullptr) {
      return std::nullopt;
    }
    if (bracket != std::string::npos && value->is_sequence()) {
      const std::size_t index = std::stoul(field.substr(bracket + 1));
      if (index < value->size()) {
        return value->item(index);
      }
    }
    return *value;
  }

  YamlNode root_;
  const KeyedNodes& top_;
  std::array<std::pair<std::string_view, const KeyedNodes*>, 2> nested_;
};

struct DecodedTile {
  std::optional<extraction::wsi::TileSpec> spec;
  KeyedNodes keys;
};

std::optional<Resolution> decode_resolution(const YamlNode& node, NodeReader& reader) {
  DiagnosticSink& sink = reader.sink();
  const std::string field = "tile_spec.resolution";
  constexpr std::string_view expected = "a number (an MPP) or a map {mpp: X}, {magnification: X} or {level: N}";
  // Builds the resolution, reporting a broken rule at the value that breaks it.
  const auto build = [&sink](const YamlNode& at, const std::string& at_field,
                             const auto& make) -> std::optional<Resolution> {
    try {
      return make();
    } catch (const ValidationError& invalid) {
      for (const Violation& violation : invalid.violations()) {
        sink.error(at, at_field, violation.message);
      }
    }
    return std::nullopt;
  };
  if (NodeReader::is_unquoted_scalar(node)) {
    const std::optional<double> mpp = reader.number(node, field, expected);
    return mpp ? build(node, field, [&] { return Resolution{MPP{*mpp}}; }) : std::nullopt;
  }
  if (!node.is_map() || node.size() == 0) {
    sink.error(node, field, std::string("expected ").append(expected) + ", got " + detail::describe_node(node));
    return std::nullopt;
  }
  if (!is_tagged_map(node, field, expected, reader)) {
    return std::nullopt;
  }
  const KeyedNodes keys = reader.keys_of(node, field, resolution_keys);
  if (keys.size() != node.size()) {
    return std::nullopt;  // an unknown or repeated key, already reported
  }
  if (keys.size() > 1) {
    // Named at the second kind given, in file order.
    const YamlNode first = node.key(0);
    const YamlNode second = node.key(1);
    sink.error(second, field + "." + second.scalar(),
               "expected only one of mpp, magnification or level; " + first.scalar() + " is already given at line " +
                   std::to_string(first.mark().line) + ", column " + std::to_string(first.mark().column));
    return std::nullopt;
  }
  const auto& [kind, value] = *keys.begin();
  const std::string value_field = field + "." + kind;
  if (kind == "level") {
    const std::optional<std::int64_t> index = reader.integer(value, value_field, "a whole number >= 0");
    return index ? build(value, value_field, [&] { return Resolution{Level{*index}}; }) : std::nullopt;
  }
  const std::optional<double> amount = reader.number(value, value_field, "a number > 0");
  if (!amount) {
    return std::nullopt;
  }
  if (kind == "mpp") {
    return build(value, value_field, [&] { return Resolution{MPP{*amount}}; });
  }
  return build(value, value_field, [&] { return Resolution{Magnification{*amount}}; });
}

DecodedTile decode_tile(const YamlNode& node, NodeReader& reader) {
  DiagnosticSink& sink = reader.sink();
  DecodedTile tile;
  constexpr std::string_view expected = "a map with size, stride, resolution and unit";
  if (!node.is_map()) {
    sink.error(node, "tile_spec", "expected " + std::string(expected) + ", got " + detail::describe_node(node));
    return tile;
  }
  if (!is_tagged_map(node, "tile_spec", expected, reader)) {
    return tile;
  }
  tile.keys = reader.keys_of(node, "tile_spec", tile_keys);
  const auto required = [&](std::string_view key, std::string_view what) {
    return reader.required(node, tile.keys, "tile_spec", key, what);
  };
  std::optional<extraction::wsi::Extent> size;
  if (const YamlNode* value = required("size", "[width, height] or one number for both")) {
    size = reader.extent(*value, "tile_spec.size");
  }
  std::optional<extraction::wsi::Extent> stride;
  bool stride_ok = true;
  if (const YamlNode* value = given(tile.keys, "stride")) {
    stride = reader.extent(*value, "tile_spec.stride");
    stride_ok = stride.has_value();
  }
  std::optional<Resolution> resolution;
  if (const YamlNode* value = required("resolution", "a number (an MPP), {mpp: X}, {magnification: X} or {level: N}")) {
    resolution = decode_resolution(*value, reader);
  }
  std::optional<MeasurementUnit> unit = MeasurementUnit::pixels;
  if (const YamlNode* value = given(tile.keys, "unit")) {
    unit = reader.word(*value, "tile_spec.unit", io::wsi::all_measurement_units);
  }
  if (!size || !stride_ok || !resolution || !unit) {
    sink.mark_failed("tile_spec");
    return tile;
  }
  try {
    tile.spec.emplace(extraction::wsi::TileSpec::Fields{
        .size = *size,
        .stride = stride ? extraction::wsi::OptionalExtent{*stride} : extraction::wsi::OptionalExtent{},
        .resolution = *resolution,
        .unit = *unit});
  } catch (const ValidationError& invalid) {
    const KeyedNodes no_other_keys;
    const FieldIndex index(node, no_other_keys, tile.keys, no_other_keys);
    for (const Violation& violation : invalid.violations()) {
      if (violation.field == "stride" && !stride) {
        continue;  // the stride is the size: its fault is already reported
      }
      const std::string field = "tile_spec." + violation.field;
      sink.error(index.find(field), field, violation.message);
    }
    sink.mark_failed("tile_spec");
  }
  return tile;
}

/// output_spatial_dims: [height, width]. When one side cannot be read, the
/// other is still checked on its own, so that both faults are reported.
std::optional<SpatialDims> decode_spatial_dims(const YamlNode& node, NodeReader& reader) {
  constexpr std::string_view expected = "[height, width] as two whole numbers > 0, or null";
  if (!node.is_sequence() || node.size() != 2) {
    reader.sink().error(node, "output_spatial_dims",
                        std::string("expected ").append(expected) + ", got " + detail::describe_node(node));
    return std::nullopt;
  }
  if (!reader.tag_fits(node, "output_spatial_dims", expected, {NodeTag::seq})) {
    return std::nullopt;
  }
  const auto height = reader.integer(node.item(0), "output_spatial_dims", expected);
  const auto width = reader.integer(node.item(1), "output_spatial_dims", expected);
  if (height && width) {
    return SpatialDims{.width = *width, .height = *height};
  }
  const auto check_alone = [&](const std::optional<std::int64_t>& side, const YamlNode& at) {
    if (side && !ModelSpec::is_valid_spatial_side(*side)) {
      reader.sink().error(at, "output_spatial_dims",
                          "expected a whole number in [1, " +
                              std::to_string(extraction::wsi::TileSpec::max_side_pixels) + "], got " +
                              std::to_string(*side));
    }
  };
  check_alone(height, node.item(0));
  check_alone(width, node.item(1));
  return std::nullopt;
}

struct DecodedStainTarget {
  std::optional<StainTarget> target;
  KeyedNodes keys;
};

/// A list of exactly N numbers; each element is checked (and reported) on its own.
template <std::size_t N>
std::optional<std::array<double, N>> fixed_numbers(const YamlNode& node, const std::string& field,
                                                   std::string_view what, NodeReader& reader) {
  const std::string expected = std::string(what) + ": a list of " + std::to_string(N) + " numbers";
  if (!node.is_sequence() || node.size() != N) {
    reader.sink().error(node, field, "expected " + expected + ", got " + detail::describe_node(node));
    return std::nullopt;
  }
  if (!reader.tag_fits(node, field, expected, {NodeTag::seq})) {
    return std::nullopt;
  }
  std::array<double, N> values{};
  bool ok = true;
  for (std::size_t i = 0; i < N; ++i) {
    const std::optional<double> value = reader.number(node.item(i), field + "[" + std::to_string(i) + "]", "a number");
    ok = ok && value.has_value();
    values[i] = value.value_or(0.0);
  }
  return ok ? std::optional<std::array<double, N>>{values} : std::nullopt;
}

/// stain_target: {hematoxylin, eosin, max_concentrations} (macenko,
/// vahadane) or {lab_mean, lab_std} (reinhard). Which rules the values
/// follow, and whether the form fits the method, are the ModelSpec's.
DecodedStainTarget decode_stain_target(const YamlNode& node, NodeReader& reader) {
  DiagnosticSink& sink = reader.sink();
  const std::string field = "stain_target";
  DecodedStainTarget decoded;
  constexpr std::string_view expected =
      "a map of hematoxylin, eosin and max_concentrations (macenko, vahadane) or of lab_mean and lab_std "
      "(reinhard), or null";
  const auto fail = [&] {
    sink.mark_failed(field);
    return std::move(decoded);
  };
  if (!node.is_map() || node.size() == 0) {
    sink.error(node, field, std::string("expected ").append(expected) + ", got " + detail::describe_node(node));
    return fail();
  }
  if (!is_tagged_map(node, field, expected, reader)) {
    return fail();
  }
  decoded.keys = reader.keys_of(node, field, stain_target_keys);
  if (decoded.keys.size() != node.size()) {
    return fail();  // an unknown or repeated key, already reported
  }
  const auto first_of = [&](std::span<const std::string_view> kind) -> std::optional<YamlNode> {
    for (std::size_t i = 0; i < node.size(); ++i) {
      if (std::find(kind.begin(), kind.end(), node.key(i).scalar()) != kind.end()) {
        return node.key(i);
      }
    }
    return std::nullopt;
  };
  const std::optional<YamlNode> vector_key = first_of(stain_vector_keys);
  const std::optional<YamlNode> lab_key = first_of(lab_statistics_keys);
  if (vector_key && lab_key) {
    // Named at the second kind given, in file order.
    const bool lab_second =
        lab_key->mark().line > vector_key->mark().line ||
        (lab_key->mark().line == vector_key->mark().line && lab_key->mark().column > vector_key->mark().column);
    const YamlNode& first = lab_second ? *vector_key : *lab_key;
    const YamlNode& second = lab_second ? *lab_key : *vector_key;
    sink.error(second, field + "." + second.scalar(),
               "expected stain vectors (hematoxylin, eosin, max_concentrations) or LAB statistics (lab_mean, "
               "lab_std), not both; " +
                   first.scalar() + " is given at line " + std::to_string(first.mark().line) + ", column " +
                   std::to_string(first.mark().column));
    return fail();
  }
  const auto required = [&](std::string_view key, std::string_view what) {
    return reader.required(node, decoded.keys, field, key, what);
  };
  bool ok = true;
  if (vector_key) {
    StainVectors vectors{};
    const auto read = [&](std::string_view key, std::string_view what, auto& destination) {
      if (const YamlNode* value = required(key, what)) {
        using Array = std::remove_reference_t<decltype(destination)>;
        if (const auto values =
                fixed_numbers<std::tuple_size_v<Array>>(*value, field + "." + std::string(key), what, reader)) {
          destination = *values;
          return;
        }
      }
      ok = false;
    };
    read("hematoxylin", "haematoxylin's optical density per unit concentration in [red, green, blue]",
         vectors.hematoxylin);
    read("eosin", "eosin's optical density per unit concentration in [red, green, blue]", vectors.eosin);
    read("max_concentrations", "the 99th percentile concentrations [haematoxylin, eosin]", vectors.max_concentrations);
    if (ok) {
      decoded.target = vectors;
    }
  } else {
    LabStatistics lab{};
    for (const auto& [key, what, destination] :
         {std::tuple{"lab_mean", "the LAB mean [L, a, b]", &lab.mean},
          std::tuple{"lab_std", "the LAB standard deviation [L, a, b]", &lab.std}}) {
      const YamlNode* value = required(key, what);
      const auto values =
          value ? fixed_numbers<3>(*value, field + "." + key, what, reader) : std::optional<std::array<double, 3>>{};
      if (values) {
        *destination = *values;
      } else {
        ok = false;
      }
    }
    if (ok) {
      decoded.target = lab;
    }
  }
  return ok ? std::move(decoded) : fail();
}

detail::LocatedSpec decode(const detail::YamlDocument& document, DiagnosticSink& sink) {
  NodeReader reader(sink);
  constexpr std::string_view expected_root = "a map of model fields (model_name, version, tile_spec, ...)";
  const detail::RootMap document_root = reader.root_map(document, expected_root, model_keys);
  const YamlNode& root = document_root.node;
  const KeyedNodes& keys = document_root.keys;
  const auto required = [&](std::string_view key, std::string_view what) {
    return reader.required(root, keys, "", key, what);
  };
  const auto optional_text = [&](std::string_view key) -> std::optional<std::string> {
    const YamlNode* value = value_of(keys, key);
    return value ? reader.text(*value, std::string(key)) : std::nullopt;
  };

  ModelSpec::Fields fields{.tile_spec =
                               extraction::wsi::TileSpec{{.size = extraction::wsi::Extent{1}, .resolution = MPP{1.0}}}};
  if (const YamlNode* value = required("model_name", "the model's name, e.g. h0-mini")) {
    fields.model_name = reader.text(*value, "model_name").value_or("");
  }
  if (const YamlNode* value = required("version", "a SemVer version, e.g. 1.0.0")) {
    fields.version = reader.text(*value, "version").value_or("");
  }
  fields.weights_source = optional_text("weights_source");
  fields.license = optional_text("license");

  DecodedTile tile;
  if (const YamlNode* value = required("tile_spec", "a map with size, stride, resolution and unit")) {
    tile = decode_tile(*value, reader);
    if (tile.spec) {
      fields.tile_spec = *tile.spec;
    }
  }
  // Keys with a default but without null in their type: null is an error.
  if (const YamlNode* value = given(keys, "num_channels")) {
    fields.num_channels = reader.integer(*value, "num_channels", "a whole number >= 1").value_or(3);
  }
  if (const YamlNode* value = required("mean", "a list of numbers, one per channel")) {
    fields.mean = reader.numbers(*value, "mean").value_or(std::vector<double>{});
  }
  if (const YamlNode* value = required("std", "a list of numbers > 0, one per channel")) {
    fields.std = reader.numbers(*value, "std").value_or(std::vector<double>{});
  }
  if (const YamlNode* value = given(keys, "interpolation")) {
    fields.interpolation = reader.word(*value, "interpolation", all_interpolations).value_or(Interpolation::bicubic);
  }
  if (const YamlNode* value = given(keys, "antialias")) {
    fields.antialias = reader.boolean(*value, "antialias").value_or(true);
  }
  if (const YamlNode* value = given(keys, "color_space")) {
    fields.color_space = reader.word(*value, "color_space", all_color_spaces).value_or(ColorSpace::rgb);
  }
  if (const YamlNode* value = value_of(keys, "stain_normalization")) {
    fields.stain_normalization = reader.word(*value, "stain_normalization", all_stain_normalizations);
  }
  DecodedStainTarget stain_target;
  if (const YamlNode* value = value_of(keys, "stain_target")) {
    stain_target = decode_stain_target(*value, reader);
    fields.stain_target = stain_target.target;
  }
  if (const YamlNode* value = given(keys, "architecture")) {
    fields.architecture = reader.word(*value, "architecture", all_architectures).value_or(Architecture::vit);
  }
  if (const YamlNode* value = value_of(keys, "patch_size")) {
    fields.patch_size = reader.integer(*value, "patch_size", "a whole number > 0 (vit) or null");
  }
  if (const YamlNode* value = value_of(keys, "num_prefix_tokens")) {  // null: the architecture's default
    fields.num_prefix_tokens = reader.integer(*value, "num_prefix_tokens", "a whole number >= 0");
  }
  if (const YamlNode* value = required("embedding_dim", "a whole number > 0")) {
    fields.embedding_dim = reader.integer(*value, "embedding_dim", "a whole number > 0").value_or(2);
  }
  if (const YamlNode* value =
          required("output_type", "one of " + detail::join_spellings(detail::spellings_of(all_output_types)))) {
    fields.output_type = reader.word(*value, "output_type", all_output_types);
  }
  if (const YamlNode* value = value_of(keys, "output_spatial_dims")) {
    fields.output_spatial_dims = decode_spatial_dims(*value, reader);
  }
  if (const YamlNode* value = given(keys, "precision")) {
    fields.precision = reader.word(*value, "precision", all_precisions).value_or(Precision::fp32);
  }

  // Stand-ins keep the value rules of the other fields checkable; the
  // violations they cause are suppressed below.
  if (fields.mean.empty() && sink.failed("mean")) {
    fields.mean.assign(static_cast<std::size_t>(std::clamp<std::int64_t>(fields.num_channels, 0, 64)), 0.0);
  }
  if (fields.std.empty() && sink.failed("std")) {
    fields.std.assign(static_cast<std::size_t>(std::clamp<std::int64_t>(fields.num_channels, 0, 64)), 1.0);
  }

  const FieldIndex index(root, keys, tile.keys, stain_target.keys);
  try {
    ModelSpec spec(std::move(fields));
    if (!sink.ok()) {
      throw ConfigError(sink.take());
    }
    return {std::move(spec), sink.locate(index.find("model_name"))};
  } catch (const ValidationError& invalid) {
    for (const Violation& violation : invalid.violations()) {
      if (!sink.suppressed(violation)) {
        sink.error(index.find(violation.field), violation.field, violation.message);
      }
    }
  }
  throw ConfigError(sink.take());
}

}  // namespace
}  // namespace bioptimus::models

namespace bioptimus::detail {

LocatedSpec parse_located_spec(std::string_view yaml, std::string_view source_name) {
  DiagnosticSink sink{std::string(source_name)};
  std::optional<DocumentProblem> problem;
  const YamlDocument document = YamlDocument::read(yaml, "one model per file", problem);
  if (problem) {
    sink.error(sink.locate(problem->mark), "", problem->message);
    throw models::ConfigError(sink.take());
  }
  return models::decode(document, sink);
}

}  // namespace bioptimus::detail

namespace bioptimus::models {

ModelSpec parse_spec(std::string_view yaml, std::string_view source_name) {
  return detail::parse_located_spec(yaml, source_name).spec;
}

}  // namespace bioptimus::models
