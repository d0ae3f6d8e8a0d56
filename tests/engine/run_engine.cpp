// The native engine on a file of tiles, for the Python parity checks
// (check_parity.py): run_engine WEIGHTS SPEC.yaml TILES.f32 TOKENS.f32
// [--precision fp32|bf16|fp16] [--threads N] [--create-model-args JSON]
// [--batches N]. The tiles are float32 CHW, batch first; the batch is run in
// N calls of decreasing size (buffers reused and regrown), the tokens written
// as float32. Prints one JSON object: the precision, its note, the shape.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bioptimus/engine/vit_model.hpp"
#include "bioptimus/models/registry.hpp"

namespace {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bioptimus;
  if (argc < 5) {
    std::cerr << "usage: run_engine WEIGHTS SPEC.yaml TILES.f32 TOKENS.f32 [--precision P] [--threads N] "
                 "[--create-model-args JSON] [--batches N]\n";
    return 2;
  }
  engine::EngineOptions options;
  int calls = 1;
  for (int i = 5; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--precision") {
      options.precision = models::parse_precision(value).value_or(models::Precision::fp32);
    } else if (flag == "--threads") {
      options.threads = std::stoi(value);
    } else if (flag == "--create-model-args") {
      options.create_model_args = value;
    } else if (flag == "--batches") {
      calls = std::stoi(value);
    }
  }
  try {
    const models::ModelSpec spec = models::load_spec(argv[2]);
    engine::VitModel model = engine::VitModel::load(argv[1], spec, options);
    std::ifstream in(argv[3], std::ios::binary | std::ios::ate);
    std::vector<float> floats(static_cast<std::size_t>(in.tellg()) / sizeof(float));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(floats.data()), static_cast<std::streamsize>(floats.size() * sizeof(float)));
    const std::size_t batch = floats.size() / model.tile_size();
    const auto per_tile = static_cast<std::size_t>(model.tokens_per_tile() * model.token_dim());
    std::vector<float> tokens(batch * per_tile);
    // Largest call last, so that the buffers grow between calls.
    std::size_t done = 0;
    for (int call = 0; call < calls && done < batch; ++call) {
      const std::size_t left = batch - done;
      const std::size_t share = left / static_cast<std::size_t>(calls - call) / 2;
      const std::size_t size = call + 1 == calls ? left : std::max<std::size_t>(1, share);
      model.run(std::span<const float>(floats).subspan(done * model.tile_size(), size * model.tile_size()),
                std::span<float>(tokens).subspan(done * per_tile, size * per_tile));
      done += size;
    }
    std::ofstream out(argv[4], std::ios::binary);
    out.write(reinterpret_cast<const char*>(tokens.data()),
              static_cast<std::streamsize>(tokens.size() * sizeof(float)));
    std::cout << "{\"precision\": " << json_string(std::string{models::to_string(model.precision())})
              << ", \"note\": " << json_string(model.precision_note()) << ", \"tokens\": " << model.tokens_per_tile()
              << ", \"dim\": " << model.token_dim() << ", \"describe\": " << json_string(model.describe()) << "}\n";
  } catch (const Error& error) {
    std::cerr << error.what() << "\n";
    return 1;
  }
  return 0;
}
