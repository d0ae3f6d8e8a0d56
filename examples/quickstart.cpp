// The README's first example: build the seed's h0-mini spec in C++ and read
// its derived values.
#include <cstdio>

#include "bioptimus/models/types.hpp"

int main() {
  using namespace bioptimus::io::wsi;
  using namespace bioptimus::models;
  using bioptimus::extraction::wsi::TileSpec;
  const ModelSpec spec{{
      .model_name = "h0-mini",
      .version = "1.0.0",
      .weights_source = "bioptimus/H0-mini",
      .tile_spec =
          TileSpec{{.size = {224, 224}, .stride = {224, 224}, .resolution = MPP{0.5}, .unit = MeasurementUnit::pixels}},
      .mean = {0.707223, 0.578729, 0.703617},
      .std = {0.211883, 0.230117, 0.177517},
      .patch_size = 14,
      .num_prefix_tokens = 5,
      .embedding_dim = 1536,
      .output_type = OutputType::cls_patch_mean,
  }};
  std::printf("%s: %lld tokens of %lld, embedding %lld\n", spec.identity().c_str(),
              static_cast<long long>(spec.sequence_length().value_or(0)), static_cast<long long>(spec.token_dim()),
              static_cast<long long>(spec.embedding_dim()));
  return spec.sequence_length() == 261 ? 0 : 1;
}
