// Internal loader entry points shared by the loader (spec_decoder.cpp,
// config_file.cpp, config_error.cpp), registry.cpp and the build-time
// generator.
#ifndef BIOPTIMUS_SRC_LOADER_HPP
#define BIOPTIMUS_SRC_LOADER_HPP

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/registry.hpp"

namespace bioptimus::detail {

/// A loaded spec and where its model_name value stands, so that a registry
/// can point at it (for example when the name does not match the file stem).
struct LocatedSpec {
  models::ModelSpec spec;
  models::ConfigLocation model_name_location;
};

/// parse_spec() that also reports where model_name is.
LocatedSpec parse_located_spec(std::string_view yaml, std::string_view source_name);

/// Orders diagnostics by file, line and column, keeping the order of ties.
void sort_in_file_order(std::vector<models::Diagnostic>& diagnostics);

/// load_spec() that also reports where model_name is.
LocatedSpec load_located_spec(const std::filesystem::path& path);

/// The bytes of a config file, at most LoadLimits::max_bytes.
/// @throws ConfigError when the file cannot be read or is too large.
std::string read_config_file(const std::filesystem::path& path);

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_LOADER_HPP
