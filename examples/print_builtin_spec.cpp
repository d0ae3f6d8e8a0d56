// Print a built-in model's spec, by name: `print_builtin_spec uni2-h`.
#include <fmt/format.h>

#include <exception>

#include "bioptimus/format.hpp"
#include "bioptimus/models/registry.hpp"

int main(int argc, char** argv) {
  using bioptimus::models::Registry;
  const char* name = argc > 1 ? argv[1] : "h0-mini";
  try {
    const auto& spec = Registry::builtin().get(name);
    fmt::print("{}\n", spec);
    fmt::print("  tile      {}\n", spec.tile_spec());
    fmt::print("  mean/std  [{}] / [{}]\n", fmt::join(spec.mean(), ", "), fmt::join(spec.std(), ", "));
    fmt::print("  tokens    {} prefix + {} patch\n", spec.num_prefix_tokens(), spec.num_patch_tokens().value_or(0));
    fmt::print("  output    {} -> [{}]\n", spec.output_type(), fmt::join(spec.output_shape(), ", "));
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}\n", error.what());
    return 1;
  }
  return 0;
}
