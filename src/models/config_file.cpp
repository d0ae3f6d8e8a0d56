// Config files on disk: reading one safely, and the one-model-per-file rule.
#include <filesystem>
#include <string>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/models/registry.hpp"
#include "input_file.hpp"
#include "loader.hpp"

namespace bioptimus::detail {

using models::ConfigError;
using models::ConfigLocation;
using models::Diagnostic;
using models::LoadLimits;

std::string read_config_file(const std::filesystem::path& path) {
  try {
    return read_input_file(path, {.expected = "a YAML file", .max_bytes = LoadLimits::max_bytes, .noun = "config"});
  } catch (const InputFileError& error) {
    throw ConfigError({Diagnostic{ConfigLocation{path.string(), 0, 0}, "", error.reason()}});
  }
}

LocatedSpec load_located_spec(const std::filesystem::path& path) {
  LocatedSpec loaded = parse_located_spec(read_config_file(path), path.string());
  // One model per file, named after it (DESIGN section 4): the registry and
  // `modelspec validate` must agree on what a valid file is.
  if (const std::string stem = path.stem().string(); stem != loaded.spec.model_name()) {
    throw ConfigError(
        {Diagnostic{loaded.model_name_location, "model_name",
                    "expected the file stem " + quote(stem) + " (one model per file, named after it), got " +
                        quote(loaded.spec.model_name())}});
  }
  return loaded;
}

}  // namespace bioptimus::detail

namespace bioptimus::models {

ModelSpec load_spec(const std::filesystem::path& path) { return detail::load_located_spec(path).spec; }

}  // namespace bioptimus::models
