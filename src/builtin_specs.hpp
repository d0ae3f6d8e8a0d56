// The built-in specs, constructed by code that the build generates from
// configs/ (src/generator/builtin_registry_generator.cpp).
#ifndef BIOPTIMUS_SRC_BUILTIN_SPECS_HPP
#define BIOPTIMUS_SRC_BUILTIN_SPECS_HPP

#include <vector>

#include "bioptimus/models/model_spec.hpp"

namespace bioptimus::detail {

/// Every spec of configs/, sorted by model name.
std::vector<models::ModelSpec> builtin_specs();

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_BUILTIN_SPECS_HPP
