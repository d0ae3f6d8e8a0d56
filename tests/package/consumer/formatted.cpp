// Uses the opt-in {fmt} formatters of the `format` component.
#include <fmt/format.h>

#include "bioptimus/bioptimus.hpp"
#include "bioptimus/format.hpp"

int main() {
  using namespace bioptimus::models;
  const ModelSpec& spec = Registry::builtin().get(Models::h0_mini);
  fmt::print("formatted: {} at {}, tile {}\n", spec, spec.mpp(), spec.tile_spec());
  return 0;
}
