// The built-in specs: constant data that the build generates from configs/
// (generator/builtin_registry_generator.cpp), and the ModelSpecs made of it.
#ifndef BIOPTIMUS_SRC_BUILTIN_SPECS_HPP
#define BIOPTIMUS_SRC_BUILTIN_SPECS_HPP

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::detail {

/// One built-in spec's fields as literals: the generated table of them lives
/// in read-only data, so that the first use of the registry runs one short
/// loop over it instead of tens of kilobytes of construction code.
struct BuiltinSpecRow {
  std::string_view model_name;
  std::string_view version;
  std::optional<std::string_view> weights_source;
  std::optional<std::string_view> license;
  extraction::wsi::TileSpec tile_spec;
  std::int64_t num_channels;
  std::span<const double> mean;
  std::span<const double> std;
  models::Interpolation interpolation;
  bool antialias;
  models::ColorSpace color_space;
  std::optional<models::StainNormalization> stain_normalization;
  std::optional<models::StainTarget> stain_target;
  models::Architecture architecture;
  std::optional<std::int64_t> patch_size;
  std::int64_t num_prefix_tokens;
  std::int64_t embedding_dim;
  models::OutputType output_type;
  std::optional<models::SpatialDims> output_spatial_dims;
  models::Precision precision;
};

/// Every spec of configs/ as generated data, sorted by model name (defined in
/// the generated builtin_specs.cpp).
std::span<const BuiltinSpecRow> builtin_spec_rows() noexcept;

/// The ModelSpecs of builtin_spec_rows(), in the same order.
std::vector<models::ModelSpec> builtin_specs();

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_BUILTIN_SPECS_HPP
