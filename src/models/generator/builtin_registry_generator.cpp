// Build step: loads every built-in config with the library's own loader and
// writes its fields as a constant table (src/models/builtin_specs.hpp), from which
// the library constructs the same specs, so that
// Registry::builtin() parses no YAML at run time. A broken config fails the
// build with its located diagnostics.
//
//   bioptimus_builtin_registry_generator OUTPUT.cpp CONFIG.yaml...
#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/models/registry.hpp"
#include "loader.hpp"

namespace {

using namespace bioptimus::models;
namespace wsi = bioptimus::io::wsi;
using bioptimus::extraction::wsi::TileSpec;

/// A C++ string literal of `text`: bytes outside printable ASCII as octal
/// escapes (three digits at most, so no following character is swallowed).
std::string literal(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += '\\';
      out += static_cast<char>('0' + ((byte >> 6U) & 7U));
      out += static_cast<char>('0' + ((byte >> 3U) & 7U));
      out += static_cast<char>('0' + (byte & 7U));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// A double literal that reads back exactly (the shortest round-trip form).
std::string number(double value) {
  std::string text = bioptimus::detail::format_number(value);
  if (text.find_first_of(".e") == std::string::npos) {
    text += ".0";
  }
  return text;
}

std::string number(std::int64_t value) { return "std::int64_t{" + std::to_string(value) + "}"; }

/// `all_<vocabulary>[index]`: the enumerator by its position, so that no
/// spelling-to-identifier table is needed.
template <class Enum, std::size_t N>
std::string enumerator(Enum value, const std::array<Enum, N>& all, std::string_view all_name) {
  const auto found = std::find(all.begin(), all.end(), value);
  return std::string(all_name) + "[" + std::to_string(found - all.begin()) + "]";
}

/// A std::string_view of `text` with its length spelled out, so that no byte
/// (a NUL included) is lost.
std::string view(std::string_view text) {
  return "std::string_view{" + literal(text) + ", " + std::to_string(text.size()) + "}";
}

std::string optional_view(const std::optional<std::string>& value) { return value ? view(*value) : "std::nullopt"; }

std::string resolution(const wsi::Resolution& value) {
  if (const auto* mpp = std::get_if<wsi::MPP>(&value)) {
    return "io::wsi::MPP{" + number(mpp->value()) + "}";
  }
  if (const auto* power = std::get_if<wsi::Magnification>(&value)) {
    return "io::wsi::Magnification{" + number(power->value()) + "}";
  }
  return "io::wsi::Level{" + number(std::int64_t{std::get<wsi::Level>(value).index()}) + "}";
}

/// `constexpr std::array<double, N> name{...};`: a row's mean or std.
std::string numbers(const std::string& name, std::span<const double> values) {
  std::string out = "constexpr std::array<double, " + std::to_string(values.size()) + "> " + name + "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += (i == 0 ? "" : ", ") + number(values[i]);
  }
  return out + "};\n";
}

/// `{a, b, c}` of exact double literals.
template <std::size_t N>
std::string braced(const std::array<double, N>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < N; ++i) {
    out += (i == 0 ? "" : ", ") + number(values[i]);
  }
  return out + "}";
}

/// A StainTarget literal.
std::string stain_target(const StainTarget& target) {
  if (const auto* vectors = std::get_if<StainVectors>(&target)) {
    return "models::StainVectors{.hematoxylin = " + braced(vectors->hematoxylin) +
           ", .eosin = " + braced(vectors->eosin) + ", .max_concentrations = " + braced(vectors->max_concentrations) +
           "}";
  }
  const auto& lab = std::get<LabStatistics>(target);
  return "models::LabStatistics{.mean = " + braced(lab.mean) + ", .std = " + braced(lab.std) + "}";
}

