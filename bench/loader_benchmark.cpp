// How long the loader takes: parsing every built-in config into a registry
// (what Registry::builtin() does once per process) and loading one file.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "bioptimus/models/registry.hpp"

namespace {

using bioptimus::models::ModelSpec;
using bioptimus::models::Registry;

// Parse the built-in configs from their canonical text: the same work as
// builtin()'s first call, repeated (builtin() itself is cached).
void BM_ParseAllBuiltinConfigs(benchmark::State& state) {
  std::vector<std::string> texts;
  for (const ModelSpec& spec : Registry::builtin().specs()) {
    texts.push_back(bioptimus::models::to_yaml(spec));
  }
  for (auto _ : state) {
    std::vector<ModelSpec> specs;
    for (const std::string& text : texts) {
      specs.push_back(bioptimus::models::parse_spec(text, "bench.yaml"));
    }
    benchmark::DoNotOptimize(Registry::from_specs(std::move(specs)));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(texts.size()));
}
BENCHMARK(BM_ParseAllBuiltinConfigs)->Unit(benchmark::kMicrosecond);

void BM_LoadOneConfigFile(benchmark::State& state) {
  const std::filesystem::path file = std::filesystem::path(BIOPTIMUS_SOURCE_DIR) / "configs" / "h0-mini.yaml";
  for (auto _ : state) {
    benchmark::DoNotOptimize(bioptimus::models::load_spec(file));
  }
}
BENCHMARK(BM_LoadOneConfigFile)->Unit(benchmark::kMicrosecond);

void BM_LookupByModel(benchmark::State& state) {
  const Registry& registry = Registry::builtin();
  for (auto _ : state) {
    benchmark::DoNotOptimize(&registry.get(bioptimus::models::Models::virchow2));
  }
}
BENCHMARK(BM_LookupByModel);

}  // namespace
