// bench/backbone_benchmark.cpp: the model step alone, as `modelspec extract`
// runs it, so that the pipeline's overhead shows beside it.
//
//   bioptimus_backbone_benchmark MODEL.pt SPEC --tiles N [--batch-size 64] [--precision auto|fp32|bf16|fp16]
//                                [--threads T]
//
// SPEC is a built-in model name or a config YAML. The backbone is loaded as
// extract loads it (same options), then ceil(N / batch) batches of the sizes
// extract cuts from N tiles (the last one partial) go through embed(), timed
// as extract times its model step. The tiles are fixed pseudo-random values
// in the range of normalised pixels: a model's cost does not depend on them.
// Prints one JSON line: tiles, batches, seconds, tiles_per_second, precision,
// precision_reason, threads.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bioptimus/inference/backbone.hpp"
#include "bioptimus/models/registry.hpp"

namespace {

namespace models = bioptimus::models;
namespace inference = bioptimus::inference;

models::ModelSpec spec_of(const std::string& name_or_file) {
  if (std::filesystem::is_regular_file(name_or_file)) {
    return models::load_spec(name_or_file);
  }
  return models::Registry::builtin().get(name_or_file);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The backbone alone, on the batches extract would run"};
  std::string weights;
  std::string model;
  std::int64_t tiles = 0;
  std::int64_t batch_size = 64;
  std::string precision = "auto";
  int threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  app.add_option("weights", weights, "TorchScript model")->required()->check(CLI::ExistingFile);
  app.add_option("model", model, "Built-in model name or config YAML")->required();
  app.add_option("--tiles", tiles, "Tiles, as many as extract embedded")->required()->check(CLI::PositiveNumber);
  app.add_option("--batch-size", batch_size, "Tiles per backbone call")->check(CLI::PositiveNumber);
  app.add_option("--precision", precision)->check(CLI::IsMember({"auto", "fp32", "bf16", "fp16"}));
  app.add_option("--threads", threads)->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  try {
    const models::ModelSpec spec = spec_of(model);
    inference::Backbone backbone =
        inference::Backbone::load(weights, spec, {.precision = models::parse_precision(precision), .threads = threads});
    std::vector<float> input(static_cast<std::size_t>(batch_size) * backbone.tile_size());
    std::uint32_t state = 12345;
    for (float& value : input) {
      state = state * 1664525U + 1013904223U;  // a linear congruential generator: fixed values, no <random> cost
      value = static_cast<float>(state >> 8U) / static_cast<float>(1U << 24U) * 4.0F - 2.0F;
    }
    std::vector<float> embeddings(static_cast<std::size_t>(batch_size) * backbone.embedding_size());
    double seconds = 0;
    std::int64_t batches = 0;
    for (std::int64_t first = 0; first < tiles; first += batch_size, ++batches) {
      const auto count = static_cast<std::size_t>(std::min(batch_size, tiles - first));
      const auto start = std::chrono::steady_clock::now();
      backbone.embed(std::span<const float>(input).first(count * backbone.tile_size()),
                     std::span<float>(embeddings).first(count * backbone.embedding_size()));
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    fmt::print("{}\n", nlohmann::json{{"tiles", tiles},
                                      {"batches", batches},
                                      {"seconds", seconds},
                                      {"tiles_per_second", static_cast<double>(tiles) / seconds},
                                      {"precision", models::to_string(backbone.precision())},
                                      {"precision_reason", backbone.precision_reason()},
                                      {"threads", threads},
                                      {"warnings", backbone.warnings()}}
                           .dump());
  } catch (const std::exception& error) {
    fmt::print(stderr, "bioptimus_backbone_benchmark: {}\n", error.what());
    return 1;
  }
  return 0;
}