/// The spec's row of the table; its mean and std are the arrays `mean_<index>`
/// and `std_<index>`. The tile spec is a constant expression, so that its
/// rules are checked again when the table is compiled.
std::string row(const ModelSpec& spec, std::size_t index) {
  const TileSpec& tile = spec.tile_spec();
  std::string out = "    BuiltinSpecRow{\n";
  const auto field = [&out](std::string_view name, const std::string& value) {
    out += "        ." + std::string(name) + " = " + value + ",\n";
  };
  field("model_name", view(spec.model_name()));
  field("version", view(spec.version()));
  field("weights_source", optional_view(spec.weights_source()));
  field("license", optional_view(spec.license()));
  field("tile_spec", "extraction::wsi::TileSpec{{.size = extraction::wsi::Extent{" + number(tile.width()) + ", " +
                         number(tile.height()) + "}, .stride = extraction::wsi::Extent{" + number(tile.stride_width()) +
                         ", " + number(tile.stride_height()) + "}, .resolution = " + resolution(tile.resolution()) +
                         ", .unit = " +
                         enumerator(tile.unit(), wsi::all_measurement_units, "io::wsi::all_measurement_units") + "}}");
  field("num_channels", number(spec.num_channels()));
  field("mean", "mean_" + std::to_string(index));
  field("std", "std_" + std::to_string(index));
  field("interpolation", enumerator(spec.interpolation(), all_interpolations, "models::all_interpolations"));
  field("antialias", spec.antialias() ? "true" : "false");
  field("color_space", enumerator(spec.color_space(), all_color_spaces, "models::all_color_spaces"));
  field("stain_normalization",
        spec.stain_normalization()
            ? enumerator(*spec.stain_normalization(), all_stain_normalizations, "models::all_stain_normalizations")
            : "std::nullopt");
  field("stain_target", spec.stain_target() ? stain_target(*spec.stain_target()) : "std::nullopt");
  field("architecture", enumerator(spec.architecture(), all_architectures, "models::all_architectures"));
  field("patch_size", spec.patch_size() ? number(*spec.patch_size()) : "std::nullopt");
  field("num_prefix_tokens", number(spec.num_prefix_tokens()));
  field("embedding_dim", number(spec.embedding_dim()));
  field("output_type", enumerator(spec.output_type(), all_output_types, "models::all_output_types"));
  const auto dims = spec.output_spatial_dims();
  field("output_spatial_dims",
        dims ? "models::SpatialDims{.width = " + number(dims->width) + ", .height = " + number(dims->height) + "}"
             : "std::nullopt");
  field("precision", enumerator(spec.precision(), all_precisions, "models::all_precisions"));
  return out + "    },\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUTPUT.cpp CONFIG.yaml...\n", argv[0]);
    return 2;
  }
  const std::vector<std::string> arguments(argv + 1, argv + argc);
  std::vector<std::filesystem::path> configs(arguments.begin() + 1, arguments.end());
  std::sort(configs.begin(), configs.end());
  std::vector<ModelSpec> specs;
  bool ok = true;
  for (const std::filesystem::path& config : configs) {
    try {
      specs.push_back(bioptimus::detail::load_located_spec(config).spec);
    } catch (const ConfigError& error) {
      std::fprintf(stderr, "%s\n", error.what());
      ok = false;
    }
  }
  if (!ok) {
    return 1;
  }
  std::sort(specs.begin(), specs.end(),
            [](const ModelSpec& a, const ModelSpec& b) { return a.model_name() < b.model_name(); });
  // The registry's rule, checked at build time too (the stem rule makes it
  // hold for files of one directory).
  const auto repeated = std::adjacent_find(specs.begin(), specs.end(), [](const ModelSpec& a, const ModelSpec& b) {
    return a.model_name() == b.model_name();
  });
  if (repeated != specs.end()) {
    std::fprintf(stderr, "model name \"%s\" is given twice\n", repeated->model_name().c_str());
    return 1;
  }

  std::string code =
      "// Generated at build time by bioptimus_builtin_registry_generator from\n"
      "// configs/*.yaml, loaded and validated by the library's loader. Do not edit.\n"
      "#include <array>\n#include <cstdint>\n#include <optional>\n#include <span>\n#include <string_view>\n\n"
      "#include \"bioptimus/extraction/wsi/tile_spec.hpp\"\n#include \"bioptimus/io/wsi/resolution.hpp\"\n"
      "#include \"bioptimus/models/model_spec.hpp\"\n#include \"bioptimus/models/vocabulary.hpp\"\n"
      "#include \"builtin_specs.hpp\"\n\n"
      "namespace bioptimus::detail {\nnamespace {\n\n";
  for (std::size_t i = 0; i < specs.size(); ++i) {
    code += numbers("mean_" + std::to_string(i), specs[i].mean());
    code += numbers("std_" + std::to_string(i), specs[i].std());
  }
  code += "\nconstexpr std::array<BuiltinSpecRow, " + std::to_string(specs.size()) + "> rows{\n";
  for (std::size_t i = 0; i < specs.size(); ++i) {
    code += row(specs[i], i);
  }
  code +=
      "};\n\n}  // namespace\n\n"
      "std::span<const BuiltinSpecRow> builtin_spec_rows() noexcept { return rows; }\n\n"
      "}  // namespace bioptimus::detail\n";

  // Written to a temporary name and renamed: a failed run leaves no half file.
  const std::filesystem::path output(arguments[0]);
  const std::filesystem::path temporary = output.string() + ".tmp";
  {
    std::ofstream stream(temporary, std::ios::binary | std::ios::trunc);
    stream << code;
    if (!stream.flush()) {
      std::fprintf(stderr, "%s: cannot write\n", temporary.string().c_str());
      return 1;
    }
  }
  std::error_code status;
  std::filesystem::rename(temporary, output, status);
  if (status) {
    std::fprintf(stderr, "%s: cannot rename: %s\n", output.string().c_str(), status.message().c_str());
    return 1;
  }
  return 0;
}
