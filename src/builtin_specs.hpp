// The built-in specs, constructed by code that the build generates from
// configs/ (src/generator/builtin_registry_generator.cpp).
#ifndef BIOPTIMUS_SRC_BUILTIN_SPECS_HPP
#define BIOPTIMUS_SRC_BUILTIN_SPECS_HPP

#include <vector>

#include "bioptimus/models/model_spec.hpp"

namespace bioptimus::detail {

/// Every spec of configs/, sorted by model name.
std::vector<models::ModelSpec> builtin_specs();

/// ModelSpec{fields}, out of line: the generated code calls it so that the
/// compiler does not inline two dozen validating constructors into one
/// function full of string literals (g++ 12 at -O3 then reports spurious
/// -Wrestrict warnings in std::string).
models::ModelSpec make_builtin_spec(models::ModelSpec::Fields fields);

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_BUILTIN_SPECS_HPP
