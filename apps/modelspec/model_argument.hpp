// The MODEL argument of `show`, `preprocess` and `extract`: a model name, or
// the path of a model config.
#ifndef BIOPTIMUS_APPS_MODEL_ARGUMENT_HPP
#define BIOPTIMUS_APPS_MODEL_ARGUMENT_HPP

#include <string>

#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/registry.hpp"

namespace bioptimus::apps {

/// The spec `target` names: a model of `registry`, else, when `target` looks
/// like a file (it has a folder, or ends in .yaml or .yml), the config it
/// names. A name wins over a file of that name.
/// @throws models::LookupError for an unknown name; models::ConfigError for a bad file.
[[nodiscard]] models::ModelSpec resolve_model(const models::Registry& registry, const std::string& target);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_MODEL_ARGUMENT_HPP
