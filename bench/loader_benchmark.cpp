// How long the loader takes, against a plain Python reader of the same file
// (bench/python_reader.py: PyYAML's C loader into frozen dataclasses with the
// same rules), timed in the same run; and what Registry::builtin() costs now
// that its specs are generated at build time.
//
//   build/release/bench/bioptimus_loader_benchmark
//
// BM_LoadOneCommentedConfig reports python_us (the Python reader's time per
// load, measured by the script itself over many loads) and python_ratio
// (Python time / ours: > 1 means ours is faster).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "builtin_specs.hpp"

namespace {

using bioptimus::models::ModelSpec;
using bioptimus::models::Registry;

const std::filesystem::path commented_config = std::filesystem::path(BIOPTIMUS_SOURCE_DIR) / "configs" / "h0-mini.yaml";

// The very first call in this process (it must run before any other case):
// one iteration, since a magic static is built once.
void BM_BuiltinFirstUse(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(&Registry::builtin());
  }
}
BENCHMARK(BM_BuiltinFirstUse)->Iterations(1)->Unit(benchmark::kMicrosecond);

// The same work as builtin()'s first use, repeated: construct every built-in
// spec from the generated code and build a registry of them.
void BM_BuiltinRegistryConstruction(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(Registry::from_specs(bioptimus::detail::builtin_specs()));
  }
}
BENCHMARK(BM_BuiltinRegistryConstruction)->Unit(benchmark::kMicrosecond);

// The Python reader's seconds per load of `file`, from the script's own
// timing over `repeat` loads; nothing when python3 or PyYAML is missing.
std::optional<double> python_seconds_per_load(const std::filesystem::path& file, int repeat) {
  const std::string command = "/usr/bin/python3 \"" BIOPTIMUS_SOURCE_DIR "/bench/python_reader.py\" --repeat " +
                              std::to_string(repeat) + " \"" + file.string() + "\"";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return std::nullopt;
  }
  std::string output;
  std::vector<char> buffer(4096);
  while (const std::size_t count = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    output.append(buffer.data(), count);
  }
  if (::pclose(pipe) != 0) {
    return std::nullopt;
  }
  // {"seconds_per_load": {"FILE": SECONDS}}: the number after the last ':'.
  const std::size_t colon = output.rfind(':');
  return colon == std::string::npos ? std::nullopt : std::optional<double>{std::stod(output.substr(colon + 1))};
}

// Load and validate one commented config file (read, parse, check, the stem
// rule): ours timed by the benchmark, the Python reader's in the same run.
void BM_LoadOneCommentedConfig(benchmark::State& state) {
  const std::optional<double> python = python_seconds_per_load(commented_config, 3000);
  if (!python) {
    state.SkipWithError("python3 with PyYAML (python3-yaml) is needed for the comparison");
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(bioptimus::models::load_spec(commented_config));
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const double ours = elapsed.count() / static_cast<double>(state.iterations());
  state.counters["python_us"] = *python * 1e6;
  state.counters["ours_us"] = ours * 1e6;
  state.counters["python_ratio"] = *python / ours;
}
BENCHMARK(BM_LoadOneCommentedConfig)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

// Parse the built-in configs from their canonical text (no comments): what
// builtin()'s first use cost before its specs were generated at build time.
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

void BM_LookupByModel(benchmark::State& state) {
  const Registry& registry = Registry::builtin();
  for (auto _ : state) {
    benchmark::DoNotOptimize(&registry.get(bioptimus::models::Models::virchow2));
  }
}
BENCHMARK(BM_LookupByModel);

}  // namespace
