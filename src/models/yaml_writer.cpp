// ModelSpec -> canonical YAML: every key in schema order, defaults written
// out, numbers in their shortest exact form so that the text reads back to an
// equal spec.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/io/wsi/types.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/registry.hpp"

namespace bioptimus::models {
namespace {

// Numbers go out as preformatted plain scalars: yaml-cpp's own double
// output either rounds or prints 17 digits.
std::string number(double value) { return detail::format_number(value); }
std::string number(std::int64_t value) { return detail::format_number(value); }

// Text that is not printable ASCII goes out double-quoted with every other
// character escaped (\x85, \u2028, \U0001f600): left to yaml-cpp, a NEL, a
// line separator or a control character would be written raw, and YAML
// readers (yaml-cpp's own included) fold or reject them.
void write_text(YAML::Emitter& out, const std::string& text) {
  const bool printable_ascii = std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
  if (printable_ascii) {
    out << text;
  } else {
    out << YAML::DoubleQuoted << YAML::EscapeNonAscii << text;
  }
}

void write_optional_text(YAML::Emitter& out, std::string_view key, const std::optional<std::string>& value) {
  out << YAML::Key << std::string(key) << YAML::Value;
  if (value) {
    write_text(out, *value);
  } else {
    out << YAML::Null;
  }
}

void write_pair(YAML::Emitter& out, std::string_view key, std::string first, std::string second) {
  out << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq << first << second
      << YAML::EndSeq;
}

void write_resolution(YAML::Emitter& out, const io::wsi::Resolution& resolution) {
  out << YAML::Key << "resolution" << YAML::Value;
  if (const auto* mpp = std::get_if<io::wsi::MPP>(&resolution)) {
    out << number(mpp->microns_per_pixel());
  } else if (const auto* level = std::get_if<io::wsi::Level>(&resolution)) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "level" << YAML::Value << number(std::int64_t{level->index()})
        << YAML::EndMap;
  } else if (const auto* power = std::get_if<io::wsi::Magnification>(&resolution)) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "magnification" << YAML::Value << number(power->value())
        << YAML::EndMap;
  }
}

void write_numbers(YAML::Emitter& out, std::string_view key, std::span<const double> values) {
  out << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const double value : values) {
    out << number(value);
  }
  out << YAML::EndSeq;
}

template <class Value>
void write_word(YAML::Emitter& out, std::string_view key, Value value) {
  out << YAML::Key << std::string(key) << YAML::Value << std::string(to_string(value));
}

}  // namespace

std::string to_yaml(const ModelSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "model_name" << YAML::Value;
  write_text(out, spec.model_name());
  out << YAML::Key << "version" << YAML::Value;
  write_text(out, spec.version());
  write_optional_text(out, "weights_source", spec.weights_source());
  write_optional_text(out, "license", spec.license());

  const extraction::wsi::TileSpec& tile = spec.tile_spec();
  out << YAML::Key << "tile_spec" << YAML::Value << YAML::BeginMap;
  write_pair(out, "size", number(tile.width()), number(tile.height()));
  write_pair(out, "stride", number(tile.stride_width()), number(tile.stride_height()));
  write_resolution(out, tile.resolution());
  write_word(out, "unit", tile.unit());
  out << YAML::EndMap;

  out << YAML::Key << "num_channels" << YAML::Value << number(spec.num_channels());
  write_numbers(out, "mean", spec.mean());
  write_numbers(out, "std", spec.std());
  write_word(out, "interpolation", spec.interpolation());
  out << YAML::Key << "antialias" << YAML::Value << (spec.antialias() ? "true" : "false");
  write_word(out, "color_space", spec.color_space());
  out << YAML::Key << "stain_normalization" << YAML::Value;
  if (const auto method = spec.stain_normalization()) {
    out << std::string(to_string(*method));
  } else {
    out << YAML::Null;
  }
  out << YAML::Key << "stain_target" << YAML::Value;
  if (const auto& target = spec.stain_target()) {
    out << YAML::BeginMap;
    if (const auto* vectors = std::get_if<StainVectors>(&*target)) {
      write_numbers(out, "hematoxylin", vectors->hematoxylin);
      write_numbers(out, "eosin", vectors->eosin);
      write_numbers(out, "max_concentrations", vectors->max_concentrations);
    } else {
      const auto& lab = std::get<LabStatistics>(*target);
      write_numbers(out, "lab_mean", lab.mean);
      write_numbers(out, "lab_std", lab.std);
    }
    out << YAML::EndMap;
  } else {
    out << YAML::Null;
  }
  write_word(out, "architecture", spec.architecture());
  out << YAML::Key << "patch_size" << YAML::Value;
  if (const auto patch = spec.patch_size()) {
    out << number(*patch);
  } else {
    out << YAML::Null;
  }
  out << YAML::Key << "num_prefix_tokens" << YAML::Value << number(spec.num_prefix_tokens());
  out << YAML::Key << "embedding_dim" << YAML::Value << number(spec.embedding_dim());
  write_word(out, "output_type", spec.output_type());
  if (const auto dims = spec.output_spatial_dims()) {
    write_pair(out, "output_spatial_dims", number(dims->height), number(dims->width));
  } else {
    out << YAML::Key << "output_spatial_dims" << YAML::Value << YAML::Null;
  }
  write_word(out, "precision", spec.precision());
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace bioptimus::models
