// Load a user's YAML config and report every problem, compiler-style:
// `validate_user_config my-model.yaml`.
#include <fmt/format.h>

#include "bioptimus/models/registry.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: validate_user_config FILE.yaml\n");
    return 2;
  }
  try {
    const auto spec = bioptimus::models::load_spec(argv[1]);
    fmt::print("{} is valid: {}\n", argv[1], spec.identity());
    return 0;
  } catch (const bioptimus::models::ConfigError& error) {
    for (const auto& diagnostic : error.diagnostics()) {
      fmt::print(stderr, "{}\n", diagnostic.to_string());
    }
    return 1;
  }
}
