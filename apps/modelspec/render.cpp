#include "render.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/format.hpp"

namespace bioptimus::apps {
namespace {

using nlohmann::ordered_json;

ordered_json pair(double width, double height) { return ordered_json::array({width, height}); }
ordered_json pair(std::int64_t width, std::int64_t height) { return ordered_json::array({width, height}); }

template <class T>
ordered_json or_null(const std::optional<T>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

std::string list_text(std::span<const double> values) { return detail::format_list(values, values.size()); }

std::string tile_text(const models::ModelSpec& spec) {
  const auto size = spec.tile_size_pixels();
  return fmt::format("{}x{} px @ {:.4g} mpp", size.width, size.height, spec.mpp().value());
}

}  // namespace

ordered_json to_json(const models::ModelSpec& spec) {
  const auto& tile = spec.tile_spec();
  ordered_json out;
  out["model_name"] = spec.model_name();
  out["version"] = spec.version();
  out["weights_source"] = or_null(spec.weights_source());
  out["license"] = or_null(spec.license());
  out["tile_spec"] = {{"size", pair(tile.width(), tile.height())},
                      {"stride", pair(tile.stride_width(), tile.stride_height())},
                      {"resolution", spec.mpp().value()},
                      {"unit", to_string(tile.unit())}};
  out["num_channels"] = spec.num_channels();
  out["mean"] = std::vector<double>(spec.mean().begin(), spec.mean().end());
  out["std"] = std::vector<double>(spec.std().begin(), spec.std().end());
  out["interpolation"] = to_string(spec.interpolation());
  out["antialias"] = spec.antialias();
  out["color_space"] = to_string(spec.color_space());
  out["stain_normalization"] =
      spec.stain_normalization() ? ordered_json(to_string(*spec.stain_normalization())) : ordered_json(nullptr);
  out["stain_target"] = nullptr;
  if (const auto& target = spec.stain_target()) {
    if (const auto* vectors = std::get_if<models::StainVectors>(&*target)) {
      out["stain_target"] = {{"hematoxylin", vectors->hematoxylin},
                             {"eosin", vectors->eosin},
                             {"max_concentrations", vectors->max_concentrations}};
    } else {
      const auto& lab = std::get<models::LabStatistics>(*target);
      out["stain_target"] = {{"lab_mean", lab.mean}, {"lab_std", lab.std}};
    }
  }
  out["architecture"] = to_string(spec.architecture());
  out["patch_size"] = or_null(spec.patch_size());
  out["num_prefix_tokens"] = spec.num_prefix_tokens();
  out["embedding_dim"] = spec.embedding_dim();
  out["output_type"] = to_string(spec.output_type());
  const auto dims = spec.output_spatial_dims();
  out["output_spatial_dims"] = dims ? pair(dims->height, dims->width) : ordered_json(nullptr);
  out["precision"] = to_string(spec.precision());

  const auto size = spec.tile_size_pixels();
  const auto stride = spec.stride_pixels();
  const auto overlap = spec.overlap_pixels();
  const auto microns = spec.tile_size_microns();
  const auto stride_microns = spec.stride_microns();
  const auto grid = spec.patch_grid();
  const auto input = spec.input_shape();
  out["derived"] = {{"tile_size_pixels", pair(size.width, size.height)},
                    {"stride_pixels", pair(stride.width, stride.height)},
                    {"overlap_pixels", pair(overlap.width, overlap.height)},
                    {"tile_size_microns", pair(microns.width, microns.height)},
                    {"stride_microns", pair(stride_microns.width, stride_microns.height)},
                    {"grid", grid ? pair(grid->width, grid->height) : ordered_json(nullptr)},
                    {"num_patch_tokens", or_null(spec.num_patch_tokens())},
                    {"sequence_length", or_null(spec.sequence_length())},
                    {"token_dim", spec.token_dim()},
                    {"input_shape", std::vector<std::int64_t>(input.begin(), input.end())},
                    {"output_shape", spec.output_shape()},
                    {"identity", spec.identity()}};
  return out;
}

std::string to_text(const models::ModelSpec& spec) {
  const auto size = spec.tile_size_pixels();
  const auto stride = spec.stride_pixels();
  const auto overlap = spec.overlap_pixels();
  const auto microns = spec.tile_size_microns();
  std::string text = fmt::format("{}\n", spec.identity());
  text += fmt::format("  weights        {}\n", detail::escape_controls(spec.weights_source().value_or("(none)")));
  text += fmt::format("  license        {}\n", detail::escape_controls(spec.license().value_or("(not stated)")));
  text += "input\n";
  text += fmt::format("  tile           {}x{} px at {} ({}x{} um)\n", size.width, size.height, spec.mpp(),
                      detail::format_number(microns.width), detail::format_number(microns.height));
  text += fmt::format("  stride         {}x{} px (overlap {}x{} px)\n", stride.width, stride.height, overlap.width,
                      overlap.height);
  text += fmt::format("  channels       {} {}\n", spec.num_channels(), spec.color_space());
  text += fmt::format("  mean           {}\n", list_text(spec.mean()));
  text += fmt::format("  std            {}\n", list_text(spec.std()));
  text += fmt::format("  resize         {}{}\n", spec.interpolation(), spec.antialias() ? ", antialiased" : "");
  std::string stain = "none";
  if (const auto method = spec.stain_normalization()) {
    stain = std::string(to_string(*method));
    if (!spec.stain_target()) {
      stain += ", reference target";
    } else if (const auto* vectors = std::get_if<models::StainVectors>(&*spec.stain_target())) {
      stain += fmt::format(", target H {} E {} max {}", list_text(vectors->hematoxylin), list_text(vectors->eosin),
                           list_text(vectors->max_concentrations));
    } else {
      const auto& lab = std::get<models::LabStatistics>(*spec.stain_target());
      stain += fmt::format(", target LAB mean {} std {}", list_text(lab.mean), list_text(lab.std));
    }
  }
  text += fmt::format("  stain norm     {}\n", stain);
  text += "architecture\n";
  text += fmt::format("  family         {}\n", spec.architecture());
  if (const auto grid = spec.patch_grid()) {
    text += fmt::format("  patch          {} px, grid {}x{} = {} patch tokens\n", *spec.patch_size(), grid->width,
                        grid->height, *spec.num_patch_tokens());
    if (spec.num_prefix_tokens() > 0) {
      text += fmt::format("  prefix         {} tokens (CLS + {} registers)\n", spec.num_prefix_tokens(),
                          spec.num_prefix_tokens() - 1);
    } else {
      text += "  prefix         none (patch tokens only)\n";
    }
    text += fmt::format("  sequence       {} tokens of {}\n", *spec.sequence_length(), spec.token_dim());
  }
  text += "output\n";
  text += fmt::format("  type           {}\n", spec.output_type());
  text += fmt::format("  embedding_dim  {}\n", spec.embedding_dim());
  const auto input = spec.input_shape();
  text += fmt::format("  input shape    [{}, {}, {}]\n", input[0], input[1], input[2]);
  text += fmt::format("  output shape   [{}]\n", fmt::join(spec.output_shape(), ", "));
  text += "compute\n";
  text += fmt::format("  precision      {}\n", spec.precision());
  return text;
}

std::string to_table(std::span<const models::ModelSpec> specs, bool markdown) {
  const std::vector<std::string> header{"name",          "version",     "arch",    "tile",
                                        "embedding_dim", "output_type", "license", "weights_source"};
  // A cell is one line with no control characters; in Markdown a '|' would
  // also start a new column.
  const auto cell = [markdown](const std::string& text) {
    std::string escaped = detail::escape_controls(text);
    if (!markdown) {
      return escaped;
    }
    std::string out;
    for (const char c : escaped) {
      out += c == '|' ? "\\|" : std::string(1, c);
    }
    return out;
  };
  std::vector<std::vector<std::string>> rows;
  for (const models::ModelSpec& spec : specs) {
    rows.push_back({spec.model_name(), spec.version(), std::string(to_string(spec.architecture())), tile_text(spec),
                    std::to_string(spec.embedding_dim()), std::string(to_string(spec.output_type())),
                    cell(spec.license().value_or("-")), cell(spec.weights_source().value_or("-"))});
  }
  std::string text;
  if (markdown) {
    const auto line = [](const std::vector<std::string>& cells) {
      return fmt::format("| {} |\n", fmt::join(cells, " | "));
    };
    text += line(header);
    text += line(std::vector<std::string>(header.size(), "---"));
    for (const auto& row : rows) {
      text += line(row);
    }
    return text;
  }
  std::vector<std::size_t> widths(header.size());
  for (std::size_t column = 0; column < header.size(); ++column) {
    widths[column] = header[column].size();
    for (const auto& row : rows) {
      widths[column] = std::max(widths[column], row[column].size());
    }
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t column = 0; column < cells.size(); ++column) {
      out += column + 1 == cells.size() ? cells[column] : fmt::format("{:<{}}  ", cells[column], widths[column]);
    }
    return out + "\n";
  };
  text += line(header);
  for (const auto& row : rows) {
    text += line(row);
  }
  return text;
}

ordered_json manifest_to_json(std::span<const pipeline::CohortSlide> entries) {
  ordered_json slides = ordered_json::array();
  for (const pipeline::CohortSlide& entry : entries) {
    slides.push_back({{"slide_id", entry.slide_id},
                      {"slide_path", entry.slide_path.string()},
                      {"mpp_override", entry.mpp_override ? ordered_json(entry.mpp_override->value()) : ordered_json()},
                      {"line", entry.line}});
  }
  return slides;
}

}  // namespace bioptimus::apps
