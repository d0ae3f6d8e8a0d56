// How long the loader takes, against a plain Python reader of the same file
// (bench/python_reader.py: PyYAML's C loader into frozen dataclasses with the
// same rules), timed in the same run; and what Registry::builtin() costs now
// that its specs are generated at build time.
//
//   build/release/bench/bioptimus_loader_benchmark
//
// BM_LoadOneCommentedConfig reports python_cpu_us (the Python reader's CPU
// time per load, measured by the script itself over many loads), ours_cpu_us
// and python_over_ours (> 1 means ours is faster).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
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
// spec from the generated table and build a registry of them.
void BM_BuiltinRegistryConstruction(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(Registry::from_specs(bioptimus::detail::builtin_specs()));
  }
}
BENCHMARK(BM_BuiltinRegistryConstruction)->Unit(benchmark::kMicrosecond);

// The Python reader's CPU seconds per load of `file`, from the script's own
// timing over `repeat` loads; nothing when python3 or PyYAML is missing.
std::optional<double> python_cpu_seconds_per_load(const std::filesystem::path& file, int repeat) {
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
  constexpr std::string_view key = "\"cpu_seconds_per_load\":";
  const std::size_t at = output.find(key);
  if (::pclose(pipe) != 0 || at == std::string::npos) {
    return std::nullopt;
  }
  return std::stod(output.substr(at + key.size()));
}

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Load and validate one commented config file (read, parse, check, the stem
// rule): ours timed by the benchmark, the Python reader's in the same run.
// The ratio compares CPU time, which a loaded machine disturbs least.
void BM_LoadOneCommentedConfig(benchmark::State& state) {
  const std::optional<double> python = python_cpu_seconds_per_load(commented_config, 3000);
  if (!python) {
    state.SkipWithError("python3 with PyYAML (python3-yaml) is needed for the comparison");
    return;
  }
  const double start = thread_cpu_seconds();
  for (auto _ : state) {
    benchmark::DoNotOptimize(bioptimus::models::load_spec(commented_config));
  }
  const double ours = (thread_cpu_seconds() - start) / static_cast<double>(state.iterations());
  state.counters["python_cpu_us"] = *python * 1e6;
  state.counters["ours_cpu_us"] = ours * 1e6;
  state.counters["python_over_ours"] = *python / ours;
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
