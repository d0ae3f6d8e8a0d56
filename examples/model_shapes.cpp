// The shapes a pipeline allocates for a model: the input batch tensor and the
// output of each tile. `model_shapes virchow2 32`.
#include <fmt/format.h>

#include <cstdint>
#include <exception>
#include <string>

#include "bioptimus/models/registry.hpp"

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "h-optimus-0";
  const std::int64_t batch = argc > 2 ? std::stoll(argv[2]) : 16;
  try {
    const auto& spec = bioptimus::models::Registry::builtin().get(name);
    const auto input = spec.input_shape();
    fmt::print("{}: input [{}, {}, {}, {}], output [{}, {}]\n", spec.identity(), batch, input[0], input[1], input[2],
               batch, fmt::join(spec.output_shape(), ", "));
    if (const auto tokens = spec.sequence_length()) {
      fmt::print("backbone tokens [{}, {}, {}]; patch tokens start at index {}\n", batch, *tokens, spec.token_dim(),
                 spec.num_prefix_tokens());
    }
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}\n", error.what());
    return 1;
  }
  return 0;
}
